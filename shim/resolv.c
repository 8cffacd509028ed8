/* The resolver API: res_query, res_search, res_querydomain, res_send, their
 * res_n* forms and the __res_* names older binaries link to; and the
 * resolver state `_res` itself (__res_state, __res_init).
 *
 * A coroutine's questions go out through the resolver core (dns/res.c),
 * which parks it while it waits; any other caller, and the n forms on a
 * state the program has not initialised (a failure, as in glibc), get
 * glibc's own functions. `_res` is per coroutine (cls/res_state.c) except
 * for main() and threads coexec does not run, which keep glibc's. */
#include <pthread.h>
#include <stdlib.h>

#include "cls/res_state.h"
#include "dns/dns.h"
#include "shim/dns.h"
#include "shim/shim.h"

/* ---- queries ---- */

/* Is this n-form call ours? */
static int ours(res_state st)
{
	return co_self() && (st->options & RES_INIT);
}

EXPORT int res_nquery(res_state st, const char *name, int class, int type, unsigned char *answer,
		      int anslen)
{
	if (!ours(st))
		return REAL_FN(res_nquery)(st, name, class, type, answer, anslen);
	dns_prepare();
	return dns_res_nquery(st, name, class, type, answer, anslen);
}

EXPORT int res_nsearch(res_state st, const char *name, int class, int type, unsigned char *answer,
		       int anslen)
{
	if (!ours(st))
		return REAL_FN(res_nsearch)(st, name, class, type, answer, anslen);
	dns_prepare();
	return dns_res_nsearch(st, name, class, type, answer, anslen);
}

EXPORT int res_nquerydomain(res_state st, const char *name, const char *domain, int class,
			    int type, unsigned char *answer, int anslen)
{
	if (!ours(st))
		return REAL_FN(res_nquerydomain)(st, name, domain, class, type, answer, anslen);
	dns_prepare();
	return dns_res_nquerydomain(st, name, domain, class, type, answer, anslen);
}

EXPORT int res_nsend(res_state st, const unsigned char *msg, int msglen, unsigned char *answer,
		     int anslen)
{
	if (!ours(st))
		return REAL_FN(res_nsend)(st, msg, msglen, answer, anslen);
	dns_prepare();
	return dns_res_nsend(st, msg, msglen, answer, anslen);
}

EXPORT int res_query(const char *name, int class, int type, unsigned char *answer, int anslen)
{
	if (!co_self())
		return REAL_FN(res_query)(name, class, type, answer, anslen);
	dns_prepare();
	return dns_res_query(name, class, type, answer, anslen);
}

EXPORT int res_search(const char *name, int class, int type, unsigned char *answer, int anslen)
{
	if (!co_self())
		return REAL_FN(res_search)(name, class, type, answer, anslen);
	dns_prepare();
	return dns_res_search(name, class, type, answer, anslen);
}

EXPORT int res_querydomain(const char *name, const char *domain, int class, int type,
			   unsigned char *answer, int anslen)
{
	if (!co_self())
		return REAL_FN(res_querydomain)(name, domain, class, type, answer, anslen);
	dns_prepare();
	return dns_res_querydomain(name, domain, class, type, answer, anslen);
}

EXPORT int res_send(const unsigned char *msg, int msglen, unsigned char *answer, int anslen)
{
	if (!co_self())
		return REAL_FN(res_send)(msg, msglen, answer, anslen);
	dns_prepare();
	return dns_res_send(msg, msglen, answer, anslen);
}

/* The names programs built against glibc before 2.34 call. (The header's
 * declarations of the targets carry attributes that do not matter here.) */
#pragma GCC diagnostic ignored "-Wmissing-attributes"
EXPORT int __res_nquery(res_state, const char *, int, int, unsigned char *, int)
	__attribute__((alias("res_nquery")));
EXPORT int __res_nsearch(res_state, const char *, int, int, unsigned char *, int)
	__attribute__((alias("res_nsearch")));
EXPORT int __res_nquerydomain(res_state, const char *, const char *, int, int, unsigned char *, int)
	__attribute__((alias("res_nquerydomain")));
EXPORT int __res_nsend(res_state, const unsigned char *, int, unsigned char *, int)
	__attribute__((alias("res_nsend")));
EXPORT int __res_query(const char *, int, int, unsigned char *, int) __attribute__((alias("res_query")));
EXPORT int __res_search(const char *, int, int, unsigned char *, int) __attribute__((alias("res_search")));
EXPORT int __res_querydomain(const char *, const char *, int, int, unsigned char *, int)
	__attribute__((alias("res_querydomain")));
EXPORT int __res_send(const unsigned char *, int, unsigned char *, int) __attribute__((alias("res_send")));

/* ---- the state ---- */

static pthread_once_t state_once = PTHREAD_ONCE_INIT;
static struct __res_state *(*real_res_state)(void);

static void state_init(void)
{
	real_res_state = real_next("__res_state");
	res_state_init();
}

/* `_res` is a macro for (*__res_state()). */
EXPORT struct __res_state *__res_state(void)
{
	pthread_once(&state_once, state_init);
	struct co *self = co_self();
	if (!self || self == co_main) {
		if (real_res_state)
			return real_res_state();
		abort();   /* libc without __res_state: nothing we can return */
	}
	struct __res_state *st = res_state_own();
	return st ? st : real_res_state();
}

/* res_init() (a macro for __res_init) initialises the calling thread's
 * `_res`: for a coroutine, its own. */
EXPORT int __res_init(void)
{
	struct co *self = co_self();
	if (!self || self == co_main) {
		static int (*real_init)(void);
		if (!real_init)
			real_init = real_next("__res_init");
		return real_init ? real_init() : -1;
	}
	return res_state_reinit(__res_state());
}
