/* The resolver: name lookups that park the calling coroutine instead of
 * blocking its worker (the files of dns/, their internals in internal.h).
 *
 * The interposed entries (shim/dns.c, shim/resolv.c) decide whether a call
 * is ours at all (a coroutine among others; an initialised resolver state)
 * and hand over the rest to the functions below, which answer as glibc's
 * namesakes would, or run glibc's own function on the blocking-call pool
 * when we cannot stand in for it. The core never looks for glibc itself:
 * its caller gives it glibc's functions (dns_set_libc) before the first
 * call, and the configuration (dns_set_native). */
#ifndef DNS_DNS_H
#define DNS_DNS_H

#include <netdb.h>
#include <resolv.h>
#include <stddef.h>
#include <sys/socket.h>

/* glibc's own definitions of the names the core stands in for, and a way
 * to find the names libc exports for its own modules (the files backend,
 * _nss_files_gethostbyname4_r and friends, and _res_hconf): sym returns
 * libc's definition, or NULL. */
struct dns_libc {
	int (*getaddrinfo)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
	int (*getnameinfo)(const struct sockaddr *, socklen_t, char *, socklen_t, char *, socklen_t,
			   int);
	int (*gethostbyname2_r)(const char *, int, struct hostent *, char *, size_t,
				struct hostent **, int *);
	int (*gethostbyaddr_r)(const void *, socklen_t, int, struct hostent *, char *, size_t,
			       struct hostent **, int *);
	int (*res_nquery)(res_state, const char *, int, int, unsigned char *, int);
	int (*res_nsearch)(res_state, const char *, int, int, unsigned char *, int);
	int (*res_nquerydomain)(res_state, const char *, const char *, int, int, unsigned char *,
				int);
	int (*res_nsend)(res_state, const unsigned char *, int, unsigned char *, int);
	void *(*sym)(const char *name);
};

/* Give the core glibc's functions (copied), before any other call below.
 * Callers racing here must all give the same table. */
void dns_set_libc(const struct dns_libc *l);

/* COEXEC_DNS=native: every lookup runs glibc's own function on the pool.
 * Before the first lookup of a coroutine. */
void dns_set_native(int native);

/* getaddrinfo and getnameinfo, called by a coroutine that shares its
 * worker (others would be blocked by glibc's resolver). */
int dns_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		    struct addrinfo **res);
int dns_getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
		    char *serv, socklen_t servlen, int flags);

/* gethostbyname2_r and gethostbyaddr_r, by such a coroutine; the _native
 * forms are glibc's own function, on the pool where that is needed, for
 * every other caller. */
int dns_gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
			 size_t buflen, struct hostent **result, int *h_errnop);
int dns_gethostbyname2_r_native(const char *name, int af, struct hostent *ret, char *buf,
				size_t buflen, struct hostent **result, int *h_errnop);
int dns_gethostbyaddr_r(const void *addr, socklen_t len, int af, struct hostent *ret, char *buf,
			size_t buflen, struct hostent **result, int *h_errnop);
int dns_gethostbyaddr_r_native(const void *addr, socklen_t len, int af, struct hostent *ret,
			       char *buf, size_t buflen, struct hostent **result, int *h_errnop);

/* gethostbyname2 and gethostbyaddr for any caller: the _r functions (by
 * their libc names) into a buffer of the calling coroutine's own. */
struct hostent *dns_gethostbyname2(const char *name, int af);
struct hostent *dns_gethostbyaddr(const void *addr, socklen_t len, int af);

/* res_nquery, res_nsearch, res_nquerydomain and res_nsend by a coroutine,
 * on a state it has initialised. */
int dns_res_nquery(res_state st, const char *name, int class, int type, unsigned char *answer,
		   int anslen);
int dns_res_nsearch(res_state st, const char *name, int class, int type, unsigned char *answer,
		    int anslen);
int dns_res_nquerydomain(res_state st, const char *name, const char *domain, int class, int type,
			 unsigned char *answer, int anslen);
int dns_res_nsend(res_state st, const unsigned char *msg, int msglen, unsigned char *answer,
		  int anslen);

/* The plain forms by a coroutine: on its `_res`, read from resolv.conf
 * first if the program has not initialised it, then through the n forms
 * (by their libc names). */
int dns_res_query(const char *name, int class, int type, unsigned char *answer, int anslen);
int dns_res_search(const char *name, int class, int type, unsigned char *answer, int anslen);
int dns_res_querydomain(const char *name, const char *domain, int class, int type,
			unsigned char *answer, int anslen);
int dns_res_send(const unsigned char *msg, int msglen, unsigned char *answer, int anslen);

/* In a forked child, before it resolves anything: the resolver's process
 * state as a fresh process has it, apart from what stays valid there (see
 * setup.c). Whether the forking thread is a coroutine or not: the locks
 * are the whole process's. No allocation, no system call. */
void dns_atfork_child(void);

#endif
