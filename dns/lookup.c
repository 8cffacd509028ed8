/* Host lookups over the sources nsswitch.conf names (sources.c), the way
 * glibc's NSS loop runs them for the "files" and "dns" sources with default
 * actions: a source's success ends the search, anything else goes on to
 * the next.
 *
 * "files" is glibc's own backend; "dns" is c-ares (chan.c), with glibc's
 * result conventions (answer.c): a name that exists without an address of
 * the asked family is NO_DATA, not HOST_NOT_FOUND. getaddrinfo's host part
 * follows glibc's gaih_inet: both families at once through
 * gethostbyname4_r when any will do, else one family (and the v4-mapped
 * second) through gethostbyname3_r, with its buffer growth. */
#include <arpa/nameser.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/internal.h"

/* The "dns" source's gethostbyname3_r. */
static enum nss_status dns_source_byname(const char *name, int af, struct hostent *he, char *buf,
					 size_t buflen, int *errnop, int *herrnop, char **canonp)
{
	struct dns_chan c;
	struct dns_answer a;
	int r = dns_chan_open(&c);
	if (r != ARES_SUCCESS)
		return dns_status_nss(r, herrnop);
	dns_query(&c, name, af == AF_INET6 ? ns_t_aaaa : ns_t_a, 1, &a);
	dns_chan_run(&c);
	dns_chan_close(&c);
	enum nss_status st = dns_status_nss(a.status, herrnop);
	if (st == NSS_STATUS_SUCCESS) {
		struct dns_flat_he *f = malloc(sizeof *f);
		st = dns_status_nss(f ? dns_parse_host_answer(&a, af, f) : ARES_ENOMEM, herrnop);
		if (st == NSS_STATUS_SUCCESS) {
			if (dns_he_copy(he, buf, buflen, &f->he)) {
				*errnop = ERANGE;
				*herrnop = NETDB_INTERNAL;
				st = NSS_STATUS_TRYAGAIN;
			} else if (canonp) {
				*canonp = he->h_name;
			}
		}
		free(f);
	}
	if (st != NSS_STATUS_SUCCESS && *herrnop != NETDB_INTERNAL)
		*errnop = *herrnop == TRY_AGAIN ? EAGAIN : ENOENT;
	dns_answer_free(&a);
	return st;
}

enum nss_status dns_byname2(const char *name, int af, struct hostent *he, char *buf,
			    size_t buflen, int *errnop, int *herrnop, char **canonp)
{
	enum nss_status st = NSS_STATUS_UNAVAIL;
	*herrnop = NETDB_INTERNAL;
	for (const char *s = dns_sources(); *s; s++) {
		if (*s == 'f')
			st = dns_files.byname3(name, af, he, buf, buflen, errnop, herrnop, NULL, canonp);
		else
			st = dns_source_byname(name, af, he, buf, buflen, errnop, herrnop, canonp);
		if (st == NSS_STATUS_SUCCESS)
			break;
		if (st == NSS_STATUS_TRYAGAIN && *errnop == ERANGE && *herrnop == NETDB_INTERNAL)
			break;   /* the caller must grow its buffer */
	}
	return st;
}

static enum nss_status dns_source_byaddr(const void *addr, socklen_t len, int af,
					 struct hostent *he, char *buf, size_t buflen,
					 int *errnop, int *herrnop)
{
	char rev[80];
	const unsigned char *a = addr;
	/* glibc's dns backend answers a v4-mapped address from the IPv4
	 * reverse zone, and the result is the IPv4 address */
	if (af == AF_INET6 && len == 16 && !memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
		a += 12;
		af = AF_INET;
		len = 4;
	}
	if ((af == AF_INET && len != 4) || (af == AF_INET6 && len != 16) ||
	    (af != AF_INET && af != AF_INET6)) {
		*errnop = EAFNOSUPPORT;
		*herrnop = NETDB_INTERNAL;
		return NSS_STATUS_UNAVAIL;
	}
	dns_reverse_name(a, af, rev, sizeof rev);
	struct dns_chan c;
	struct dns_answer ans;
	int r = dns_chan_open(&c);
	if (r != ARES_SUCCESS)
		return dns_status_nss(r, herrnop);
	dns_query(&c, rev, ns_t_ptr, 0, &ans);
	dns_chan_run(&c);
	dns_chan_close(&c);
	enum nss_status st = dns_status_nss(ans.status, herrnop);
	if (st == NSS_STATUS_SUCCESS) {
		/* glibc's backend takes the first PTR record of the name
		 * asked (after CNAMEs, for classless delegation), no aliases */
		char name[NS_MAXDNAME] = "";
		st = dns_status_nss(dns_parse_ptr_answer(&ans, name, sizeof name), herrnop);
		char *addrs[2] = { (char *)a, NULL }, *aliases[1] = { NULL };
		struct hostent h = { name, aliases, af, (int)len, addrs };
		if (st == NSS_STATUS_SUCCESS && dns_he_copy(he, buf, buflen, &h)) {
			*errnop = ERANGE;
			*herrnop = NETDB_INTERNAL;
			st = NSS_STATUS_TRYAGAIN;
		}
	}
	if (st != NSS_STATUS_SUCCESS && *herrnop != NETDB_INTERNAL)
		*errnop = *herrnop == TRY_AGAIN ? EAGAIN : ENOENT;
	dns_answer_free(&ans);
	return st;
}

enum nss_status dns_byaddr2(const void *addr, socklen_t len, int af, struct hostent *he,
			    char *buf, size_t buflen, int *errnop, int *herrnop)
{
	enum nss_status st = NSS_STATUS_UNAVAIL;
	*herrnop = NETDB_INTERNAL;
	for (const char *s = dns_sources(); *s; s++) {
		if (*s == 'f')
			st = dns_files.byaddr(addr, len, af, he, buf, buflen, errnop, herrnop);
		else
			st = dns_source_byaddr(addr, len, af, he, buf, buflen, errnop, herrnop);
		if (st == NSS_STATUS_SUCCESS)
			break;
		if (st == NSS_STATUS_TRYAGAIN && *errnop == ERANGE && *herrnop == NETDB_INTERNAL)
			break;
	}
	return st;
}

static int hosts_add(struct dns_hosts *h, int family, const void *addr, uint32_t scope)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		struct dns_addr *a = realloc(h->a, cap * sizeof *a);
		if (!a)
			return -1;
		h->a = a;
		h->cap = cap;
	}
	struct dns_addr *d = &h->a[h->n++];
	memset(d, 0, sizeof *d);
	d->family = family;
	memcpy(d->addr, addr, family == AF_INET6 ? 16 : 4);
	d->scope_id = scope;
	return 0;
}

static int set_canon(struct dns_hosts *h, const char *name)
{
	if (h->canon || !name)
		return 0;
	return (h->canon = strdup(name)) ? 0 : -1;
}

/* The "dns" source's gethostbyname4_r: A and AAAA at once, A first. */
static enum nss_status dns_source_byname4(const char *name, struct dns_hosts *h, int *herr)
{
	struct dns_chan c;
	struct dns_answer a4, a6;
	int r = dns_chan_open(&c);
	if (r != ARES_SUCCESS)
		return dns_status_nss(r, herr);
	dns_query(&c, name, ns_t_a, 1, &a4);
	dns_query(&c, name, ns_t_aaaa, 1, &a6);
	dns_chan_run(&c);
	dns_chan_close(&c);
	struct dns_answer *ans[2] = { &a4, &a6 };
	enum nss_status st[2];
	int herrs[2] = { 0, 0 };
	for (int i = 0; i < 2; i++) {
		st[i] = dns_status_nss(ans[i]->status, &herrs[i]);
		if (st[i] != NSS_STATUS_SUCCESS)
			continue;
		struct dns_flat_he *f = malloc(sizeof *f);
		st[i] = dns_status_nss(f ? dns_parse_host_answer(ans[i], i ? AF_INET6 : AF_INET, f) : ARES_ENOMEM,
				       &herrs[i]);
		if (st[i] == NSS_STATUS_SUCCESS) {
			for (char **p = f->he.h_addr_list; *p; p++)
				if (hosts_add(h, f->he.h_addrtype, *p, 0) < 0)
					st[i] = NSS_STATUS_TRYAGAIN, herrs[i] = NETDB_INTERNAL;
			if (set_canon(h, f->he.h_name) < 0)
				st[i] = NSS_STATUS_TRYAGAIN, herrs[i] = NETDB_INTERNAL;
		}
		free(f);
	}
	dns_answer_free(&a4);
	dns_answer_free(&a6);
	if (st[0] == NSS_STATUS_SUCCESS || st[1] == NSS_STATUS_SUCCESS) {
		*herr = 0;
		return NSS_STATUS_SUCCESS;
	}
	for (int i = 0; i < 2; i++)
		if (herrs[i] == NETDB_INTERNAL || herrs[i] == TRY_AGAIN) {
			*herr = herrs[i];
			return st[i];
		}
	*herr = herrs[0] == NO_DATA || herrs[1] == NO_DATA ? NO_DATA : herrs[0];
	return NSS_STATUS_NOTFOUND;
}

/* The "files" source's gethostbyname4_r, with glibc's buffer growth. */
static enum nss_status files_byname4(const char *name, struct dns_hosts *h, int *herr)
{
	size_t len = 1024;
	for (;;) {
		char *buf = malloc(len);
		if (!buf) {
			*herr = NETDB_INTERNAL;
			return NSS_STATUS_TRYAGAIN;
		}
		struct gaih_addrtuple *at = NULL;
		int err = 0;
		enum nss_status st = dns_files.byname4(name, &at, buf, len, &err, herr, NULL);
		if (st == NSS_STATUS_SUCCESS) {
			if (at)
				set_canon(h, at->name);
			for (; at; at = at->next)
				if (hosts_add(h, at->family, at->addr, at->scopeid) < 0) {
					st = NSS_STATUS_TRYAGAIN;
					*herr = NETDB_INTERNAL;
				}
		}
		free(buf);
		if (st == NSS_STATUS_TRYAGAIN && err == ERANGE && *herr == NETDB_INTERNAL && len < (1u << 24)) {
			len *= 2;
			continue;
		}
		return st;
	}
}

/* One source's gethostbyname3_r for one family, into h. */
static enum nss_status source_byname3(char src, const char *name, int af, int mapped,
				      struct dns_hosts *h, int *herr)
{
	size_t len = 1024;
	for (;;) {
		char *buf = malloc(len), *canon = NULL;
		struct hostent he;
		int err = 0;
		if (!buf) {
			*herr = NETDB_INTERNAL;
			return NSS_STATUS_TRYAGAIN;
		}
		enum nss_status st =
			src == 'f' ? dns_files.byname3(name, af, &he, buf, len, &err, herr, NULL, &canon)
				   : dns_source_byname(name, af, &he, buf, len, &err, herr, &canon);
		if (st == NSS_STATUS_SUCCESS) {
			set_canon(h, canon ? canon : he.h_name);
			for (char **p = he.h_addr_list; *p; p++) {
				unsigned char m[16];
				const void *addr = *p;
				int fam = he.h_addrtype;
				if (mapped && fam == AF_INET) {
					memcpy(m, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
					memcpy(m + 12, *p, 4);
					addr = m;
					fam = AF_INET6;
				}
				if (hosts_add(h, fam, addr, 0) < 0)
					st = NSS_STATUS_TRYAGAIN, *herr = NETDB_INTERNAL;
			}
		}
		free(buf);
		if (st == NSS_STATUS_TRYAGAIN && err == ERANGE && *herr == NETDB_INTERNAL && len < (1u << 24)) {
			len *= 2;
			continue;
		}
		return st;
	}
}

static int no_data_of(enum nss_status st, int herr)
{
	if (st == NSS_STATUS_TRYAGAIN && herr == TRY_AGAIN)
		return EAI_AGAIN;
	return herr == NO_DATA;
}

int dns_hosts_lookup(const char *name, int family, int flags, struct dns_hosts *h)
{
	enum nss_status status = NSS_STATUS_UNAVAIL;
	int no_data = 0, no_inet6_data = 0, herr = NETDB_INTERNAL;
	memset(h, 0, sizeof *h);
	for (const char *s = dns_sources(); *s; s++) {
		no_data = 0;
		if (family == AF_UNSPEC) {
			status = *s == 'f' ? files_byname4(name, h, &herr)
					   : dns_source_byname4(name, h, &herr);
			if (status == NSS_STATUS_SUCCESS)
				no_data = h->n == 0;
			else
				no_data = no_data_of(status, herr);
			no_inet6_data = no_data;
		} else {
			enum nss_status inet6_status = NSS_STATUS_UNAVAIL;
			size_t before = h->n;
			if (family == AF_INET6) {
				status = source_byname3(*s, name, AF_INET6, 0, h, &herr);
				no_data = status == NSS_STATUS_SUCCESS ? 0 : no_data_of(status, herr);
				no_inet6_data = no_data;
				inet6_status = status;
			}
			int got_ipv6 = h->n > before;
			if (family == AF_INET ||
			    ((flags & AI_V4MAPPED) && ((flags & AI_ALL) || !got_ipv6))) {
				status = source_byname3(*s, name, AF_INET, family == AF_INET6, h, &herr);
				no_data = status == NSS_STATUS_SUCCESS ? 0 : no_data_of(status, herr);
				if (family == AF_INET) {
					no_inet6_data = no_data;
					inet6_status = status;
				}
			}
			if (inet6_status == NSS_STATUS_SUCCESS || status == NSS_STATUS_SUCCESS)
				status = NSS_STATUS_SUCCESS;
			else if (inet6_status == NSS_STATUS_TRYAGAIN)
				status = NSS_STATUS_TRYAGAIN;
			else if (status == NSS_STATUS_UNAVAIL && inet6_status != NSS_STATUS_UNAVAIL)
				status = inet6_status;
		}
		if (status == NSS_STATUS_SUCCESS)
			break;
	}
	if (status == NSS_STATUS_TRYAGAIN && herr == NETDB_INTERNAL && errno == ENOMEM)
		return EAI_MEMORY;
	if (status == NSS_STATUS_UNAVAIL)
		return EAI_SYSTEM;
	if (no_data != 0 && no_inet6_data != 0)
		return no_data == EAI_AGAIN && no_inet6_data == EAI_AGAIN ? EAI_AGAIN : EAI_NODATA;
	if (h->n == 0)
		return EAI_NONAME;
	if (!(flags & AI_CANONNAME)) {
		free(h->canon);
		h->canon = NULL;
	} else if (!h->canon && !(h->canon = strdup(name))) {
		return EAI_MEMORY;
	}
	return 0;
}

void dns_hosts_free(struct dns_hosts *h)
{
	free(h->a);
	free(h->canon);
	memset(h, 0, sizeof *h);
}
