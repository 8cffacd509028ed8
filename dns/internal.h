/* The resolver's internals, shared by the files of dns/ (the interface
 * the shim calls is dns.h).
 *
 * glibc's resolver talks to the DNS server through libc's private socket
 * calls, which no hook sees, so under coexec a lookup would block its worker.
 * We answer the same questions ourselves: /etc/hosts through glibc's own
 * "files" backend (its _nss_files_* functions, so the file is read exactly as
 * glibc reads it), the DNS through c-ares, whose sockets the calling
 * coroutine waits on by parking. nsswitch.conf decides the order. When it
 * names a source we cannot serve, or COEXEC_DNS=native, the real glibc
 * function runs on the blocking-call pool (sched/pool.h) instead. */
#ifndef DNS_INTERNAL_H
#define DNS_INTERNAL_H

#include <arpa/nameser.h>
#include <ares.h>
#include <netdb.h>
#include <nss.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dns.h"
#include "dns/sort.h"

/* glibc's functions, as the caller of dns_set_libc gave them (setup.c). */
extern struct dns_libc dns_libc;

/* ---- c-ares channels (chan.c) ---- */

/* One channel per call: it reads resolv.conf (and RES_OPTIONS,
 * LOCALDOMAIN) afresh, as glibc rereads a changed resolv.conf. Its sockets
 * are made with raw system calls, entered in the descriptor table, and
 * waited for by parking the caller. */
struct dns_chan {
	ares_channel ch;
	int pending;          /* queries whose callback has not run */
};

/* The outcome of one query: c-ares status, and the raw answer (malloc'd,
 * or NULL when no server answered). */
struct dns_answer {
	int status;
	unsigned char *buf;
	int len;
};

/* ARES_SUCCESS, or a c-ares error (the channel is then unusable). */
int dns_chan_open(struct dns_chan *c);
/* The same with c-ares options of the caller's (include ARES_OPT_LOOKUPS "b"). */
int dns_chan_open_options(struct dns_chan *c, struct ares_options *o, int mask);
void dns_chan_close(struct dns_chan *c);
/* Start a query for name (type T_A, ...), through the search list when
 * search is nonzero (res_search rules), or as given otherwise. */
void dns_query(struct dns_chan *c, const char *name, int type, int search,
	       struct dns_answer *a);
/* Send a query packet the caller built (res_send). */
void dns_send(struct dns_chan *c, const unsigned char *q, int qlen, struct dns_answer *a);
/* Run until every started query has called back. */
void dns_chan_run(struct dns_chan *c);
void dns_answer_free(struct dns_answer *a);

/* A c-ares status as the NSS status and h_errno glibc's dns backend gives. */
enum nss_status dns_status_nss(int ares_status, int *herr);

/* ---- nsswitch.conf's hosts sources, glibc's files backend (sources.c) ---- */

/* Use the real glibc function (on the pool) instead of ours? True when
 * COEXEC_DNS=native, when nsswitch.conf's hosts line names anything but
 * files and dns (or has [actions]), or when glibc's files backend is
 * missing. Rechecked when nsswitch.conf changes. */
int dns_native(void);

/* The hosts sources in order, as a string of 'f' (files) and 'd' (dns). */
const char *dns_sources(void);

/* Run fn(arg) where a blocking glibc call is harmless: the pool. */
void dns_offload(void (*fn)(void *), void *arg);

/* In a forked child (from dns_atfork_child). */
void dns_sources_atfork_child(void);

/* glibc's "files" backend, found by the first dns_native(): all three are
 * set whenever dns_native() has said 0. */
typedef enum nss_status (*dns_byname4_fn)(const char *, struct gaih_addrtuple **, char *, size_t,
					  int *, int *, int32_t *);
typedef enum nss_status (*dns_byname3_fn)(const char *, int, struct hostent *, char *, size_t,
					  int *, int *, int32_t *, char **);
typedef enum nss_status (*dns_byaddr_fn)(const void *, socklen_t, int, struct hostent *, char *,
					 size_t, int *, int *);
struct dns_files {
	dns_byname4_fn byname4;
	dns_byname3_fn byname3;
	dns_byaddr_fn byaddr;
};
extern struct dns_files dns_files;

/* ---- answers and their layout (answer.c) ---- */

/* Lay src out in buf as an NSS backend does; 0 or ERANGE. */
int dns_he_copy(struct hostent *dst, char *buf, size_t len, const struct hostent *src);

/* An A or AAAA answer as glibc's dns backend reads it: follow the CNAME
 * chain from the question's name; the owners of the CNAMEs followed are the
 * aliases, the owner of the addresses is h_name. The result points into
 * the dns_flat_he. Returns an ARES_* status (ARES_ENODATA: no address). */
#define MAX_ALIASES 48
#define MAX_ADDRS 48
struct dns_flat_he {
	struct hostent he;
	char *aliases[MAX_ALIASES + 1];
	char *addrs[MAX_ADDRS + 1];
	unsigned char addr[MAX_ADDRS][16];
	char names[MAX_ALIASES + 1][NS_MAXDNAME];
};
int dns_parse_host_answer(const struct dns_answer *a, int af, struct dns_flat_he *f);

/* The "in-addr.arpa" or "ip6.arpa" name of an address; 0, or -1 when out
 * (len bytes) is too small for an IPv6 name. */
int dns_reverse_name(const unsigned char *a, int af, char *out, size_t len);

/* The name of the first PTR record of the name asked (after CNAMEs, for
 * classless delegation) into out; an ARES_* status. */
int dns_parse_ptr_answer(const struct dns_answer *a, char *out, size_t outlen);

/* ---- lookups over the sources, as glibc's NSS loop runs them (lookup.c) ---- */

/* gethostbyname2_r over the sources: result in he/buf as glibc's would be.
 * canonp (may be NULL) receives the canonical name (in buf). */
enum nss_status dns_byname2(const char *name, int af, struct hostent *he, char *buf,
			    size_t buflen, int *errnop, int *herrnop, char **canonp);
/* gethostbyaddr_r over the sources. */
enum nss_status dns_byaddr2(const void *addr, socklen_t len, int af, struct hostent *he,
			    char *buf, size_t buflen, int *errnop, int *herrnop);

/* A list of addresses found for getaddrinfo, with the canonical name. */
struct dns_hosts {
	struct dns_addr *a;
	size_t n, cap;
	char *canon;          /* malloc'd, or NULL */
};
/* The host part of getaddrinfo for a name that is not numeric: 0 or an
 * EAI_* code. flags are the request's ai_flags (AI_V4MAPPED, AI_ALL,
 * AI_CANONNAME). */
int dns_hosts_lookup(const char *name, int family, int flags, struct dns_hosts *h);
void dns_hosts_free(struct dns_hosts *h);

#endif
