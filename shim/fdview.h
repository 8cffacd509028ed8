/* The program's view of a descriptor: what kind of file it is, whether the
 * program made it non-blocking, its socket type and timeouts, and what the
 * accept path needs to know of its history. It is shim state: the runtime's
 * descriptor table (sched/fdtable.h) keeps the room for it in each entry,
 * zeroes it when the number is forgotten and copies it on dup, and never
 * reads it. All zero means "not learnt yet". */
#ifndef SHIM_FDVIEW_H
#define SHIM_FDVIEW_H

#include <stdint.h>

#include "sched/fdtable.h"

enum fd_kind { FD_UNKNOWN, FD_SOCK, FD_PIPE, FD_CHR, FD_REG, FD_OTHER };

/* file_fl: the open flags shim/disk.c decides by. */
enum { FL_DIRECT = 1, FL_SYNC = 2, FL_APPEND = 4 };

struct fdview {
	uint8_t kind;             /* enum fd_kind */
	uint8_t user_nb;          /* O_NONBLOCK as the program set it */
	uint8_t timeo_known;
	uint8_t nowait_bad;       /* RWF_NOWAIT unsupported here */
	uint8_t born_here;        /* created by a hooked call of this process */
	uint8_t file_fl;          /* regular files: FL_* of its open flags (shim/disk.c) */
	uint8_t wnowait_bad;      /* regular files: no RWF_NOWAIT for writes here */
	uint8_t rd_hint;          /* regular files: plain reads or not (shim/disk.c) */
	int socktype;             /* SOCK_STREAM, ... for sockets; 0 unknown */
	unsigned born_share;      /* share_epoch when it was (shim/net.c) */
	int accept_turn;          /* a coroutine is between poll and accept */
	uint32_t rd_count;        /* regular files: reads counted for rd_hint */
	int64_t rcvtimeo, sndtimeo;   /* ns; 0 = none */
};

_Static_assert(sizeof(struct fdview) <= sizeof(((struct fdent *)0)->view),
	       "the descriptor table keeps too little room for the view");

static inline struct fdview *view(struct fdent *e)
{
	return (struct fdview *)e->view;
}

/* The FL_* bits of open flags fl (O_DIRECT, O_SYNC/O_DSYNC, O_APPEND). */
int view_file_fl(long fl);

/* A descriptor a hooked call just created: a fresh entry of that kind. */
struct fdent *view_new(int fd, enum fd_kind kind, int user_nb);

/* Learn the kind and blocking mode of a descriptor we did not see created
 * (inherited, or made by a call we do not interpose). */
void view_classify(int fd, struct fdent *e);

/* The entry for fd with its view learnt; NULL when we cannot track it. */
static inline struct fdent *fd_known(int fd)
{
	struct fdent *e = fd_get(fd);
	if (e && view(e)->kind == FD_UNKNOWN)
		view_classify(fd, e);
	return e;
}

/* In a forked child: what was in flight in the parent's threads is gone. */
void view_atfork_child(void *view);

#endif
