/* The runtime's own descriptors (workers' epoll and kick eventfd, the log
 * file): kept out of the program's way.
 *
 * Each lives above the range the program normally uses (near
 * RLIMIT_NOFILE), is close-on-exec, and is marked in the descriptor table
 * so the shim can refuse a close() of it (EBADF, as for a number the
 * program never opened) in one load, step around it in close_range and
 * closefrom, and move it when the program dup2()s onto its number. Whoever
 * holds the number registers the variable it keeps it in, so a move
 * updates the holder. The registry grows with the number of workers. */
#ifndef SCHED_RTFD_H
#define SCHED_RTFD_H

/* Move fd above the program's range (the old number is closed) and register
 * it; *holder gets the number and follows every move. keep_on_fork: the
 * descriptor stays the child's after fork (the log file); the others are
 * closed in the child. 0 or -errno (fd is then still *holder, unhidden). */
int rtfd_hide(int fd, int *holder, int keep_on_fork);

/* Forget the registration of *holder (before the holder closes it). */
void rtfd_drop(int *holder);

/* Is fd one of ours? */
int rtfd_is(int fd);

/* The program wants number fd: move ours elsewhere. */
void rtfd_evict(int fd);

/* The smallest of our descriptors in [lo, hi], or -1. */
long rtfd_next(unsigned lo, unsigned hi);

/* In a forked child: close what the child must not keep (the parent's
 * epoll instances), keep the rest registered. */
void rtfd_atfork_child(void);

#endif
