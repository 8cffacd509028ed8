/* The interface data the address sort needs, from the kernel's netlink
 * route interface (see netlink.h), the way glibc 2.36 reads it:
 *   - the address dump is used only when it holds an IPv6 address other
 *     than ::1; for each address the IFA_ADDRESS attribute counts,
 *     IFA_LOCAL only without it (so a point-to-point IPv4 address is
 *     recorded under its peer); only the 8-bit ifa_flags are read;
 *   - it is sorted by address (stable) and searched by bisection like
 *     glibc's bsearch, so that duplicate addresses resolve to the same
 *     entry.
 *
 * Known differences from glibc: netlink errors, or a dump that ends without
 * NLMSG_DONE, mean "no interface data" (glibc would wait or abort); glibc
 * reads dumps into a page-sized buffer and drops them when truncated, we
 * use 32 KiB (the kernel never sends a message of more than a page to
 * either); with nscd running, glibc may reuse nscd's cached interface data.
 *
 * Raw system calls only (sched/sys.h): the library hooks socket, recvmsg
 * and close, and errno stays the caller's. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/netlink.h"
#include "dns/sort_util.h"
#include "sched/sys.h"

#define NL_BUF 32768

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

int nl_dump(int type, struct nl_sink *s)
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

static int ifa_addr_cmp(size_t x, size_t y, void *cx)
{
	const struct ifa *v = cx;
	return memcmp(v[x].addr, v[y].addr, 16);
}

struct ifa *ifa_table(size_t *n)
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
const struct ifa *ifa_find(const struct ifa *t, size_t n, const unsigned char key[16])
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
