/* The resolver API: res_query, res_search, res_querydomain, res_send, their
 * res_n* forms and the __res_* names older binaries link to.
 *
 * A coroutine's questions go out through the resolver core (dns/res.c),
 * which parks it while it waits; any other caller, and the n forms on a
 * state the program has not initialised (a failure, as in glibc), get
 * glibc's own functions. */
#include "dns/dns.h"
#include "shim/dns.h"
#include "shim/shim.h"

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
