/* The table of real (next in lookup order) definitions of the functions we
 * interpose; see real.def. REAL_FN(name) resolves the table on first use,
 * so hooks work even when another library calls them from its constructor
 * before ours has run. */
#ifndef PRELOAD_REAL_H
#define PRELOAD_REAL_H

#include <fcntl.h>
#include <mqueue.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <syslog.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* glibc's _FORTIFY_SOURCE entries, declared by its headers only when
 * fortifying. */
int __open_2(const char *, int);
int __open64_2(const char *, int);
int __openat_2(int, const char *, int);
int __openat64_2(int, const char *, int);
char *__fgets_chk(char *, size_t, int, FILE *);
char *__fgets_unlocked_chk(char *, size_t, int, FILE *);
size_t __fread_chk(void *, size_t, size_t, size_t, FILE *);
size_t __fread_unlocked_chk(void *, size_t, size_t, size_t, FILE *);
int __vdprintf_chk(int, int, const char *, va_list);
int __vfprintf_chk(FILE *, int, const char *, va_list);
void __vsyslog_chk(int, int, const char *, va_list);
void __longjmp_chk(sigjmp_buf, int) __attribute__((noreturn));
/* libio's refill and C99 scanf entries, which <stdio.h> reaches by macro
 * or by redirection. */
int __underflow(FILE *);
int __isoc99_vfscanf(FILE *, const char *, va_list);
mqd_t __mq_open_2(const char *, int);

struct coexec_real {
#define REAL(ret, name, args) ret(*name) args;
#include "preload/real.def"
#undef REAL
};

extern struct coexec_real real;
extern int real_ready;
void real_resolve(void);

/* Symbols found by name at run time, for the few callers that cannot
 * list them in real.def: the next definition after ours (RTLD_NEXT), or
 * the first in the process (RTLD_DEFAULT; NULL when absent). The only
 * dlsym calls of the library are here. */
void *real_next(const char *name);
void *real_default(const char *name);
/* name from the process, or else from lib, loaded for it (as glibc
 * loads libgcc_s for unwinding); NULL when neither has it. */
void *real_from(const char *lib, const char *name);
/* glibc's own interfaces (version GLIBC_PRIVATE), or NULL. */
void *real_private(const char *name);

/* The next definition of name, kept in *slot from the first call on, for
 * hooks of libraries a program may not link (liburing, libaio): only a
 * program that links them calls those hooks. Missing: fatal, as in the
 * table. */
void *real_next_once(void **slot, const char *name);

#define REAL_FN(name) \
	(*(__builtin_expect(real_ready, 1) ? (void)0 : real_resolve(), real.name))

#endif
