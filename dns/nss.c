/* Host lookups over the sources nsswitch.conf names, the way glibc's NSS
 * loop runs them for the "files" and "dns" sources with default actions:
 * a source's success ends the search, anything else goes on to the next.
 *
 * "files" is glibc's own backend (_nss_files_gethostbyname4_r and friends,
 * exported by libc for its NSS modules): /etc/hosts is parsed exactly as
 * natively. "dns" is c-ares (chan.c), with glibc's result conventions:
 * h_name is the canonical name (the end of a CNAME chain), the aliases are
 * the names that led to it, and a name that exists without an address of
 * the asked family is NO_DATA, not HOST_NOT_FOUND. */
#include <arpa/nameser.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "dns/dns.h"
#include "dns/file.h"
#include "preload/config.h"
#include "preload/log.h"
#include "sched/pool.h"
#include "sched/sys.h"

typedef enum nss_status (*byname4_fn)(const char *, struct gaih_addrtuple **, char *, size_t,
				      int *, int *, int32_t *);
typedef enum nss_status (*byname3_fn)(const char *, int, struct hostent *, char *, size_t, int *,
				      int *, int32_t *, char **);
typedef enum nss_status (*byaddr_fn)(const void *, socklen_t, int, struct hostent *, char *,
				     size_t, int *, int *);

static struct {
	int lock;
	int loaded;
	struct timespec mtime;
	char sources[8];        /* "fd", ... */
	int native;             /* nsswitch.conf asks for more than we serve */
	byname4_fn files4;
	byname3_fn files3;
	byaddr_fn filesaddr;
} nss;

/* glibc's host.conf settings (struct hconf of its resolv/res_hconf.h,
 * exported as _res_hconf). Its files backend returns every matching line of
 * /etc/hosts only under "multi on", a flag glibc sets when its own lookup
 * code first runs, which under coexec may never happen. We set that one flag
 * the way glibc reads it (RESOLV_HOST_CONF, RESOLV_MULTI) and leave the
 * structure uninitialised, so glibc still reads the whole file itself when
 * it gets to run. */
struct hconf_abi {
	int initialized;
	int unused1;
	int unused2[4];
	int num_trimdomains;
	const char *trimdomain[4];
	unsigned flags;
};
#define HCONF_MULTI (1u << 4)

static void hconf_prime(void)
{
	struct hconf_abi *hc = dlsym(RTLD_NEXT, "_res_hconf");
	if (!hc || hc->initialized)
		return;
	const char *path = getenv("RESOLV_HOST_CONF"), *env = getenv("RESOLV_MULTI");
	int multi = 0;
	size_t len;
	char *buf = dns_file_read(path ? path : "/etc/host.conf", 4095, &len, NULL);
	if (buf) {
		for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			while (*l == ' ' || *l == '\t')
				l++;
			if (strncasecmp(l, "multi", 5) || (l[5] != ' ' && l[5] != '\t'))
				continue;
			char *v = l + 5;
			while (*v == ' ' || *v == '\t')
				v++;
			multi = !strncasecmp(v, "on", 2);
		}
		free(buf);
	}
	if (env)
		multi = !strcasecmp(env, "on") ? 1 : !strcasecmp(env, "off") ? 0 : multi;
	if (multi)
		__atomic_or_fetch(&hc->flags, HCONF_MULTI, __ATOMIC_RELAXED);
}

static void load_backends(void)
{
	hconf_prime();
	nss.files4 = (byname4_fn)dlsym(RTLD_NEXT, "_nss_files_gethostbyname4_r");
	nss.files3 = (byname3_fn)dlsym(RTLD_NEXT, "_nss_files_gethostbyname3_r");
	nss.filesaddr = (byaddr_fn)dlsym(RTLD_NEXT, "_nss_files_gethostbyaddr_r");
	if (!nss.files4 || !nss.files3 || !nss.filesaddr)
		LOG(LOG_DNS, "dns: glibc's files backend not found: lookups run natively on the pool");
}

/* Parse the hosts line; sources we serve go to out ('f', 'd'). Returns 0,
 * or -1 when the line asks for anything else. */
static int parse_hosts_line(const char *s, char *out, size_t outlen)
{
	size_t n = 0;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '\n' || *s == '#')
			break;
		const char *w = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
		size_t len = s - w;
		if (len == 5 && !strncmp(w, "files", 5) && n + 1 < outlen)
			out[n++] = 'f';
		else if (len == 3 && !strncmp(w, "dns", 3) && n + 1 < outlen)
			out[n++] = 'd';
		else
			return -1;   /* another source, or an [action] */
	}
	out[n] = 0;
	return n ? 0 : -1;
}

/* Re-read nsswitch.conf when it changed, as glibc does. */
static void refresh(void)
{
	struct stat st;
	long r = SYS4(SYS_newfstatat, AT_FDCWD, "/etc/nsswitch.conf", &st, 0);
	struct timespec mt = r == 0 ? st.st_mtim : (struct timespec){ -1, 0 };
	spin_lock(&nss.lock);
	int fresh = nss.loaded && nss.mtime.tv_sec == mt.tv_sec && nss.mtime.tv_nsec == mt.tv_nsec;
	spin_unlock(&nss.lock);
	if (fresh)
		return;
	char sources[8];
	int native = 1;
	size_t len;
	char *buf = r == 0 ? dns_file_read("/etc/nsswitch.conf", 8191, &len, NULL) : NULL;
	if (buf) {
		for (char *line = buf; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
			while (*line == ' ' || *line == '\t')
				line++;
			if (strncmp(line, "hosts", 5))
				continue;
			char *p = line + 5;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != ':')
				continue;
			native = parse_hosts_line(p + 1, sources, sizeof sources) < 0;
			break;
		}
		free(buf);
	}
	/* No file, or no hosts line: glibc's default is "dns [!UNAVAIL=return]
	 * files", which has an action: leave it to glibc. */
	static int backends;
	if (!__atomic_load_n(&backends, __ATOMIC_ACQUIRE)) {
		load_backends();   /* idempotent: a race only does it twice */
		__atomic_store_n(&backends, 1, __ATOMIC_RELEASE);
	}
	spin_lock(&nss.lock);
	nss.loaded = 1;
	nss.mtime = mt;
	nss.native = native || !nss.files4 || !nss.files3 || !nss.filesaddr;
	if (!native)
		memcpy(nss.sources, sources, sizeof sources);
	spin_unlock(&nss.lock);
	LOG(LOG_DNS, "dns: nsswitch.conf hosts: %s", native ? "not all files/dns: native on the pool" : sources);
}

int dns_native(void)
{
	if (coexec_config.dns_native)
		return 1;
	refresh();
	return nss.native;
}

const char *dns_sources(void)
{
	return nss.sources;
}

void dns_offload(void (*fn)(void *), void *arg)
{
	LOG(LOG_DNS, "dns: native lookup on the pool");
	pool_run(fn, arg);
}

/* ---- hostent building ---- */

/* Lay src out in buf as an NSS backend does; 0 or ERANGE. name replaces
 * src->h_name when not NULL. */
static int he_copy(struct hostent *dst, char *buf, size_t len, const struct hostent *src)
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

/* An A or AAAA answer as glibc's dns backend reads it: follow the CNAME
 * chain from the question's name; the owners of the CNAMEs followed are the
 * aliases, the owner of the addresses is h_name. The result points into
 * `flat`. Returns an ARES_* status (ARES_ENODATA: no address). */
#define MAX_ALIASES 48
#define MAX_ADDRS 48
struct flat_he {
	struct hostent he;
	char *aliases[MAX_ALIASES + 1];
	char *addrs[MAX_ADDRS + 1];
	unsigned char addr[MAX_ADDRS][16];
	char names[MAX_ALIASES + 1][NS_MAXDNAME];
};

static int parse_host_answer(const struct dns_answer *a, int af, struct flat_he *f)
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
		struct flat_he *f = malloc(sizeof *f);
		st = dns_status_nss(f ? parse_host_answer(&a, af, f) : ARES_ENOMEM, herrnop);
		if (st == NSS_STATUS_SUCCESS) {
			if (he_copy(he, buf, buflen, &f->he)) {
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
			st = nss.files3(name, af, he, buf, buflen, errnop, herrnop, NULL, canonp);
		else
			st = dns_source_byname(name, af, he, buf, buflen, errnop, herrnop, canonp);
		if (st == NSS_STATUS_SUCCESS)
			break;
		if (st == NSS_STATUS_TRYAGAIN && *errnop == ERANGE && *herrnop == NETDB_INTERNAL)
			break;   /* the caller must grow its buffer */
	}
	return st;
}

/* "in-addr.arpa" or "ip6.arpa" name of an address. */
static int reverse_name(const unsigned char *a, int af, char *out, size_t len)
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

static int parse_ptr_answer(const struct dns_answer *a, char *out, size_t outlen)
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
	reverse_name(a, af, rev, sizeof rev);
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
		st = dns_status_nss(parse_ptr_answer(&ans, name, sizeof name), herrnop);
		char *addrs[2] = { (char *)a, NULL }, *aliases[1] = { NULL };
		struct hostent h = { name, aliases, af, (int)len, addrs };
		if (st == NSS_STATUS_SUCCESS && he_copy(he, buf, buflen, &h)) {
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
			st = nss.filesaddr(addr, len, af, he, buf, buflen, errnop, herrnop);
		else
			st = dns_source_byaddr(addr, len, af, he, buf, buflen, errnop, herrnop);
		if (st == NSS_STATUS_SUCCESS)
			break;
		if (st == NSS_STATUS_TRYAGAIN && *errnop == ERANGE && *herrnop == NETDB_INTERNAL)
			break;
	}
	return st;
}

/* ---- getaddrinfo's host part ---- */

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
		struct flat_he *f = malloc(sizeof *f);
		st[i] = dns_status_nss(f ? parse_host_answer(ans[i], i ? AF_INET6 : AF_INET, f) : ARES_ENOMEM,
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
		enum nss_status st = nss.files4(name, &at, buf, len, &err, herr, NULL);
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
			src == 'f' ? nss.files3(name, af, &he, buf, len, &err, herr, NULL, &canon)
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
