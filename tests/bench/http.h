/* Shared by http_threads.c and http_epoll.c: the HTTP/1.1 request parser and
 * the response bytes, so that the two servers do exactly the same work per
 * request.  Plain C, nothing coexec-specific.
 *
 * The parser is deliberately small but correct for what it accepts: a
 * request line "METHOD SP TARGET SP HTTP/x.y CRLF", header lines up to the
 * empty line (CRLF CRLF), Connection (a token list: close / keep-alive) and
 * Content-Length (the body is skipped, not read into memory).  Transfer-
 * Encoding (chunked bodies) is refused with 501.  Persistence follows RFC
 * 9112: HTTP/1.1 keeps the connection unless "Connection: close", HTTP/1.0
 * closes it unless "Connection: keep-alive". */
#ifndef BENCH_HTTP_H
#define BENCH_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#define HTTP_MAX_HEAD 8192          /* request line + headers, bytes */

#define HTTP_BODY "Hello, world\n"  /* 13 bytes */
#define HTTP_HEAD_COMMON "Server: coexec-bench\r\nContent-Type: text/plain\r\n" \
    "Content-Length: 13\r\n"

/* The responses, indexed by http_response(): keep-alive or close, GET or
 * HEAD (no body), and the error replies, which always close. */
static const char http_ok_keep[] = "HTTP/1.1 200 OK\r\n" HTTP_HEAD_COMMON
    "Connection: keep-alive\r\n\r\n" HTTP_BODY;
static const char http_ok_close[] = "HTTP/1.1 200 OK\r\n" HTTP_HEAD_COMMON
    "Connection: close\r\n\r\n" HTTP_BODY;
static const char http_head_keep[] = "HTTP/1.1 200 OK\r\n" HTTP_HEAD_COMMON
    "Connection: keep-alive\r\n\r\n";
static const char http_head_close[] = "HTTP/1.1 200 OK\r\n" HTTP_HEAD_COMMON
    "Connection: close\r\n\r\n";
static const char http_400[] = "HTTP/1.1 400 Bad Request\r\n"
    "Content-Length: 0\r\nConnection: close\r\n\r\n";
static const char http_431[] = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
    "Content-Length: 0\r\nConnection: close\r\n\r\n";
static const char http_501[] = "HTTP/1.1 501 Not Implemented\r\n"
    "Content-Length: 0\r\nConnection: close\r\n\r\n";

struct http_req {
    int keep_alive;         /* the connection persists after the reply */
    int head;               /* HEAD: reply without the body */
    uint64_t body_len;      /* Content-Length: bytes to skip after the head */
};

/* The reply to a request (status > 0 from http_parse: 200) or to an error
 * (http_parse's negated status), and its length. */
static inline const char *http_response(int status, const struct http_req *r,
                                        size_t *len)
{
    const char *p;
    switch (status) {
    case 200:
        if (r->head)
            p = r->keep_alive ? http_head_keep : http_head_close;
        else
            p = r->keep_alive ? http_ok_keep : http_ok_close;
        break;
    case 431: p = http_431; break;
    case 501: p = http_501; break;
    default:  p = http_400; break;
    }
    *len = strlen(p);       /* constant-folded for the literals above */
    return p;
}

/* Does the header value [v, e) contain the token tok (comma-separated list,
 * case-insensitive, optional whitespace)? */
static inline int http_has_token(const char *v, const char *e, const char *tok)
{
    size_t tl = strlen(tok);
    while (v < e) {
        while (v < e && (*v == ' ' || *v == '\t' || *v == ','))
            v++;
        const char *s = v;
        while (v < e && *v != ',')
            v++;
        const char *t = v;
        while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((size_t)(t - s) == tl && !strncasecmp(s, tok, tl))
            return 1;
    }
    return 0;
}

/* Parse one request head at buf[0, len).  Returns the length of the head
 * (request line through CRLF CRLF, > 0) and fills *r when it is complete;
 * 0 when more bytes are needed; a negated status (-400, -431, -501) when
 * the request is malformed, too large or not supported: reply with
 * http_response(-ret) and close.  The body, r->body_len bytes, follows the
 * head and is the caller's to skip. */
static inline long http_parse(const char *buf, size_t len, struct http_req *r)
{
    const char *end = memmem(buf, len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD,
                             "\r\n\r\n", 4);
    if (!end)
        return len >= HTTP_MAX_HEAD ? -431 : 0;
    end += 2;               /* at the final CRLF: each line ends with CRLF */

    /* Request line. */
    const char *p = buf, *eol = memchr(p, '\r', (size_t)(end - p));
    const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
    if (!sp1 || sp1 == p)
        return -400;
    const char *sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
    if (!sp2 || sp2 == sp1 + 1 || eol - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/", 5)
        || sp2[6] < '0' || sp2[6] > '9' || sp2[7] != '.' || sp2[8] < '0' || sp2[8] > '9')
        return -400;
    int minor11 = sp2[6] > '1' || (sp2[6] == '1' && sp2[8] >= '1');
    r->head = sp1 - p == 4 && !memcmp(p, "HEAD", 4);
    r->keep_alive = minor11;
    r->body_len = 0;

    /* Header lines. */
    int conn_close = 0, conn_keep = 0;
    for (p = eol + 2; p < end; p = eol + 2) {
        eol = memchr(p, '\r', (size_t)(end - p));
        if (eol[1] != '\n')
            return -400;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (!colon || colon == p)
            return -400;
        size_t nl = (size_t)(colon - p);
        const char *v = colon + 1;
        if (nl == 10 && !strncasecmp(p, "connection", 10)) {
            conn_close |= http_has_token(v, eol, "close");
            conn_keep |= http_has_token(v, eol, "keep-alive");
        } else if (nl == 14 && !strncasecmp(p, "content-length", 14)) {
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            uint64_t n = 0;
            const char *d = v;
            while (d < eol && *d >= '0' && *d <= '9') {
                if (n > UINT64_MAX / 10 - 1)
                    return -400;
                n = n * 10 + (uint64_t)(*d++ - '0');
            }
            while (d < eol && (*d == ' ' || *d == '\t'))
                d++;
            if (d == v || d != eol)
                return -400;
            r->body_len = n;
        } else if (nl == 17 && !strncasecmp(p, "transfer-encoding", 17)) {
            return -501;
        }
    }
    if (conn_close)
        r->keep_alive = 0;
    else if (conn_keep)
        r->keep_alive = 1;
    return end + 2 - buf;
}

#endif
