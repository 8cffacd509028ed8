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
 * The tables of rules 2, 5, 6 and 8 (scope, label, precedence) are glibc's
 * or those of /etc/gai.conf (gaiconf.c); the interface data of rules 3, 4,
 * 7 and 9 comes from netlink dumps (netlink.c).
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
 *   - a destination equal to the previous one (whole socket address) reuses
 *     its source without a new connect;
 *   - the sort is glibc's merge sort (halves of n/2 and n - n/2, ties taken
 *     from the left), which matters because rule 9 skips pairs of
 *     different families and the comparison is then not transitive.
 *
 * Known difference from glibc: out of memory, the order is left as it was
 * (glibc fails the lookup). No rule is left out: the data of rules 3, 4, 7
 * and 9 is collected.
 *
 * Everything goes through raw system calls (sched/sys.h): the library
 * interposes socket, connect, close... and errno stays the caller's. */
#include "dns/sort.h"

#include <errno.h>
#include <limits.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/gaiconf.h"
#include "dns/netlink.h"
#include "dns/sort_util.h"
#include "sched/sys.h"

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
