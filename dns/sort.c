/* Destination address ordering, the way glibc 2.36's getaddrinfo does it.
 *
 * glibc orders a lookup's answers by RFC 3484 destination address selection.
 * Each destination first gets a source address: a UDP socket is connect()ed
 * to it and getsockname() tells what the kernel chose; a destination whose
 * connect fails is unusable. The interface addresses (an RTM_GETADDR netlink
 * dump, taken afresh for every sort) then tell, for each source address,
 * its flags, its prefix length and its interface. Two destinations A and B
 * are compared rule after rule; the first rule that tells them apart
 * decides:
 *
 *   1  usable before unusable.
 *   2  destination scope equal to its source's scope first.
 *   3  a source that is not deprecated first (IFA_F_DEPRECATED or
 *      IFA_F_OPTIMISTIC).
 *   4  a source that is a home address first (IFA_F_HOMEADDRESS).
 *   5  destination label equal to its source's label first.
 *   6  higher destination precedence first.
 *   7  a source on a "native" interface first (any link type but
 *      ARPHRD_TUNNEL, ARPHRD_TUNNEL6 and ARPHRD_SIT, read with an RTM_GETLINK
 *      dump when first needed); only when the two sources' interface indexes
 *      differ. A source not in the address dump counts as not native.
 *   8  smaller destination scope first.
 *   9  only for two destinations of one family: the longer prefix shared by
 *      destination and source first. For IPv4 the shared prefix counts only
 *      when the destination lies in the source's subnet (its prefix length
 *      from the dump; a source missing from the dump has length 0, which
 *      glibc turns into a full 32-bit mask through an x86 shift by 32).
 *  10  the original order.
 * Rules 2 to 5, 7 and 9 apply only when both have a source.
 *
 * Scope: IPv6 multicast takes its scope field; link-local and ::1 are 2,
 * site-local (fec0::/10) 5, anything else 14. IPv4 goes through the scopev4
 * table (built in: 169.254/16 and 127/8 are 2, the rest 14). Label and
 * precedence come from prefix tables matched in order (IPv4 as ::ffff:a.b.c.d).
 *
 * glibc's particulars kept here:
 *   - one socket is reused as glibc reuses it: opened with the family of the
 *     first destination, replaced only when an IPv6 destination follows an
 *     IPv4 socket, disconnected (connect AF_UNSPEC) between destinations.
 *     IPv4 destinations may thus go through an IPv6 socket (a v4-mapped
 *     source); if that fails with EAFNOSUPPORT (IPv6-only sockets) an IPv4
 *     socket is opened and the connect tried again;
 *   - an IPv4 source is looked up in the address dump as ::ffff:a.b.c.d, and
 *     127/8 as 127.0.0.1 when the socket is IPv4 (not through an IPv6
 *     socket);
 *   - the dump is used only when it holds an IPv6 address other than ::1; for
 *     each address the IFA_ADDRESS attribute counts, IFA_LOCAL only without
 *     it (so a point-to-point IPv4 address is recorded under its peer); only
 *     the 8-bit ifa_flags are read; it is sorted by address (stable) and
 *     searched by bisection like glibc's bsearch, so that duplicate
 *     addresses resolve to the same entry;
 *   - a destination equal to the previous one (whole socket address) reuses
 *     its source without a new connect;
 *   - the sort is glibc's merge sort (halves of n/2 and n - n/2, ties taken
 *     from the left), which matters because rule 9 skips pairs of
 *     different families and the comparison is then not transitive.
 *
 * /etc/gai.conf ("label", "precedence", "scopev4", "reload"): read at the
 * first sort of the process, and again before a later sort only while the
 * file said "reload yes" and its modification time (seconds and
 * nanoseconds) has changed or it cannot be stat()ed. A missing file means
 * the built-in tables; the reload setting survives rereads that do not
 * mention it. Lines are parsed as glibc parses them: '#' starts a comment,
 * a line ends at its first NUL byte, a bare "reload" means no, a missing
 * value reads as 0, the bit count accepts what strtoul accepts ("+8",
 * "-0", "" for 0). A table given in the file replaces the built-in one;
 * ::/0 (or, for scopev4, 0.0.0.0/0) is added with the default value 1
 * (labels), 40 (precedence) or 14 (scope) unless the file has a zero-bit
 * entry; entries are ordered by prefix length, longest first, file order
 * among equals (a stable sort, as glibc's qsort is).
 *
 * Known differences from glibc:
 *   - an entry without "/bits" is taken as /128 (scopev4 IPv4 form: /32);
 *     glibc then tests a pointer it never set (undefined behaviour);
 *   - white space in gai.conf is the C locale's (glibc asks the process's
 *     locale; every usual locale agrees for ASCII);
 *   - out of memory: the order is left as it was (glibc fails the lookup);
 *   - netlink errors, or a dump that ends without NLMSG_DONE, mean "no
 *     interface data" (glibc would wait or abort); glibc reads dumps into a
 *     page-sized buffer and drops them when truncated, we use 32 KiB (the
 *     kernel never sends a message of more than a page to either);
 *   - with nscd running, glibc may reuse nscd's cached interface data;
 *   - concurrent sorts may use the previous gai.conf tables while another
 *     thread rereads it (glibc holds one lock across reload and sort).
 * No rule is left out: the data of rules 3, 4, 7 and 9 is collected.
 *
 * Everything goes through raw system calls (sched/sys.h): the library
 * interposes socket, connect, close, open, read... and errno stays the
 * caller's. */
#include "dns/sort.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "dns/file.h"
#include "sched/sys.h"

#define GAI_CONF "/etc/gai.conf"

/* ---- policy tables ------------------------------------------------------ */

struct pfx {
	unsigned char p[16];
	unsigned bits;
	int val;
};

struct scope4 {
	uint32_t net, mask;   /* host byte order, net already masked */
	unsigned bits;        /* 0..32 */
	int scope;
};

struct gaiconf {
	const struct pfx *label, *prec;
	size_t nlabel, nprec;
	const struct scope4 *scope;
	size_t nscope;
	int refs;             /* sorts using it; -1 for the built-in one */
};

static const struct pfx default_label[] = {
	{ { [15] = 1 }, 128, 0 },                 /* ::1 */
	{ { 0x20, 0x02 }, 16, 2 },                /* 6to4 */
	{ { 0 }, 96, 3 },                         /* IPv4-compatible */
	{ { [10] = 0xff, [11] = 0xff }, 96, 4 },  /* IPv4-mapped */
	{ { 0xfe, 0xc0 }, 10, 5 },                /* site-local */
	{ { 0xfc }, 7, 6 },                       /* unique local */
	{ { 0x20, 0x01 }, 32, 7 },                /* Teredo */
	{ { 0 }, 0, 1 },
};

static const struct pfx default_prec[] = {
	{ { [15] = 1 }, 128, 50 },
	{ { 0x20, 0x02 }, 16, 30 },
	{ { 0 }, 96, 20 },
	{ { [10] = 0xff, [11] = 0xff }, 96, 10 },
	{ { 0 }, 0, 40 },
};

static const struct scope4 default_scope[] = {
	{ 0xa9fe0000u, 0xffff0000u, 16, 2 },      /* 169.254/16 */
	{ 0x7f000000u, 0xff000000u, 8, 2 },       /* 127/8 */
	{ 0, 0, 0, 14 },
};

static struct gaiconf conf_builtin = {
	default_label, default_prec,
	sizeof default_label / sizeof default_label[0],
	sizeof default_prec / sizeof default_prec[0],
	default_scope, sizeof default_scope / sizeof default_scope[0],
	-1,
};

static void map4(unsigned char out[16], const unsigned char v4[4])
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}

static int pfx_match(const unsigned char *a, const unsigned char *p, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, p, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char m = (unsigned char)(0xff00u >> rest);
	return (a[whole] & m) == (p[whole] & m);
}

/* The value of the first entry whose prefix holds the address. */
static int pfx_lookup(const struct pfx *t, size_t n, int family,
		      const unsigned char *addr, int dflt)
{
	unsigned char buf[16];
	if (family == AF_INET) {
		map4(buf, addr);
		addr = buf;
	} else if (family != AF_INET6) {
		return dflt;
	}
	for (size_t i = 0; i < n; i++)
		if (pfx_match(addr, t[i].p, t[i].bits))
			return t[i].val;
	return dflt;          /* not reached: every table ends with a /0 */
}

static int addr_scope(const struct gaiconf *cf, int family, const unsigned char *a)
{
	if (family == AF_INET6) {
		if (a[0] == 0xff)
			return a[1] & 0xf;
		static const unsigned char loop[16] = { [15] = 1 };
		if ((a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || memcmp(a, loop, 16) == 0)
			return 2;
		if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
			return 5;
		return 14;
	}
	if (family == AF_INET) {
		uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
			     (uint32_t)a[2] << 8 | a[3];
		for (size_t i = 0; i < cf->nscope; i++)
			if ((v & cf->scope[i].mask) == cf->scope[i].net)
				return cf->scope[i].scope;
		return 14;    /* not reached */
	}
	return 15;
}

/* ---- merge sort over index arrays, as glibc's qsort (msort) runs ---------- */

typedef int (*idx_cmp)(size_t x, size_t y, void *cx);

static void msort_idx(size_t *b, size_t n, size_t *tmp, idx_cmp cmp, void *cx)
{
	if (n <= 1)
		return;
	size_t n1 = n / 2, n2 = n - n1;
	size_t *l = b, *r = b + n1;
	msort_idx(l, n1, tmp, cmp, cx);
	msort_idx(r, n2, tmp, cmp, cx);
	size_t *t = tmp;
	while (n1 > 0 && n2 > 0) {
		if (cmp(*l, *r, cx) <= 0) {
			*t++ = *l++;
			n1--;
		} else {
			*t++ = *r++;
			n2--;
		}
	}
	if (n1 > 0)
		memcpy(t, l, n1 * sizeof *b);
	memcpy(b, tmp, (n - n2) * sizeof *b);
}

/* ---- gai.conf ------------------------------------------------------------ */

static int conf_lock;
static struct gaiconf *conf_cur;       /* NULL until the first sort */
static int conf_reload;                /* the last "reload" line said yes */
static int conf_reload_ever;           /* some "reload yes" was ever read */
static long conf_mtime_sec, conf_mtime_nsec;

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* strtoul(s, &end, 10) followed by glibc's checks: the whole string used,
 * no overflow. Sign and empty string behave as in strtoul. */
static int parse_ulong(const char *s, unsigned long *out)
{
	const char *p = s;
	int neg = 0;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (*p < '0' || *p > '9') {
		*out = 0;
		return *s == '\0';   /* no digits: strtoul leaves end at s */
	}
	unsigned long v = 0;
	int over = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (ULONG_MAX - d) / 10)
			over = 1;
		v = v * 10 + d;
	}
	if (*p != '\0' || over)
		return 0;
	*out = neg ? -v : v;
	return 1;
}

struct plist {
	struct pfx *e;
	size_t n, cap;
	int zero;             /* an entry with 0 bits was given */
};

struct slist {
	struct scope4 *e;
	size_t n, cap;
	int zero;
};

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 8;
	void *q = realloc(*p, c * size);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static int plist_add(struct plist *l, const unsigned char *p, unsigned bits, int val)
{
	if (grow((void **)&l->e, &l->cap, l->n, sizeof *l->e))
		return -1;
	memcpy(l->e[l->n].p, p, 16);
	l->e[l->n].bits = bits;
	l->e[l->n].val = val;
	l->n++;
	l->zero |= bits == 0;
	return 0;
}

static int slist_add(struct slist *l, const unsigned char v4[4], unsigned bits, int val)
{
	if (grow((void **)&l->e, &l->cap, l->n, sizeof *l->e))
		return -1;
	uint32_t mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
	uint32_t v = (uint32_t)v4[0] << 24 | (uint32_t)v4[1] << 16 | (uint32_t)v4[2] << 8 | v4[3];
	l->e[l->n] = (struct scope4){ v & mask, mask, bits, val };
	l->n++;
	l->zero |= bits == 0;
	return 0;
}

/* "PREFIX[/BITS] VALUE" of a label or precedence line. */
static int parse_pfx(char *v1, const char *v2, struct plist *l)
{
	unsigned char a[16];
	unsigned long bits = 128, val;
	char *slash = strchr(v1, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET6, v1, a) != 1)
		return 0;
	if (slash && !parse_ulong(slash, &bits))
		return 0;
	if (bits > 128 || !parse_ulong(v2, &val) || val > INT_MAX)
		return 0;
	return plist_add(l, a, (unsigned)bits, (int)val);
}

/* "::ffff:A.B.C.D[/96..128] VALUE" or "A.B.C.D[/0..32] VALUE". */
static int parse_scope(char *v1, const char *v2, struct slist *l)
{
	unsigned char a[16];
	unsigned long bits, val;
	char *slash = strchr(v1, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET6, v1, a) == 1) {
		static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
		bits = 128;
		if (memcmp(a, mapped, 12) != 0)
			return 0;
		if (slash && !parse_ulong(slash, &bits))
			return 0;
		if (bits < 96 || bits > 128 || !parse_ulong(v2, &val) || val > INT_MAX)
			return 0;
		return slist_add(l, a + 12, (unsigned)bits - 96, (int)val);
	}
	bits = 32;
	if (inet_pton(AF_INET, v1, a) != 1)
		return 0;
	if (slash && !parse_ulong(slash, &bits))
		return 0;
	if (bits > 32 || !parse_ulong(v2, &val) || val > INT_MAX)
		return 0;
	return slist_add(l, a, (unsigned)bits, (int)val);
}

static int pfx_longer(size_t x, size_t y, void *cx)
{
	const struct pfx *e = cx;
	return e[x].bits > e[y].bits ? -1 : e[x].bits < e[y].bits ? 1 : 0;
}

static int scope_longer(size_t x, size_t y, void *cx)
{
	const struct scope4 *e = cx;
	return e[x].bits > e[y].bits ? -1 : e[x].bits < e[y].bits ? 1 : 0;
}

/* Order the entries longest prefix first, stably, into dst. */
static int order_table(void *dst, const void *src, size_t n, size_t size, idx_cmp cmp)
{
	size_t *ix = malloc(2 * n * sizeof *ix);
	if (!ix)
		return -1;
	for (size_t i = 0; i < n; i++)
		ix[i] = i;
	msort_idx(ix, n, ix + n, cmp, (void *)src);
	for (size_t i = 0; i < n; i++)
		memcpy((char *)dst + i * size, (const char *)src + ix[i] * size, size);
	free(ix);
	return 0;
}

/* Build the tables from the file's text (text[len] must be writable; the
 * text is cut up). *reload: -1 when no reload line, else the last one's
 * setting; *reload_yes: some line said yes. NULL when out of memory. */
static struct gaiconf *conf_parse(char *text, size_t len, int *reload, int *reload_yes)
{
	struct plist labels = { 0 }, precs = { 0 };
	struct slist scopes = { 0 };
	struct gaiconf *cf = NULL;
	int oom = 0;

	*reload = -1;
	*reload_yes = 0;
	text[len] = '\0';
	for (char *line = text; line < text + len && !oom;) {
		char *nl = memchr(line, '\n', (size_t)(text + len - line));
		char *next = nl ? nl + 1 : text + len;
		if (nl)
			*nl = '\0';
		char *cp = strchr(line, '#');
		if (cp)
			*cp = '\0';
		cp = line;
		while (is_space(*cp))
			cp++;
		char *cmd = cp;
		while (*cp && !is_space(*cp))
			cp++;
		size_t cmdlen = (size_t)(cp - cmd);
		if (*cp)
			*cp++ = '\0';
		while (is_space(*cp))
			cp++;
		char *v1 = cp;
		while (*cp && !is_space(*cp))
			cp++;
		if (*cp)
			*cp++ = '\0';
		while (is_space(*cp))
			cp++;
		char *v2 = cp;
		while (*cp && !is_space(*cp))
			cp++;
		*cp = '\0';
		line = next;
		if (cmdlen == 0)
			continue;

		if (strcmp(cmd, "label") == 0) {
			oom = parse_pfx(v1, v2, &labels) < 0;
		} else if (strcmp(cmd, "precedence") == 0) {
			oom = parse_pfx(v1, v2, &precs) < 0;
		} else if (strcmp(cmd, "scopev4") == 0) {
			oom = parse_scope(v1, v2, &scopes) < 0;
		} else if (strcmp(cmd, "reload") == 0) {
			*reload = strcmp(v1, "yes") == 0;
			*reload_yes |= *reload;
		}
	}
	if (oom)
		goto out;

	/* A default entry for everything else, unless the file has one. */
	static const unsigned char any[16];
	static const unsigned char any4[4];
	if ((labels.n && !labels.zero && plist_add(&labels, any, 0, 1) < 0) ||
	    (precs.n && !precs.zero && plist_add(&precs, any, 0, 40) < 0) ||
	    (scopes.n && !scopes.zero && slist_add(&scopes, any4, 0, 14) < 0))
		goto out;

	size_t sz = sizeof *cf + (labels.n + precs.n) * sizeof(struct pfx) +
		    scopes.n * sizeof(struct scope4);
	cf = malloc(sz);
	if (!cf)
		goto out;
	char *mem = (char *)(cf + 1);
	*cf = conf_builtin;
	cf->refs = 0;
	if (labels.n) {
		if (order_table(mem, labels.e, labels.n, sizeof(struct pfx), pfx_longer))
			goto fail;
		cf->label = (const struct pfx *)mem;
		cf->nlabel = labels.n;
		mem += labels.n * sizeof(struct pfx);
	}
	if (precs.n) {
		if (order_table(mem, precs.e, precs.n, sizeof(struct pfx), pfx_longer))
			goto fail;
		cf->prec = (const struct pfx *)mem;
		cf->nprec = precs.n;
		mem += precs.n * sizeof(struct pfx);
	}
	if (scopes.n) {
		if (order_table(mem, scopes.e, scopes.n, sizeof(struct scope4), scope_longer))
			goto fail;
		cf->scope = (const struct scope4 *)mem;
		cf->nscope = scopes.n;
	}
	goto out;
fail:
	free(cf);
	cf = NULL;
out:
	free(labels.e);
	free(precs.e);
	free(scopes.e);
	return cf;
}

/* Read and parse the file. Returns the built-in tables when it cannot be
 * opened (*found = 0), NULL when out of memory. */
static struct gaiconf *conf_load(int *found, int *reload, int *reload_yes,
				 long *msec, long *mnsec)
{
	*found = 0;
	*reload = -1;
	*reload_yes = 0;
	size_t len;
	struct timespec mt;
	char *buf = dns_file_read(GAI_CONF, DNS_FILE_ANY, &len, &mt);
	if (!buf)         /* no file, or no memory: both mean the built-in */
		return &conf_builtin;
	struct gaiconf *cf = conf_parse(buf, len, reload, reload_yes);
	free(buf);
	if (!cf)
		return NULL;
	*found = 1;
	*msec = mt.tv_sec;
	*mnsec = mt.tv_nsec;
	return cf;
}

static void conf_free(struct gaiconf *cf)
{
	if (cf && cf != &conf_builtin)
		free(cf);
}

/* The tables for one sort: loaded at the first one, reloaded when the file
 * asked for it and changed. Give back with conf_put. */
static struct gaiconf *conf_get(void)
{
	spin_lock(&conf_lock);
	int loaded = conf_cur != NULL;
	int check = loaded && conf_reload_ever && conf_reload;
	long osec = conf_mtime_sec, onsec = conf_mtime_nsec;
	spin_unlock(&conf_lock);

	int load = !loaded;
	if (check) {
		struct stat st;
		if (SYS4(SYS_newfstatat, AT_FDCWD, GAI_CONF, &st, 0) < 0 ||
		    st.st_mtim.tv_sec != osec || st.st_mtim.tv_nsec != onsec)
			load = 1;
	}
	if (load) {
		int found, reload, yes;
		long sec = 0, nsec = 0;
		struct gaiconf *cf = conf_load(&found, &reload, &yes, &sec, &nsec);
		if (!cf)          /* out of memory: glibc falls back to the built-in */
			cf = &conf_builtin;
		struct gaiconf *old = NULL;
		spin_lock(&conf_lock);
		if (loaded || !conf_cur) {  /* a first load happens once */
			old = conf_cur;
			conf_cur = cf;
			cf = NULL;
			if (reload >= 0)
				conf_reload = reload;
			conf_reload_ever |= yes;
			if (found) {
				conf_mtime_sec = sec;
				conf_mtime_nsec = nsec;
			}
			if (old && old->refs != 0)
				old = NULL;   /* its last user frees it */
		}
		spin_unlock(&conf_lock);
		conf_free(cf);
		conf_free(old);
	}

	spin_lock(&conf_lock);
	struct gaiconf *cf = conf_cur;
	if (cf->refs >= 0)
		cf->refs++;
	spin_unlock(&conf_lock);
	return cf;
}

static void conf_put(struct gaiconf *cf)
{
	if (cf->refs < 0)
		return;
	spin_lock(&conf_lock);
	int dead = --cf->refs == 0 && cf != conf_cur;
	spin_unlock(&conf_lock);
	if (dead)
		free(cf);
}

/* ---- netlink ------------------------------------------------------------- */

#define NL_BUF 32768

struct ifa {
	unsigned char addr[16];   /* IPv4 as ::ffff:a.b.c.d */
	uint8_t flags;
	uint8_t plen;
	uint32_t index;
};

#define IFA_DEPRECATED 1
#define IFA_HOME 2

struct lnk {
	uint32_t index;
	unsigned short type;
};

struct nl_sink {
	struct ifa *ifa;
	struct lnk *lnk;
	size_t n, cap;
	int seen6;                /* an IPv6 address other than ::1 */
};

static int nl_take_addr(struct nl_sink *s, const struct nlmsghdr *h)
{
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
		return 0;
	const struct ifaddrmsg *m = NLMSG_DATA(h);
	if (m->ifa_family != AF_INET && m->ifa_family != AF_INET6)
		return 0;
	size_t need = m->ifa_family == AF_INET ? 4 : 16;
	const unsigned char *local = NULL, *address = NULL;
	const struct rtattr *rta = IFA_RTA(m);
	unsigned int len = h->nlmsg_len - NLMSG_LENGTH(sizeof *m);
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (RTA_PAYLOAD(rta) < need)
			continue;
		if (rta->rta_type == IFA_LOCAL) {
			local = RTA_DATA(rta);
		} else if (rta->rta_type == IFA_ADDRESS) {
			address = RTA_DATA(rta);
			break;
		}
	}
	if (!address)
		address = local;
	if (!address)
		return 0;
	if (grow((void **)&s->ifa, &s->cap, s->n, sizeof *s->ifa))
		return -1;
	struct ifa *e = &s->ifa[s->n++];
	if (m->ifa_family == AF_INET) {
		map4(e->addr, address);
	} else {
		static const unsigned char loop[16] = { [15] = 1 };
		memcpy(e->addr, address, 16);
		if (memcmp(address, loop, 16) != 0)
			s->seen6 = 1;
	}
	e->flags = ((m->ifa_flags & (IFA_F_DEPRECATED | IFA_F_OPTIMISTIC)) ? IFA_DEPRECATED : 0) |
		   ((m->ifa_flags & IFA_F_HOMEADDRESS) ? IFA_HOME : 0);
	e->plen = m->ifa_prefixlen;
	e->index = m->ifa_index;
	return 0;
}

static int nl_take_link(struct nl_sink *s, const struct nlmsghdr *h)
{
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return 0;
	const struct ifinfomsg *m = NLMSG_DATA(h);
	if (grow((void **)&s->lnk, &s->cap, s->n, sizeof *s->lnk))
		return -1;
	s->lnk[s->n].index = (uint32_t)m->ifi_index;
	s->lnk[s->n].type = m->ifi_type;
	s->n++;
	return 0;
}

/* Dump the addresses (RTM_GETADDR) or links (RTM_GETLINK) of every
 * family into s. 0, or -1 when the dump could not be had. */
static int nl_dump(int type, struct nl_sink *s)
{
	long fd = SYS(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	int ret = -1;
	char *buf = NULL;
	struct sockaddr_nl me = { .nl_family = AF_NETLINK };
	socklen_t mlen = sizeof me;
	if (SYS(SYS_bind, fd, &me, sizeof me) < 0 ||
	    SYS(SYS_getsockname, fd, &me, &mlen) < 0)
		goto out;
	buf = malloc(NL_BUF);
	if (!buf)
		goto out;

	static unsigned seq_counter;
	uint32_t seq = __atomic_add_fetch(&seq_counter, 1, __ATOMIC_RELAXED);
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
		char pad[3];
	} req;
	memset(&req, 0, sizeof req);
	req.h.nlmsg_len = sizeof req;
	req.h.nlmsg_type = (unsigned short)type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = seq;
	req.g.rtgen_family = AF_UNSPEC;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	long r;
	do
		r = SYS6(SYS_sendto, fd, &req, sizeof req, 0, &kernel, sizeof kernel);
	while (r == -EINTR);
	if (r < 0)
		goto out;

	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = { buf, NL_BUF };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof from,
				      .msg_iov = &iov, .msg_iovlen = 1 };
		do
			r = SYS(SYS_recvmsg, fd, &msg, 0);
		while (r == -EINTR);
		if (r <= 0 || (msg.msg_flags & MSG_TRUNC))
			goto out;
		size_t left = (size_t)r;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (from.nl_pid != 0 || h->nlmsg_pid != me.nl_pid || h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				ret = 0;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR)
				goto out;
			if (h->nlmsg_type == RTM_NEWADDR && type == RTM_GETADDR) {
				if (nl_take_addr(s, h))
					goto out;
			} else if (h->nlmsg_type == RTM_NEWLINK && type == RTM_GETLINK) {
				if (nl_take_link(s, h))
					goto out;
			}
		}
	}
out:
	free(buf);
	sys_close((int)fd);
	return ret;
}

/* ---- the sort ------------------------------------------------------------ */

struct ent {
	int fam;                  /* destination */
	unsigned char dst[16];
	int usable;               /* a source address was found */
	unsigned char src[16];    /* of the destination's family */
	uint8_t flags;            /* IFA_DEPRECATED, IFA_HOME */
	uint8_t plen;
	uint32_t index;           /* 0xffffffff: not in the dump */
	int native;               /* -1 until rule 7 needs it */
	int dscope, sscope, dlabel, slabel, prec;
};

struct sortcx {
	struct ent *e;
	size_t n;
	struct nl_sink links;
	int links_state;          /* 0 not asked yet, 1 had, -1 failed */
};

static int ifa_addr_cmp(size_t x, size_t y, void *cx)
{
	const struct ifa *v = cx;
	return memcmp(v[x].addr, v[y].addr, 16);
}

/* The interface addresses sorted by address, or n = 0 when they are not to
 * be used (no dump, or no IPv6 address but ::1). */
static struct ifa *ifa_table(size_t *n)
{
	struct nl_sink s = { 0 };
	*n = 0;
	if (nl_dump(RTM_GETADDR, &s) < 0 || !s.seen6 || s.n == 0) {
		free(s.ifa);
		return NULL;
	}
	struct ifa *sorted = malloc(s.n * sizeof *sorted);
	if (!sorted || order_table(sorted, s.ifa, s.n, sizeof *sorted, ifa_addr_cmp)) {
		free(sorted);
		free(s.ifa);
		return NULL;
	}
	free(s.ifa);
	*n = s.n;
	return sorted;
}

/* Bisection as glibc's bsearch does it (the same entry among equals). */
static const struct ifa *ifa_find(const struct ifa *t, size_t n, const unsigned char key[16])
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = memcmp(key, t[mid].addr, 16);
		if (c < 0)
			hi = mid;
		else if (c > 0)
			lo = mid + 1;
		else
			return &t[mid];
	}
	return NULL;
}

union sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

static socklen_t make_sa(const struct dns_addr *a, uint16_t port, union sa *s)
{
	memset(s, 0, sizeof *s);
	if (a->family == AF_INET) {
		s->in.sin_family = AF_INET;
		s->in.sin_port = port;
		memcpy(&s->in.sin_addr, a->addr, 4);
		return sizeof s->in;
	}
	s->in6.sin6_family = (sa_family_t)a->family;
	s->in6.sin6_port = port;
	memcpy(&s->in6.sin6_addr, a->addr, 16);
	s->in6.sin6_scope_id = a->scope_id;
	return sizeof s->in6;
}

static void open_sock(long *fd, int *af, int fam)
{
	if (*fd >= 0)
		sys_close((int)*fd);
	*af = fam;
	*fd = SYS(SYS_socket, fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

/* Find each destination's source address, with glibc's socket reuse. */
static void find_sources(struct ent *e, const struct dns_addr *a, size_t n, uint16_t port,
			 const struct ifa *ifa, size_t nifa)
{
	long fd = -1;             /* or -errno of the failed socket() */
	int af = AF_UNSPEC;
	union sa prev, cur;
	socklen_t prevlen = 0;

	for (size_t i = 0; i < n; i++) {
		struct ent *x = &e[i];
		socklen_t len = make_sa(&a[i], port, &cur);
		x->fam = a[i].family;
		memset(x->dst, 0, 16);
		memcpy(x->dst, a[i].addr, x->fam == AF_INET ? 4 : 16);
		x->native = -1;
		if (i > 0 && len == prevlen && memcmp(&cur, &prev, len) == 0) {
			x->usable = e[i - 1].usable;
			memcpy(x->src, e[i - 1].src, 16);
			x->flags = e[i - 1].flags;
			x->plen = e[i - 1].plen;
			x->index = e[i - 1].index;
			continue;
		}
		prev = cur;
		prevlen = len;
		x->usable = 0;
		memset(x->src, 0, 16);
		x->flags = 0;
		x->plen = 0;
		x->index = 0xffffffffu;

		if (fd < 0 || (af == AF_INET && x->fam == AF_INET6)) {
			open_sock(&fd, &af, x->fam);
		} else {
			struct sockaddr un = { .sa_family = AF_UNSPEC };
			SYS(SYS_connect, fd, &un, sizeof un);
		}
		union sa src;
		long r;
		for (;;) {
			socklen_t sl = sizeof src.in6;
			r = fd;
			if (fd >= 0 && (r = SYS(SYS_connect, fd, &cur.sa, len)) == 0)
				r = SYS(SYS_getsockname, fd, &src.sa, &sl);
			if (r == -EAFNOSUPPORT && af == AF_INET6 && x->fam == AF_INET) {
				open_sock(&fd, &af, x->fam);  /* IPv6-only sockets */
				continue;
			}
			break;
		}
		if (r != 0)
			continue;

		x->usable = 1;
		unsigned char key[16];
		if (x->fam == AF_INET && af == AF_INET) {
			unsigned char v4[4];
			memcpy(v4, &src.in.sin_addr, 4);
			if (v4[0] == 127) {
				static const unsigned char lo[4] = { 127, 0, 0, 1 };
				memcpy(v4, lo, 4);
			}
			map4(key, v4);
			memcpy(x->src, &src.in.sin_addr, 4);
		} else {
			memcpy(key, &src.in6.sin6_addr, 16);
			if (x->fam == AF_INET)     /* IPv6 socket: ::ffff:a.b.c.d */
				memcpy(x->src, key + 12, 4);
			else
				memcpy(x->src, key, 16);
		}
		const struct ifa *f = ifa_find(ifa, nifa, key);
		if (f) {
			x->flags = f->flags;
			x->plen = f->plen;
			x->index = f->index;
		}
	}
	if (fd >= 0)
		sys_close((int)fd);
}

static int is_native(struct sortcx *cx, struct ent *x)
{
	if (x->native >= 0)
		return x->native;
	int native = 0;
	if (x->index != 0xffffffffu) {
		if (cx->links_state == 0)
			cx->links_state = nl_dump(RTM_GETLINK, &cx->links) < 0 ? -1 : 1;
		for (size_t i = 0; i < cx->links.n; i++)
			if (cx->links.lnk[i].index == x->index) {
				unsigned short t = cx->links.lnk[i].type;
				native = t != ARPHRD_TUNNEL && t != ARPHRD_TUNNEL6 && t != ARPHRD_SIT;
				break;
			}
		for (size_t i = 0; i < cx->n; i++)
			if (cx->e[i].index == x->index)
				cx->e[i].native = native;
	}
	return native;
}

static unsigned lead_zeros(uint32_t v)
{
	return v ? (unsigned)__builtin_clz(v) : 32;
}

static uint32_t word(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Rule 9 for IPv4: shared leading bits, if inside the source's subnet. */
static unsigned match4(const struct ent *x)
{
	uint32_t d = word(x->dst), s = word(x->src);
	uint32_t mask = 0xffffffffu << ((32u - x->plen) & 31);
	return (d & mask) == (s & mask) ? lead_zeros(d ^ s) : 0;
}

static int ent_cmp(size_t i, size_t j, void *arg)
{
	struct sortcx *cx = arg;
	struct ent *a = &cx->e[i], *b = &cx->e[j];

	if (a->usable != b->usable)                              /* rule 1 */
		return a->usable ? -1 : 1;
	int both = a->usable;
	if (both) {
		int ma = a->dscope == a->sscope, mb = b->dscope == b->sscope;
		if (ma != mb)                                    /* rule 2 */
			return ma ? -1 : 1;
		int da = a->flags & IFA_DEPRECATED, db = b->flags & IFA_DEPRECATED;
		if (!da != !db)                                  /* rule 3 */
			return da ? 1 : -1;
		int ha = a->flags & IFA_HOME, hb = b->flags & IFA_HOME;
		if (!ha != !hb)                                  /* rule 4 */
			return ha ? -1 : 1;
		ma = a->dlabel == a->slabel;
		mb = b->dlabel == b->slabel;
		if (ma != mb)                                    /* rule 5 */
			return ma ? -1 : 1;
	}
	if (a->prec != b->prec)                                  /* rule 6 */
		return a->prec > b->prec ? -1 : 1;
	if (both && a->index != b->index) {                      /* rule 7 */
		int na = is_native(cx, a), nb = is_native(cx, b);
		if (na != nb)
			return na ? -1 : 1;
	}
	if (a->dscope != b->dscope)                              /* rule 8 */
		return a->dscope < b->dscope ? -1 : 1;
	if (both && a->fam == b->fam) {                          /* rule 9 */
		unsigned ba = 0, bb = 0;
		if (a->fam == AF_INET) {
			ba = match4(a);
			bb = match4(b);
		} else if (a->fam == AF_INET6) {
			for (int w = 0; w < 16; w += 4) {
				uint32_t xa = word(a->dst + w) ^ word(a->src + w);
				uint32_t xb = word(b->dst + w) ^ word(b->src + w);
				if (xa || xb) {
					ba = lead_zeros(xa);
					bb = lead_zeros(xb);
					break;
				}
			}
		}
		if (ba != bb)
			return ba > bb ? -1 : 1;
	}
	return i < j ? -1 : 1;                                   /* rule 10 */
}

/* Fill in the table values of e[0..n) and sort: order[] (the identity on
 * entry) gets the permutation. links: the link table when the caller has
 * it, else NULL (dumped when rule 7 first needs it). -1 when out of memory. */
static int order_ents(struct ent *e, size_t n, const struct gaiconf *cf,
		      const struct nl_sink *links, size_t *order)
{
	size_t *tmp = malloc(n * sizeof *tmp);
	if (!tmp)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct ent *x = &e[i];
		x->dscope = addr_scope(cf, x->fam, x->dst);
		x->dlabel = pfx_lookup(cf->label, cf->nlabel, x->fam, x->dst, INT_MAX);
		x->prec = pfx_lookup(cf->prec, cf->nprec, x->fam, x->dst, 0);
		/* the source is of the destination's family */
		x->sscope = addr_scope(cf, x->fam, x->src);
		x->slabel = pfx_lookup(cf->label, cf->nlabel, x->fam, x->src, INT_MAX);
	}
	struct sortcx cx = { .e = e, .n = n };
	if (links) {
		cx.links = *links;
		cx.links_state = 1;
	}
	msort_idx(order, n, tmp, ent_cmp, &cx);
	if (!links)
		free(cx.links.lnk);
	free(tmp);
	return 0;
}

void dns_sort_order(const struct dns_addr *a, size_t n, uint16_t port, size_t *order)
{
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	if (n < 2)
		return;
	size_t nifa;
	struct ifa *ifa = ifa_table(&nifa);
	struct ent *e = malloc(n * sizeof *e);
	if (e) {
		find_sources(e, a, n, port, ifa, nifa);
		struct gaiconf *cf = conf_get();
		order_ents(e, n, cf, NULL, order);
		conf_put(cf);
	}
	free(e);
	free(ifa);
}

void dns_sort(struct dns_addr *a, size_t n, uint16_t port)
{
	if (n < 2)
		return;
	size_t *order = malloc(n * sizeof *order);
	struct dns_addr *copy = malloc(n * sizeof *copy);
	if (order && copy) {
		dns_sort_order(a, n, port, order);
		memcpy(copy, a, n * sizeof *a);
		for (size_t i = 0; i < n; i++)
			a[i] = copy[order[i]];
	}
	free(order);
	free(copy);
}
