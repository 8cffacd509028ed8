/* getaddrinfo, getnameinfo, gethostbyname{,2}{,_r}, gethostbyaddr{,_r}.
 *
 * A lookup blocks in glibc's resolver, so for a coroutine that shares its
 * worker the resolver core (dns/) answers instead, parking the coroutine
 * while it waits. Every other caller (main alone, a thread coexec does not
 * run, the runtime itself) gets glibc's own function, as natively. Each
 * entry makes that one decision; the core decides the rest (nsswitch.conf,
 * COEXEC_DNS=native, what glibc answers without a lookup). */

#include "dns/dns.h"
#include "shim/dns.h"
#include "shim/shim.h"

static void *next_sym(const char *name)
{
	return real_next(name);
}

/* 0: nothing given yet; 1: glibc's functions; 2: the configuration too. */
static int given;

/* The functions go over at the first call of any entry: that may come
 * before our constructor (another library's constructor resolving a name),
 * when only glibc's own functions run. The configuration goes over at the
 * first call from a coroutine: coroutines exist only once the constructor
 * has read it, and only their calls consult it. Racing callers give the
 * same values. */
void dns_prepare(void)
{
	int g = __atomic_load_n(&given, __ATOMIC_ACQUIRE);
	if (__builtin_expect(g == 2, 1))
		return;
	if (g == 0) {
		real_resolve();
		struct dns_libc l = {
			real.getaddrinfo, real.getnameinfo, real.gethostbyname2_r,
			real.gethostbyaddr_r, real.res_nquery, real.res_nsearch,
			real.res_nquerydomain, real.res_nsend, next_sym,
		};
		dns_set_libc(&l);
		__atomic_store_n(&given, 1, __ATOMIC_RELEASE);
	}
	if (co_self()) {
		dns_set_native(coexec_config.dns_native);
		__atomic_store_n(&given, 2, __ATOMIC_RELEASE);
	}
}

/* A coroutine with neighbours on its worker: glibc's resolver would block
 * them, so the core answers. */
static int ours(void)
{
	struct co *self = co_self();
	return self && !co_may_block(self->w);
}

EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res)
{
	if (!ours())
		return REAL_FN(getaddrinfo)(node, service, hints, res);
	dns_prepare();
	return dns_getaddrinfo(node, service, hints, res);
}

EXPORT int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
		       char *serv, socklen_t servlen, int flags)
{
	if (!ours())
		return REAL_FN(getnameinfo)(sa, salen, host, hostlen, serv, servlen, flags);
	dns_prepare();
	return dns_getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);
}

EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
			    size_t buflen, struct hostent **result, int *h_errnop)
{
	dns_prepare();
	if (!ours())
		return dns_gethostbyname2_r_native(name, af, ret, buf, buflen, result, h_errnop);
	return dns_gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop);
}

EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
			   struct hostent **result, int *h_errnop)
{
	return gethostbyname2_r(name, AF_INET, ret, buf, buflen, result, h_errnop);
}

EXPORT int gethostbyaddr_r(const void *addr, socklen_t len, int af, struct hostent *ret,
			   char *buf, size_t buflen, struct hostent **result, int *h_errnop)
{
	dns_prepare();
	if (!ours())
		return dns_gethostbyaddr_r_native(addr, len, af, ret, buf, buflen, result, h_errnop);
	return dns_gethostbyaddr_r(addr, len, af, ret, buf, buflen, result, h_errnop);
}

/* The forms with a static result: a buffer per coroutine, filled by the _r
 * forms above, whoever calls. */
EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	return dns_gethostbyname2(name, af);
}

EXPORT struct hostent *gethostbyname(const char *name)
{
	return gethostbyname2(name, AF_INET);
}

EXPORT struct hostent *gethostbyaddr(const void *addr, socklen_t len, int af)
{
	return dns_gethostbyaddr(addr, len, af);
}
