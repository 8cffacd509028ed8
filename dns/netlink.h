/* The interface data of the address sort (see sort.c): addresses with
 * their flags, prefix lengths and interfaces (RTM_GETADDR), and link types
 * (RTM_GETLINK), dumped over a NETLINK_ROUTE socket as glibc dumps them. */
#ifndef DNS_NETLINK_H
#define DNS_NETLINK_H

#include <stddef.h>
#include <stdint.h>

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

/* Dump the addresses (RTM_GETADDR) or links (RTM_GETLINK) of every
 * family into s. 0, or -1 when the dump could not be had. */
int nl_dump(int type, struct nl_sink *s);

/* The interface addresses sorted by address, or n = 0 when they are not to
 * be used (no dump, or no IPv6 address but ::1). malloc'd. */
struct ifa *ifa_table(size_t *n);

/* An address of the table, found as glibc's bsearch finds it. */
const struct ifa *ifa_find(const struct ifa *t, size_t n, const unsigned char key[16]);

#endif
