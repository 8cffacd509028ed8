/* DNS answers read the way glibc's dns backend reads them, and results laid
 * out in the caller's buffer the way an NSS backend lays them out: the
 * "dns" source (lookup.c) then gives the same hostent as glibc's, with
 * h_name the canonical name (the end of a CNAME chain) and the aliases the
 * names that led to it. */
#include <arpa/nameser.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dns/internal.h"

int dns_he_copy(struct hostent *dst, char *buf, size_t len, const struct hostent *src)
{
	size_t naddr = 0, nalias = 0, strs = strlen(src->h_name) + 1;
	while (src->h_addr_list[naddr])
		naddr++;
	while (src->h_aliases && src->h_aliases[nalias])
		strs += strlen(src->h_aliases[nalias++]) + 1;
	uintptr_t base = (uintptr_t)buf, p = (base + 7) & ~(uintptr_t)7;
	size_t need = (p - base) + (naddr + 1 + nalias + 1) * sizeof(char *) +
		      naddr * src->h_length + strs;
	if (need > len)
		return ERANGE;
	char **addrs = (char **)p, **aliases = addrs + naddr + 1;
	char *q = (char *)(aliases + nalias + 1);
	for (size_t i = 0; i < naddr; i++, q += src->h_length)
		addrs[i] = memcpy(q, src->h_addr_list[i], src->h_length);
	addrs[naddr] = NULL;
	for (size_t i = 0; i < nalias; i++) {
		aliases[i] = strcpy(q, src->h_aliases[i]);
		q += strlen(q) + 1;
	}
	aliases[nalias] = NULL;
	dst->h_name = strcpy(q, src->h_name);
	dst->h_aliases = aliases;
	dst->h_addrtype = src->h_addrtype;
	dst->h_length = src->h_length;
	dst->h_addr_list = addrs;
	return 0;
}

int dns_parse_host_answer(const struct dns_answer *a, int af, struct dns_flat_he *f)
{
	ns_msg msg;
	ns_rr rr;
	int type = af == AF_INET6 ? ns_t_aaaa : ns_t_a, len = af == AF_INET6 ? 16 : 4;
	int naliases = 0, naddrs = 0;
	char cur[NS_MAXDNAME];
	if (!a->buf || ns_initparse(a->buf, a->len, &msg) < 0 || ns_msg_count(msg, ns_s_qd) < 1 ||
	    ns_parserr(&msg, ns_s_qd, 0, &rr) < 0)
		return ARES_EBADRESP;
	snprintf(cur, sizeof cur, "%s", ns_rr_name(rr));
	memset(&f->he, 0, sizeof f->he);
	for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return ARES_EBADRESP;
		if (ns_rr_class(rr) != ns_c_in || strcasecmp(ns_rr_name(rr), cur))
			continue;
		if (ns_rr_type(rr) == ns_t_cname && naliases < MAX_ALIASES) {
			char *alias = f->names[1 + naliases];
			snprintf(alias, NS_MAXDNAME, "%s", ns_rr_name(rr));
			f->aliases[naliases++] = alias;
			if (ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), ns_rr_rdata(rr), cur,
					       sizeof cur) < 0)
				return ARES_EBADRESP;
		} else if ((int)ns_rr_type(rr) == type && ns_rr_rdlen(rr) == len && naddrs < MAX_ADDRS) {
			if (!naddrs)
				snprintf(f->names[0], NS_MAXDNAME, "%s", ns_rr_name(rr));
			memcpy(f->addr[naddrs], ns_rr_rdata(rr), len);
			f->addrs[naddrs] = (char *)f->addr[naddrs];
			naddrs++;
		}
	}
	if (!naddrs)
		return ARES_ENODATA;
	f->aliases[naliases] = NULL;
	f->addrs[naddrs] = NULL;
	f->he = (struct hostent){ f->names[0], f->aliases, af, len, f->addrs };
	return ARES_SUCCESS;
}

int dns_reverse_name(const unsigned char *a, int af, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	if (af == AF_INET) {
		int n = 0;
		for (int i = 3; i >= 0; i--) {
			unsigned v = a[i];
			char d[4];
			int k = 0;
			do
				d[k++] = '0' + v % 10;
			while ((v /= 10));
			while (k)
				out[n++] = d[--k];
			out[n++] = '.';
		}
		strcpy(out + n, "in-addr.arpa");
		return 0;
	}
	if (len < 16 * 4 + 9)
		return -1;
	char *p = out;
	for (int i = 15; i >= 0; i--) {
		*p++ = hex[a[i] & 15];
		*p++ = '.';
		*p++ = hex[a[i] >> 4];
		*p++ = '.';
	}
	strcpy(p, "ip6.arpa");
	return 0;
}

int dns_parse_ptr_answer(const struct dns_answer *a, char *out, size_t outlen)
{
	ns_msg msg;
	ns_rr rr;
	char cur[NS_MAXDNAME];
	if (!a->buf || ns_initparse(a->buf, a->len, &msg) < 0 || ns_msg_count(msg, ns_s_qd) < 1 ||
	    ns_parserr(&msg, ns_s_qd, 0, &rr) < 0)
		return ARES_EBADRESP;
	snprintf(cur, sizeof cur, "%s", ns_rr_name(rr));
	for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return ARES_EBADRESP;
		if (ns_rr_class(rr) != ns_c_in || strcasecmp(ns_rr_name(rr), cur))
			continue;
		if (ns_rr_type(rr) == ns_t_cname || ns_rr_type(rr) == ns_t_ptr) {
			char *dst = ns_rr_type(rr) == ns_t_ptr ? out : cur;
			size_t dlen = ns_rr_type(rr) == ns_t_ptr ? outlen : sizeof cur;
			if (ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), ns_rr_rdata(rr), dst, dlen) < 0)
				return ARES_EBADRESP;
			if (ns_rr_type(rr) == ns_t_ptr)
				return ARES_SUCCESS;
		}
	}
	return ARES_ENODATA;
}
