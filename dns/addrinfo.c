/* getaddrinfo without blocking the worker.
 *
 * glibc itself does every part that never touches the network: we first
 * call it with AI_NUMERICHOST added. That answers numeric hosts and a NULL
 * host, and reports bad flags, families, socket types and services exactly
 * as natively (glibc checks those before it looks a name up). Only when it
 * says EAI_NONAME is the host a name: we find its addresses over the NSS
 * sources (lookup.c), order them as glibc does (sort.c), and let glibc build
 * the entries for each address, again numerically. The list is therefore
 * glibc's own layout, freed by glibc's freeaddrinfo, and the canonical name
 * is a separate malloc'd string as glibc's is. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/internal.h"
#include "preload/log.h"

/* What glibc's AI_ADDRCONFIG looks at: configured addresses other than
 * 127.0.0.1 and ::1. */
static void seen_families(int *v4, int *v6)
{
	struct ifaddrs *ifa;
	*v4 = *v6 = 0;
	if (getifaddrs(&ifa) < 0) {
		*v4 = *v6 = 1;   /* cannot tell: pessimistic, as glibc */
		return;
	}
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			struct sockaddr_in *s = (void *)i->ifa_addr;
			if (s->sin_addr.s_addr != htonl(INADDR_LOOPBACK))
				*v4 = 1;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			struct sockaddr_in6 *s = (void *)i->ifa_addr;
			if (!IN6_IS_ADDR_LOOPBACK(&s->sin6_addr))
				*v6 = 1;
		}
	}
	freeifaddrs(ifa);
}

struct gai_call {
	const char *node, *service;
	const struct addrinfo *hints;
	struct addrinfo **res;
	int ret, err;
};

static void gai_native(void *p)
{
	struct gai_call *c = p;
	c->ret = dns_libc.getaddrinfo(c->node, c->service, c->hints, c->res);
	c->err = errno;
}

/* The entries of one address, as glibc makes them for a numeric host. */
static int expand(const struct dns_addr *a, const char *service, const struct addrinfo *h,
		  struct addrinfo **out)
{
	char s[INET6_ADDRSTRLEN + 16];
	inet_ntop(a->family, a->addr, s, sizeof s);
	if (a->scope_id)
		snprintf(s + strlen(s), sizeof s - strlen(s), "%%%u", a->scope_id);
	return dns_libc.getaddrinfo(s, service, h, out);
}

static int lookup(const char *node, const char *service, struct addrinfo h, struct addrinfo **res)
{
	int family = h.ai_family;
	if (h.ai_flags & AI_ADDRCONFIG) {
		int v4, v6;
		seen_families(&v4, &v6);
		if (family == AF_UNSPEC && v4 != v6)
			family = v4 ? AF_INET : AF_INET6;
		else if ((family == AF_INET && !v4) || (family == AF_INET6 && !v6))
			return EAI_NONAME;
	}
	struct dns_hosts hosts;
	int r = dns_hosts_lookup(node, family, h.ai_flags, &hosts);
	if (r) {
		dns_hosts_free(&hosts);
		return r;
	}
	/* Entries of each address first: the sort wants their port. */
	struct addrinfo eh = h, *head = NULL, **tail = &head;
	eh.ai_flags = (h.ai_flags & ~(AI_CANONNAME | AI_ADDRCONFIG)) | AI_NUMERICHOST;
	struct addrinfo **parts = calloc(hosts.n, sizeof *parts);
	struct dns_addr *orig = malloc(hosts.n * sizeof *orig);
	if (!parts || !orig) {
		r = EAI_MEMORY;
		goto out;
	}
	memcpy(orig, hosts.a, hosts.n * sizeof *orig);
	for (size_t i = 0; i < hosts.n; i++)
		if ((r = expand(&hosts.a[i], service, &eh, &parts[i])))
			goto out;
	if (hosts.n > 1) {
		const struct sockaddr *sa = parts[0] ? parts[0]->ai_addr : NULL;
		uint16_t port = !sa ? 0 : sa->sa_family == AF_INET ? ((const struct sockaddr_in *)sa)->sin_port
								  : ((const struct sockaddr_in6 *)sa)->sin6_port;
		dns_sort(hosts.a, hosts.n, port);
	}
	/* Chain the parts in sorted order; equal addresses have equal parts. */
	for (size_t j = 0; j < hosts.n; j++) {
		for (size_t i = 0; i < hosts.n; i++) {
			if (!parts[i] || memcmp(&orig[i], &hosts.a[j], sizeof orig[i]))
				continue;
			*tail = parts[i];
			parts[i] = NULL;
			while (*tail)
				tail = &(*tail)->ai_next;
			break;
		}
	}
out:
	if (parts)
		for (size_t i = 0; i < hosts.n; i++)
			if (parts[i])
				freeaddrinfo(parts[i]);
	free(parts);
	free(orig);
	if (r) {
		if (head)
			freeaddrinfo(head);
		dns_hosts_free(&hosts);
		return r;
	}
	for (struct addrinfo *ai = head; ai; ai = ai->ai_next)
		ai->ai_flags = h.ai_flags;   /* the request's, as glibc reports */
	if (head && hosts.canon) {
		head->ai_canonname = hosts.canon;
		hosts.canon = NULL;
	}
	dns_hosts_free(&hosts);
	if (!head)
		return EAI_NONAME;
	*res = head;
	return 0;
}

int dns_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		    struct addrinfo **res)
{
	/* NULL hints mean glibc's defaults */
	struct addrinfo h = hints ? *hints : (struct addrinfo){ .ai_flags = AI_V4MAPPED | AI_ADDRCONFIG };
	int asked_numeric = h.ai_flags & AI_NUMERICHOST;
	h.ai_flags |= AI_NUMERICHOST;
	int r = dns_libc.getaddrinfo(node, service, &h, res);
	if (r == 0 && !asked_numeric)
		for (struct addrinfo *ai = *res; ai; ai = ai->ai_next)
			ai->ai_flags &= ~AI_NUMERICHOST;
	if (r != EAI_NONAME || !node || asked_numeric)
		return r;
	h.ai_flags &= ~AI_NUMERICHOST;
	if (dns_native() || (h.ai_flags & AI_IDN)) {
		struct gai_call c = { node, service, hints, res, 0, 0 };
		dns_offload(gai_native, &c);
		errno = c.err;
		return c.ret;
	}
	int saved = errno;
	r = lookup(node, service, h, res);
	if (r != EAI_SYSTEM)
		errno = saved;
	LOG(LOG_DNS, "dns: getaddrinfo %s: %s", node, r ? gai_strerror(r) : "ok");
	return r;
}
