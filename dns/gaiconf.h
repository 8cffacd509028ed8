/* gai.conf: the policy tables of the address sort (see sort.c), built in
 * or read from /etc/gai.conf the way glibc's getaddrinfo reads it. */
#ifndef DNS_GAICONF_H
#define DNS_GAICONF_H

#include <stddef.h>
#include <stdint.h>

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

/* glibc's own tables, used when there is no gai.conf. */
extern struct gaiconf conf_builtin;

/* The value of the first entry of t[0..n) whose prefix holds the address
 * (IPv4 matched as ::ffff:a.b.c.d); dflt for another family. */
int pfx_lookup(const struct pfx *t, size_t n, int family, const unsigned char *addr, int dflt);

/* The scope of an address (scopev4 table for IPv4). */
int addr_scope(const struct gaiconf *cf, int family, const unsigned char *a);

/* The tables for one sort: loaded at the first one, reloaded when the file
 * asked for it and changed. Give back with conf_put. */
struct gaiconf *conf_get(void);
void conf_put(struct gaiconf *cf);

/* In a forked child, before its first sort. */
void conf_atfork_child(void);

#endif
