/* /etc/gai.conf and the built-in policy tables, as glibc 2.36 has them.
 *
 * The file ("label", "precedence", "scopev4", "reload") is read at the
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
 * Scope: IPv6 multicast takes its scope field; link-local and ::1 are 2,
 * site-local (fec0::/10) 5, anything else 14. IPv4 goes through the scopev4
 * table (built in: 169.254/16 and 127/8 are 2, the rest 14). Label and
 * precedence come from prefix tables matched in order (IPv4 as
 * ::ffff:a.b.c.d).
 *
 * Known differences from glibc:
 *   - an entry without "/bits" is taken as /128 (scopev4 IPv4 form: /32);
 *     glibc then tests a pointer it never set (undefined behaviour);
 *   - white space is the C locale's (glibc asks the process's locale;
 *     every usual locale agrees for ASCII);
 *   - concurrent sorts may use the previous tables while another thread
 *     rereads the file (glibc holds one lock across reload and sort).
 *
 * The file is read with raw system calls (file.c): errno stays the
 * caller's. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dns/file.h"
#include "dns/gaiconf.h"
#include "dns/sort_util.h"
#include "sched/sys.h"

#define GAI_CONF "/etc/gai.conf"

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

struct gaiconf conf_builtin = {
	default_label, default_prec,
	sizeof default_label / sizeof default_label[0],
	sizeof default_prec / sizeof default_prec[0],
	default_scope, sizeof default_scope / sizeof default_scope[0],
	-1,
};

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

int pfx_lookup(const struct pfx *t, size_t n, int family, const unsigned char *addr, int dflt)
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

int addr_scope(const struct gaiconf *cf, int family, const unsigned char *a)
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

struct gaiconf *conf_get(void)
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

void conf_put(struct gaiconf *cf)
{
	if (cf->refs < 0)
		return;
	spin_lock(&conf_lock);
	int dead = --cf->refs == 0 && cf != conf_cur;
	spin_unlock(&conf_lock);
	if (dead)
		free(cf);
}

/* In a forked child. The parsed tables stay: glibc's child keeps them too,
 * and rereads the file only under "reload yes" like the parent would. But
 * the lock may have been copied held, and the sorts that held references
 * ran on threads the child does not have: the current tables have no user
 * now, and tables they still held are left to leak rather than guessed at.
 * A reload the fork interrupted may leave the modification time behind the
 * tables: at worst one more reread, when reloading is on. */
void conf_atfork_child(void)
{
	conf_lock = 0;
	if (conf_cur && conf_cur->refs > 0)
		conf_cur->refs = 0;
}
