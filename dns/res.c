/* The resolver API: res_query, res_search, res_querydomain, res_send and
 * their res_n* forms, for a coroutine (the entries, and the __res_* names
 * older binaries link to, are in shim/resolv.c).
 *
 * The questions go out through c-ares. The resolver state decides where:
 * `_res` for the plain forms, the caller's res_state for the n forms,
 * initialised from resolv.conf first by the plain forms if the program has
 * not done so, as glibc does. Its IPv4 name servers (with their ports),
 * retrans, retry and ndots are honoured; a state listing IPv6 servers
 * keeps the servers of resolv.conf. Results follow glibc: the length of the answer, or -1 with
 * h_errno saying why (HOST_NOT_FOUND for NXDOMAIN, NO_DATA for an empty
 * answer, TRY_AGAIN for SERVFAIL or no answer, NO_RECOVERY otherwise); the
 * answer buffer receives the reply either way. */
#include <arpa/nameser.h>
#include <errno.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include "dns/internal.h"

/* Point the channel at the state's servers and timing. */
static void use_state(struct dns_chan *c, res_state st)
{
	struct ares_addr_port_node nodes[MAXNS];
	int n = st->nscount < MAXNS ? st->nscount : MAXNS;
	for (int i = 0; i < n; i++) {
		if (st->nsaddr_list[i].sin_family != AF_INET)
			return;
		nodes[i] = (struct ares_addr_port_node){
			.next = i + 1 < n ? &nodes[i + 1] : NULL,
			.family = AF_INET,
			.addr.addr4 = st->nsaddr_list[i].sin_addr,
			.udp_port = ntohs(st->nsaddr_list[i].sin_port),
			.tcp_port = ntohs(st->nsaddr_list[i].sin_port),
		};
	}
	if (n > 0)
		ares_set_servers_ports(c->ch, nodes);
}

static int open_for(struct dns_chan *c, res_state st)
{
	/* the search list as res_search builds it from the options */
	char *domains[MAXDNSRCH + 1];
	int ndomains = 0;
	if (st->options & RES_DNSRCH) {
		for (int i = 0; i < MAXDNSRCH && st->dnsrch[i]; i++)
			domains[ndomains++] = st->dnsrch[i];
	} else if ((st->options & RES_DEFNAMES) && st->defdname[0]) {
		domains[ndomains++] = st->defdname;
	}
	struct ares_options o = {
		.timeout = st->retrans > 0 ? st->retrans * 1000 : 5000,
		.tries = st->retry > 0 ? st->retry : 2,
		.ndots = st->ndots,
		.lookups = (char *)"b",
		.domains = domains,
		.ndomains = ndomains,
	};
	int r = dns_chan_open_options(c, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS |
					      ARES_OPT_LOOKUPS | ARES_OPT_DOMAINS |
					      (st->options & RES_ROTATE ? ARES_OPT_ROTATE : ARES_OPT_NOROTATE));
	if (r != ARES_SUCCESS)
		return -1;
	use_state(c, st);
	return 0;
}

/* Run one started query; copy the reply; glibc's return value. */
static int finish(res_state st, struct dns_chan *c, struct dns_answer *a, unsigned char *answer,
		  int anslen, int raw)
{
	dns_chan_run(c);
	dns_chan_close(c);
	if (a->buf && answer && anslen > 0)
		memcpy(answer, a->buf, a->len < anslen ? a->len : anslen);
	int herr, len = a->len < anslen ? a->len : anslen;   /* glibc truncates too */
	if (raw) {
		/* res_send: any reply counts */
		dns_answer_free(a);
		if (len > 0)
			return len;
		errno = a->status == ARES_ECONNREFUSED ? ECONNREFUSED : ETIMEDOUT;
		return -1;
	}
	dns_status_nss(a->status, &herr);
	dns_answer_free(a);
	if (a->status == ARES_SUCCESS)
		return len;
	if (herr == NETDB_INTERNAL)
		herr = NO_RECOVERY;
	st->res_h_errno = h_errno = herr;
	errno = herr == TRY_AGAIN ? ETIMEDOUT : ENOENT;
	return -1;
}

static int query(res_state st, const char *name, int class, int type, unsigned char *answer,
		 int anslen, int search)
{
	struct dns_chan c;
	struct dns_answer a;
	if (class != ns_c_in) {
		/* c-ares asks in the class we give it, but only through its
		 * query interface: build the packet ourselves */
		unsigned char *q;
		int qlen;
		if (ares_create_query(name, class, type, 0, 1, &q, &qlen, 0) != ARES_SUCCESS) {
			h_errno = NO_RECOVERY;
			return -1;
		}
		if (open_for(&c, st) < 0) {
			ares_free_string(q);
			h_errno = NETDB_INTERNAL;
			return -1;
		}
		dns_send(&c, q, qlen, &a);
		ares_free_string(q);
		return finish(st, &c, &a, answer, anslen, 0);
	}
	if (open_for(&c, st) < 0) {
		h_errno = NETDB_INTERNAL;
		return -1;
	}
	dns_query(&c, name, type, search, &a);
	return finish(st, &c, &a, answer, anslen, 0);
}

/* glibc's own function on the pool (COEXEC_DNS=native, or nsswitch.conf
 * asks for it). */
struct res_call {
	int which;
	res_state st;
	const char *name, *domain;
	int class, type;
	const unsigned char *msg;
	int msglen;
	unsigned char *answer;
	int anslen, r, err, herr;
};

enum { Q_QUERY, Q_SEARCH, Q_QUERYDOMAIN, Q_SEND };

static void res_native(void *p)
{
	struct res_call *c = p;
	switch (c->which) {
	case Q_QUERY:
		c->r = dns_libc.res_nquery(c->st, c->name, c->class, c->type, c->answer, c->anslen);
		break;
	case Q_SEARCH:
		c->r = dns_libc.res_nsearch(c->st, c->name, c->class, c->type, c->answer, c->anslen);
		break;
	case Q_QUERYDOMAIN:
		c->r = dns_libc.res_nquerydomain(c->st, c->name, c->domain, c->class, c->type,
						 c->answer, c->anslen);
		break;
	default:
		c->r = dns_libc.res_nsend(c->st, c->msg, c->msglen, c->answer, c->anslen);
	}
	c->err = errno;
	c->herr = h_errno;
}

static int offload(struct res_call *c)
{
	dns_offload(res_native, c);
	errno = c->err;
	h_errno = c->herr;
	return c->r;
}

int dns_res_nquery(res_state st, const char *name, int class, int type, unsigned char *answer,
		   int anslen)
{
	if (dns_native())
		return offload(&(struct res_call){ .which = Q_QUERY, .st = st, .name = name,
						   .class = class, .type = type, .answer = answer,
						   .anslen = anslen });
	return query(st, name, class, type, answer, anslen, 0);
}

int dns_res_nsearch(res_state st, const char *name, int class, int type, unsigned char *answer,
		    int anslen)
{
	if (dns_native())
		return offload(&(struct res_call){ .which = Q_SEARCH, .st = st, .name = name,
						   .class = class, .type = type, .answer = answer,
						   .anslen = anslen });
	return query(st, name, class, type, answer, anslen, 1);
}

int dns_res_nquerydomain(res_state st, const char *name, const char *domain, int class, int type,
			 unsigned char *answer, int anslen)
{
	if (dns_native())
		return offload(&(struct res_call){ .which = Q_QUERYDOMAIN, .st = st, .name = name,
						   .domain = domain, .class = class, .type = type,
						   .answer = answer, .anslen = anslen });
	char full[NS_MAXDNAME];
	size_t n = strlen(name), d = domain ? strlen(domain) : 0;
	if (!domain) {
		/* a trailing dot is dropped: the name is absolute anyway */
		if (n >= NS_MAXDNAME) {
			h_errno = NO_RECOVERY;
			return -1;
		}
		memcpy(full, name, n + 1);
		if (n > 0 && full[n - 1] == '.')
			full[n - 1] = 0;
	} else {
		if (n + 1 + d >= NS_MAXDNAME) {
			h_errno = NO_RECOVERY;
			return -1;
		}
		memcpy(full, name, n);
		full[n] = '.';
		memcpy(full + n + 1, domain, d + 1);
	}
	return query(st, full, class, type, answer, anslen, 0);
}

int dns_res_nsend(res_state st, const unsigned char *msg, int msglen, unsigned char *answer,
		  int anslen)
{
	if (dns_native())
		return offload(&(struct res_call){ .which = Q_SEND, .st = st, .msg = msg,
						   .msglen = msglen, .answer = answer,
						   .anslen = anslen });
	struct dns_chan c;
	struct dns_answer a;
	if (open_for(&c, st) < 0)
		return -1;
	dns_send(&c, msg, msglen, &a);
	return finish(st, &c, &a, answer, anslen, 1);
}

/* The plain forms use the calling thread's `_res` (per coroutine: see
 * cls/res_state.c), reading resolv.conf into it first if the program has
 * not (the n forms take an uninitialised state as glibc does: a failure). */
static int init_res(void)
{
	if (_res.options & RES_INIT)
		return 0;
	if (res_ninit(&_res) == 0)
		return 0;
	h_errno = NETDB_INTERNAL;
	return -1;
}

int dns_res_query(const char *name, int class, int type, unsigned char *answer, int anslen)
{
	if (init_res() < 0)
		return -1;
	return res_nquery(&_res, name, class, type, answer, anslen);
}

int dns_res_search(const char *name, int class, int type, unsigned char *answer, int anslen)
{
	if (init_res() < 0)
		return -1;
	return res_nsearch(&_res, name, class, type, answer, anslen);
}

int dns_res_querydomain(const char *name, const char *domain, int class, int type,
			unsigned char *answer, int anslen)
{
	if (init_res() < 0)
		return -1;
	return res_nquerydomain(&_res, name, domain, class, type, answer, anslen);
}

int dns_res_send(const unsigned char *msg, int msglen, unsigned char *answer, int anslen)
{
	if (init_res() < 0)
		return -1;
	return res_nsend(&_res, msg, msglen, answer, anslen);
}
