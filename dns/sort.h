/* Destination address ordering for getaddrinfo (dns/sort.c).
 *
 * glibc sorts getaddrinfo's answers by the destination address selection
 * rules of RFC 3484, with its own policy tables or those of /etc/gai.conf;
 * dns_sort gives the same order to the same list. Uses raw system calls
 * only (sched/sys.h): no hook and no errno of the caller is touched. */
#ifndef DNS_SORT_H
#define DNS_SORT_H

#include <stddef.h>
#include <stdint.h>

struct dns_addr {
	int family;                 /* AF_INET or AF_INET6 */
	unsigned char addr[16];     /* 4 bytes used for AF_INET */
	uint32_t scope_id;          /* sin6_scope_id, 0 if none */
};

/* Order a[0..n) as glibc's getaddrinfo would order the same destinations
 * (RFC 3484 rules with glibc's tables or /etc/gai.conf). Stable.
 *
 * port (network byte order) is the port of the answers, 0 when getaddrinfo
 * was given no service: glibc connects a UDP socket to each answer's own
 * socket address, port included, to learn the source address, and routing
 * may depend on the port (ip rule ... dport, cgroup connect hooks).
 *
 * Call it only when the lookup found two addresses or more: glibc sorts, and
 * reads /etc/gai.conf for the first time in the process, only then (n < 2
 * does nothing here either).
 *
 * glibc sorts one entry per (address, socket type): the entries of one
 * address are adjacent and equal under every rule. Giving each address once
 * and expanding the socket types afterwards gives the same order, except in
 * one corner: glibc's comparison is not transitive when an IPv4 and an IPv6
 * destination tie up to rule 8 (rule 9 only compares destinations of one
 * family), and then the outcome of its merge sort depends on the length of
 * the list. For that corner too, sort the expanded list with
 * dns_sort_order. */
void dns_sort(struct dns_addr *a, size_t n, uint16_t port);

/* The same order as a permutation, a left as it is: order[k] is the index
 * in a[] of the k-th destination. Identical entries may be given (adjacent,
 * as glibc has them for several socket types). */
void dns_sort_order(const struct dns_addr *a, size_t n, uint16_t port, size_t *order);

#endif
