/* getnameinfo without blocking the worker.
 *
 * Only the host name of an IPv4 or IPv6 address needs a lookup. glibc does
 * everything else: it validates the arguments, formats numeric hosts (with
 * IPv6 scope ids) and finds services in /etc/services, so we call it with
 * NI_NUMERICHOST for those parts and do the reverse lookup ourselves over
 * the NSS sources (lookup.c), in glibc's order: checks, host, service. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/internal.h"
#include "preload/log.h"

struct gni_call {
	const struct sockaddr *sa;
	socklen_t salen;
	char *host;
	socklen_t hostlen;
	char *serv;
	socklen_t servlen;
	int flags, r, err;
};

static void gni_native(void *p)
{
	struct gni_call *c = p;
	c->r = dns_libc.getnameinfo(c->sa, c->salen, c->host, c->hostlen, c->serv, c->servlen, c->flags);
	c->err = errno;
}

/* The local domain NI_NOFQDN strips, found once as glibc finds it: the
 * part of the host name after its first dot, or else of the canonical name
 * the host name resolves to. */
static const char *local_domain(void)
{
	static int done;
	static char *domain;
	if (__atomic_load_n(&done, __ATOMIC_ACQUIRE))
		return domain;
	char name[256], *dot, *d = NULL;
	if (gethostname(name, sizeof name) == 0) {
		name[sizeof name - 1] = 0;
		if ((dot = strchr(name, '.'))) {
			d = strdup(dot + 1);
		} else {
			struct hostent he, *res = NULL;
			char buf[2048];
			int herr;
			if (gethostbyname2_r(name, AF_INET, &he, buf, sizeof buf, &res, &herr) == 0 && res &&
			    (dot = strchr(res->h_name, '.')))
				d = strdup(dot + 1);
		}
	}
	/* two coroutines may race here: the loser's string is dropped */
	char *expect = NULL;
	if (!__atomic_compare_exchange_n(&domain, &expect, d, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		free(d);
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	return domain;
}

/* The host part for an address: 0 or an EAI_* code. */
static int host_name(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
		     int flags)
{
	const void *addr;
	socklen_t alen;
	if (sa->sa_family == AF_INET) {
		addr = &((const struct sockaddr_in *)sa)->sin_addr;
		alen = 4;
	} else {
		addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		alen = 16;
	}
	size_t len = 1024;
	char *buf = NULL;
	struct hostent he;
	int err = 0, herr = 0;
	enum nss_status st;
	for (;;) {
		char *nb = realloc(buf, len);
		if (!nb) {
			free(buf);
			return EAI_MEMORY;
		}
		buf = nb;
		st = dns_byaddr2(addr, alen, sa->sa_family, &he, buf, len, &err, &herr);
		if (!(st == NSS_STATUS_TRYAGAIN && err == ERANGE && herr == NETDB_INTERNAL))
			break;
		len *= 2;
	}
	int r = 0;
	if (st == NSS_STATUS_SUCCESS) {
		const char *d;
		char *c;
		if ((flags & NI_NOFQDN) && (d = local_domain()) && (c = strstr(he.h_name, d)) &&
		    c != he.h_name && c[-1] == '.')
			c[-1] = 0;
		if (strlen(he.h_name) >= hostlen)
			r = EAI_OVERFLOW;
		else
			strcpy(host, he.h_name);
	} else if (herr == NETDB_INTERNAL) {
		errno = err;
		r = EAI_SYSTEM;
	} else if (herr == TRY_AGAIN) {
		r = EAI_AGAIN;
	} else if (flags & NI_NAMEREQD) {
		r = EAI_NONAME;
	} else {
		r = dns_libc.getnameinfo(sa, salen, host, hostlen, NULL, 0, flags | NI_NUMERICHOST);
	}
	free(buf);
	return r;
}

int dns_getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
		    char *serv, socklen_t servlen, int flags)
{
	/* no host name asked, or not of an IP address: no lookup */
	if (!host || !hostlen || (flags & NI_NUMERICHOST) || !sa || salen < sizeof(sa_family_t) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return dns_libc.getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);
	if (dns_native() || (flags & NI_IDN)) {
		struct gni_call c = { sa, salen, host, hostlen, serv, servlen, flags, 0, 0 };
		dns_offload(gni_native, &c);
		errno = c.err;
		return c.r;
	}
	/* glibc's own checks of flags, family and length, without a lookup */
	char probe[NI_MAXHOST];
	int r = dns_libc.getnameinfo(sa, salen, probe, sizeof probe, NULL, 0,
				     (flags | NI_NUMERICHOST) & ~NI_NAMEREQD);
	if (r)
		return r;
	int saved = errno;
	r = host_name(sa, salen, host, hostlen, flags);
	if (r == 0 && serv && servlen)
		r = dns_libc.getnameinfo(sa, salen, NULL, 0, serv, servlen, flags | NI_NUMERICHOST);
	if (r != EAI_SYSTEM)
		errno = saved;
	LOG(LOG_DNS, "dns: getnameinfo: %s", r ? gai_strerror(r) : host);
	return r;
}
