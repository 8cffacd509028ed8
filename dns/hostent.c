/* gethostbyname, gethostbyname2, gethostbyaddr and their _r forms.
 *
 * The _r forms follow glibc's getXXbyYY_r conventions: 0 and *result set on
 * success; on failure *result is NULL, *h_errnop says why, and the return
 * value is errno as the last source left it (ENOENT for a name that does not
 * exist), EAGAIN for a temporary failure, or ERANGE when buf is too small.
 * Numeric names ("192.0.2.1", "::1") never reach a source in glibc: it
 * answers them itself, so we let it.
 *
 * The forms without _r return a hostent in a buffer of the calling
 * coroutine's own (glibc has one static buffer per process, which a
 * neighbour could overwrite while its owner is parked). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dns/internal.h"

/* Does glibc answer this name without NSS (its "digits and dots" check)? */
static int numeric_name(const char *name)
{
	int colon = strchr(name, ':') != NULL;
	for (const char *p = name; *p; p++) {
		if (colon ? !(strchr("0123456789abcdefABCDEF:.", *p)) : !(*p == '.' || (*p >= '0' && *p <= '9')))
			return 0;
	}
	return *name != 0;
}

static int finish(enum nss_status st, int err, int *herr, struct hostent *ret,
		  struct hostent **result)
{
	*result = st == NSS_STATUS_SUCCESS ? ret : NULL;
	if (st == NSS_STATUS_SUCCESS || st == NSS_STATUS_NOTFOUND)
		return 0;
	int r;
	if (err == ERANGE && st != NSS_STATUS_TRYAGAIN)
		r = EINVAL;
	else if (st == NSS_STATUS_TRYAGAIN && *herr != NETDB_INTERNAL)
		r = EAGAIN;
	else
		r = err;
	errno = r;
	return r;
}

struct byname_call {
	const char *name;
	int af;
	struct hostent *ret;
	char *buf;
	size_t buflen;
	struct hostent **result;
	int *herr;
	int r, err;
};

static void byname_native(void *p)
{
	struct byname_call *c = p;
	c->r = dns_libc.gethostbyname2_r(c->name, c->af, c->ret, c->buf, c->buflen, c->result, c->herr);
	c->err = errno;
}

/* glibc's own function: on the pool, or inline where blocking is harmless
 * (pool_run decides). */
static int native_call(void (*fn)(void *), void *c, int *r, int *err)
{
	dns_offload(fn, c);
	errno = *err;
	return *r;
}

int dns_gethostbyname2_r_native(const char *name, int af, struct hostent *ret, char *buf,
				size_t buflen, struct hostent **result, int *h_errnop)
{
	struct byname_call c = { name, af, ret, buf, buflen, result, h_errnop, 0, 0 };
	return native_call(byname_native, &c, &c.r, &c.err);
}

int dns_gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf, size_t buflen,
			 struct hostent **result, int *h_errnop)
{
	if (dns_native() || numeric_name(name) || (af != AF_INET && af != AF_INET6))
		return dns_gethostbyname2_r_native(name, af, ret, buf, buflen, result, h_errnop);
	int err = 0;
	enum nss_status st = dns_byname2(name, af, ret, buf, buflen, &err, h_errnop, NULL);
	return finish(st, err, h_errnop, ret, result);
}

struct byaddr_call {
	const void *addr;
	socklen_t len;
	int af;
	struct hostent *ret;
	char *buf;
	size_t buflen;
	struct hostent **result;
	int *herr;
	int r, err;
};

static void byaddr_native(void *p)
{
	struct byaddr_call *c = p;
	c->r = dns_libc.gethostbyaddr_r(c->addr, c->len, c->af, c->ret, c->buf, c->buflen, c->result, c->herr);
	c->err = errno;
}

int dns_gethostbyaddr_r_native(const void *addr, socklen_t len, int af, struct hostent *ret,
			       char *buf, size_t buflen, struct hostent **result, int *h_errnop)
{
	struct byaddr_call c = { addr, len, af, ret, buf, buflen, result, h_errnop, 0, 0 };
	return native_call(byaddr_native, &c, &c.r, &c.err);
}

int dns_gethostbyaddr_r(const void *addr, socklen_t len, int af, struct hostent *ret, char *buf,
			size_t buflen, struct hostent **result, int *h_errnop)
{
	static const unsigned char any6[16];
	/* glibc refuses the unspecified IPv6 address and bad lengths itself */
	if (dns_native() || !addr || (af == AF_INET6 && len == 16 && !memcmp(addr, any6, 16)) ||
	    (af == AF_INET && len != 4) || (af == AF_INET6 && len != 16) ||
	    (af != AF_INET && af != AF_INET6))
		return dns_gethostbyaddr_r_native(addr, len, af, ret, buf, buflen, result, h_errnop);
	int err = 0;
	enum nss_status st = dns_byaddr2(addr, len, af, ret, buf, buflen, &err, h_errnop);
	return finish(st, err, h_errnop, ret, result);
}

/* ---- the forms with a static result, one per coroutine ---- */

struct hbuf {
	struct hostent he;
	char *buf;
	size_t len;
};

static pthread_key_t hkey;
static pthread_once_t hkey_once = PTHREAD_ONCE_INIT;

static void hbuf_free(void *p)
{
	struct hbuf *b = p;
	free(b->buf);
	free(b);
}

static void hkey_make(void)
{
	pthread_key_create(&hkey, hbuf_free);
}

static struct hbuf *hbuf_get(void)
{
	pthread_once(&hkey_once, hkey_make);
	struct hbuf *b = pthread_getspecific(hkey);
	if (!b && (b = calloc(1, sizeof *b)))
		pthread_setspecific(hkey, b);
	return b;
}

struct call_r {
	int byaddr;
	const void *key;      /* name or address */
	socklen_t len;
	int af;
};

/* Call an _r function with the coroutine's buffer, growing it on ERANGE as
 * glibc grows its static one. */
static struct hostent *with_buffer(const struct call_r *c)
{
	struct hbuf *b = hbuf_get();
	struct hostent *res = NULL;
	int herr = 0, r = ERANGE;
	while (b && r == ERANGE) {
		if (!b->buf || herr == NETDB_INTERNAL) {
			size_t n = b->buf ? b->len * 2 : 1024;
			char *nb = realloc(b->buf, n);
			if (!nb)
				break;
			b->buf = nb;
			b->len = n;
		}
		herr = h_errno;
		r = c->byaddr ? gethostbyaddr_r(c->key, c->len, c->af, &b->he, b->buf, b->len, &res, &herr)
			      : gethostbyname2_r(c->key, c->af, &b->he, b->buf, b->len, &res, &herr);
		if (r == ERANGE && herr != NETDB_INTERNAL)
			break;
	}
	if (!b || r == ERANGE) {
		h_errno = NETDB_INTERNAL;
		errno = ENOMEM;
		return NULL;
	}
	h_errno = herr;   /* also after success, as glibc leaves it */
	return res;
}

struct hostent *dns_gethostbyname2(const char *name, int af)
{
	return with_buffer(&(struct call_r){ 0, name, 0, af });
}

struct hostent *dns_gethostbyaddr(const void *addr, socklen_t len, int af)
{
	return with_buffer(&(struct call_r){ 1, addr, len, af });
}
