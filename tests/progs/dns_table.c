/* dns_table: a table of name lookups, printed one item a line, so that a
 * run under coexec can be compared with a native one.
 *
 *   dns_table [--list | CASE...]
 *
 * Meant to run inside tests/dns/ns-run, whose private /etc/hosts and
 * dnsmasq zone it knows (names under cx.test, the search domain
 * corp.test); outside it the lookups of invented names just fail.
 *
 * The cases cover getaddrinfo (names from /etc/hosts only, from DNS only,
 * from both; families; every AI_* flag; services; every error code),
 * getnameinfo (NI_* flags, short buffers), gethostbyname, gethostbyname2
 * and their _r forms (ERANGE with a tiny buffer), gethostbyaddr(_r), and
 * res_query, res_search, res_querydomain, res_send, the res_n* forms on a
 * res_ninit'd state and the pre-2.34 __res_* symbols that old binaries
 * call.  Each case runs on the main thread and then on a thread of its own
 * (a coroutine under coexec).  DNS answers are parsed and printed record
 * by record (type, class and data, not the TTL or the message id, which
 * vary).
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <dlfcn.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/un.h>

#include "harness.h"

/* ---- names of things ---------------------------------------------------- */

static const char *eai_name(int rc)
{
    switch (rc) {
    case 0: return "0";
    case EAI_BADFLAGS: return "EAI_BADFLAGS";
    case EAI_NONAME: return "EAI_NONAME";
    case EAI_AGAIN: return "EAI_AGAIN";
    case EAI_FAIL: return "EAI_FAIL";
    case EAI_FAMILY: return "EAI_FAMILY";
    case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
    case EAI_SERVICE: return "EAI_SERVICE";
    case EAI_MEMORY: return "EAI_MEMORY";
    case EAI_SYSTEM: return "EAI_SYSTEM";
    case EAI_OVERFLOW: return "EAI_OVERFLOW";
    case EAI_NODATA: return "EAI_NODATA";
    case EAI_ADDRFAMILY: return "EAI_ADDRFAMILY";
    case EAI_INPROGRESS: return "EAI_INPROGRESS";
    case EAI_CANCELED: return "EAI_CANCELED";
    case EAI_NOTCANCELED: return "EAI_NOTCANCELED";
    case EAI_ALLDONE: return "EAI_ALLDONE";
    case EAI_INTR: return "EAI_INTR";
    case EAI_IDN_ENCODE: return "EAI_IDN_ENCODE";
    }
    return "EAI_?";
}

static const char *herr_name(int h)
{
    switch (h) {
    case NETDB_INTERNAL: return "NETDB_INTERNAL";
    case NETDB_SUCCESS: return "NETDB_SUCCESS";
    case HOST_NOT_FOUND: return "HOST_NOT_FOUND";
    case TRY_AGAIN: return "TRY_AGAIN";
    case NO_RECOVERY: return "NO_RECOVERY";
    case NO_DATA: return "NO_DATA";
    }
    return "h_errno?";
}

static const char *fam_name(int f)
{
    static __thread char buf[16];
    switch (f) {
    case AF_UNSPEC: return "AF_UNSPEC";
    case AF_INET: return "AF_INET";
    case AF_INET6: return "AF_INET6";
    case AF_UNIX: return "AF_UNIX";
    }
    snprintf(buf, sizeof buf, "AF_%d", f);
    return buf;
}

static const char *type_name(int t)
{
    static __thread char buf[16];
    switch (t) {
    case 0: return "0";
    case SOCK_STREAM: return "STREAM";
    case SOCK_DGRAM: return "DGRAM";
    case SOCK_RAW: return "RAW";
    case SOCK_SEQPACKET: return "SEQPACKET";
    }
    snprintf(buf, sizeof buf, "TYPE_%d", t);
    return buf;
}

static const char *ai_flags_name(int fl)
{
    static __thread char buf[160];
    static const struct { int f; const char *n; } names[] = {
        {AI_PASSIVE, "PASSIVE"}, {AI_CANONNAME, "CANONNAME"},
        {AI_NUMERICHOST, "NUMERICHOST"}, {AI_V4MAPPED, "V4MAPPED"},
        {AI_ALL, "ALL"}, {AI_ADDRCONFIG, "ADDRCONFIG"},
        {AI_NUMERICSERV, "NUMERICSERV"},
    };
    buf[0] = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (fl & names[i].f) {
            fl &= ~names[i].f;
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s",
                     buf[0] ? "|" : "", names[i].n);
        }
    if (fl)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s0x%x",
                 buf[0] ? "|" : "", fl);
    return buf[0] ? buf : "0";
}

static const char *ni_flags_name(int fl)
{
    static __thread char buf[160];
    static const struct { int f; const char *n; } names[] = {
        {NI_NUMERICHOST, "NUMERICHOST"}, {NI_NUMERICSERV, "NUMERICSERV"},
        {NI_NOFQDN, "NOFQDN"}, {NI_NAMEREQD, "NAMEREQD"}, {NI_DGRAM, "DGRAM"},
    };
    buf[0] = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (fl & names[i].f) {
            fl &= ~names[i].f;
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s",
                     buf[0] ? "|" : "", names[i].n);
        }
    if (fl)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s0x%x",
                 buf[0] ? "|" : "", fl);
    return buf[0] ? buf : "0";
}

/* "192.0.2.1:80", "[2001:db8::1%1]:80" (scope id as a number, flow info if
 * any), or what else the address is. */
static void fmt_sockaddr(const struct sockaddr *sa, socklen_t len, char *out,
                         size_t n)
{
    char a[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *s = (const void *)sa;
        inet_ntop(AF_INET, &s->sin_addr, a, sizeof a);
        snprintf(out, n, "%s:%u", a, ntohs(s->sin_port));
    } else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *s = (const void *)sa;
        inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof a);
        char scope[24] = "", flow[24] = "";
        if (s->sin6_scope_id)
            snprintf(scope, sizeof scope, "%%%u", s->sin6_scope_id);
        if (s->sin6_flowinfo)
            snprintf(flow, sizeof flow, " flow=%u", ntohl(s->sin6_flowinfo));
        snprintf(out, n, "[%s%s]:%u%s", a, scope, ntohs(s->sin6_port), flow);
    } else {
        snprintf(out, n, "(family %d, length %u)", sa->sa_family, (unsigned)len);
    }
}

/* ---- getaddrinfo ------------------------------------------------------- */

/* One getaddrinfo call with hints (family, socktype, protocol, flags); NULL
 * node or service as given. */
static void gai4(const char *node, const char *serv, int fam, int type,
                 int proto, int flags)
{
    struct addrinfo h, *res = NULL;
    memset(&h, 0, sizeof h);
    h.ai_family = fam;
    h.ai_socktype = type;
    h.ai_protocol = proto;
    h.ai_flags = flags;
    errno = 0;
    int rc = getaddrinfo(node, serv, &h, &res);
    int e = errno;
    char desc[256];
    snprintf(desc, sizeof desc, "getaddrinfo(%s%s%s, %s%s%s, %s %s %d %s)",
             node ? "\"" : "", node ? node : "NULL", node ? "\"" : "",
             serv ? "\"" : "", serv ? serv : "NULL", serv ? "\"" : "",
             fam_name(fam), type_name(type), proto, ai_flags_name(flags));
    if (rc) {
        if (rc == EAI_SYSTEM)
            say("%s = EAI_SYSTEM (%s) errno %s", desc, gai_strerror(rc), en(e));
        else
            say("%s = %s (%s)", desc, eai_name(rc), gai_strerror(rc));
        if (res)
            say("  BUG: result list set on error");
        return;
    }
    int n = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        n++;
    say("%s = 0, %d result%s", desc, n, n == 1 ? "" : "s");
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        char a[128];
        fmt_sockaddr(ai->ai_addr, ai->ai_addrlen, a, sizeof a);
        say("  %s %s %d %s len=%u flags=%s%s%s", fam_name(ai->ai_family),
            type_name(ai->ai_socktype), ai->ai_protocol, a,
            (unsigned)ai->ai_addrlen, ai_flags_name(ai->ai_flags),
            ai->ai_canonname ? " canon=" : "",
            ai->ai_canonname ? ai->ai_canonname : "");
    }
    freeaddrinfo(res);
}

/* The usual form: no socktype (so one result per socktype per address
 * unless a service says otherwise). */
static void gai(const char *node, const char *serv, int fam, int flags)
{
    gai4(node, serv, fam, 0, 0, flags);
}

/* getaddrinfo with NULL hints (glibc: AF_UNSPEC, AI_V4MAPPED|AI_ADDRCONFIG). */
static void gai_nohints(const char *node, const char *serv)
{
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(node, serv, NULL, &res);
    if (rc) {
        say("getaddrinfo(\"%s\", %s, NULL hints) = %s (%s)", node,
            serv ? serv : "NULL", eai_name(rc), gai_strerror(rc));
        return;
    }
    say("getaddrinfo(\"%s\", %s, NULL hints) = 0", node, serv ? serv : "NULL");
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        char a[128];
        fmt_sockaddr(ai->ai_addr, ai->ai_addrlen, a, sizeof a);
        say("  %s %s %d %s flags=%s", fam_name(ai->ai_family),
            type_name(ai->ai_socktype), ai->ai_protocol, a,
            ai_flags_name(ai->ai_flags));
    }
    freeaddrinfo(res);
}

static const int families[] = {AF_UNSPEC, AF_INET, AF_INET6};

/* Names from /etc/hosts, from DNS, from both; CNAMEs, search domain,
 * NXDOMAIN, NODATA, "localhost", each in the three families. */
static void c_gai_names(void)
{
    static const char *names[] = {
        "files.cx.test",   /* /etc/hosts only: v4 and v6 lines */
        "files",           /* its short name on both lines */
        "fh-alias",        /* an alias on the v4 line only */
        "both.cx.test",    /* /etc/hosts v4 192.0.2.77; DNS .78 and v6 */
        "v4.cx.test",      /* DNS: A only */
        "v6.cx.test",      /* DNS: AAAA only */
        "dual.cx.test",    /* DNS: A and AAAA */
        "multi.cx.test",   /* DNS: four A */
        "www.cx.test",     /* DNS: CNAME -> CNAME -> dual */
        "short",           /* only via the search domain */
        "short.corp.test", /* the same, spelled out */
        "short.",          /* absolute: no search, so not found */
        "v4.cx.test.",     /* absolute, found */
        "nx.cx.test",      /* NXDOMAIN */
        "nosuch",          /* NXDOMAIN after the search list */
        "localhost",
        "ip6-localhost",
        "LOCALHOST",       /* /etc/hosts matches ignore case */
        "DUAL.CX.TEST",    /* so does DNS */
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (size_t f = 0; f < 3; f++)
            gai(names[i], NULL, families[f], AI_CANONNAME);
    /* without AI_CANONNAME: no canonname anywhere */
    gai("www.cx.test", NULL, AF_UNSPEC, 0);
    gai("files", NULL, AF_INET, 0);
    /* with a socket type: one result per address */
    gai4("multi.cx.test", NULL, AF_INET, SOCK_STREAM, 0, AI_CANONNAME);
    gai4("dual.cx.test", NULL, AF_UNSPEC, SOCK_DGRAM, 0, 0);
    gai4("dual.cx.test", NULL, AF_UNSPEC, 0, IPPROTO_UDP, 0);
    gai4("v4.cx.test", NULL, AF_INET, SOCK_RAW, 0, 0);
    gai_nohints("dual.cx.test", "80");
    gai_nohints("v4.cx.test", NULL);
    gai_nohints("nx.cx.test", NULL);
}

/* Numeric hosts, the NULL host, and AI_NUMERICHOST. */
static void c_gai_numeric(void)
{
    static const char *hosts[] = {
        "192.0.2.1", "2001:db8::1", "::1", "::", "0.0.0.0",
        "::ffff:192.0.2.1", "127.1", "0x7f.1", "1.2.3.4.5", "1.2.3.256",
        "fe80::1%lo", "fe80::1%1", "fe80::1%nosuchif", "2001:db8::1%1",
        "[::1]", " 192.0.2.1", "",
    };
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++)
        for (size_t f = 0; f < 3; f++)
            gai(hosts[i], "80", families[f], AI_NUMERICHOST);
    gai("192.0.2.1", NULL, AF_UNSPEC, AI_CANONNAME);
    gai("2001:db8::1", NULL, AF_UNSPEC, AI_CANONNAME);
    gai("192.0.2.1", NULL, AF_INET6, AI_V4MAPPED);
    gai("192.0.2.1", NULL, AF_INET6, AI_V4MAPPED | AI_ALL);
    gai("::ffff:192.0.2.1", NULL, AF_INET, 0);
    gai("v4.cx.test", NULL, AF_UNSPEC, AI_NUMERICHOST);
    gai("localhost", NULL, AF_UNSPEC, AI_NUMERICHOST);
    /* NULL node: the loopback address, or the wildcard with AI_PASSIVE */
    for (size_t f = 0; f < 3; f++) {
        gai4(NULL, "80", families[f], SOCK_STREAM, 0, 0);
        gai4(NULL, "80", families[f], SOCK_STREAM, 0, AI_PASSIVE);
        gai(NULL, "53", families[f], AI_PASSIVE);
    }
    gai(NULL, "80", AF_INET6, AI_V4MAPPED);
    gai(NULL, NULL, AF_UNSPEC, 0);
    gai(NULL, NULL, AF_UNSPEC, AI_PASSIVE);
}

/* AI_* flags on names. */
static void c_gai_flags(void)
{
    /* AI_V4MAPPED and AI_ALL with AF_INET6 */
    static const char *names[] = {"v4.cx.test", "dual.cx.test", "v6.cx.test",
                                  "files.cx.test", "both.cx.test",
                                  "www.cx.test", "localhost"};
    static const int fl[] = {AI_V4MAPPED, AI_V4MAPPED | AI_ALL, AI_ALL};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (size_t f = 0; f < 3; f++)
            gai(names[i], NULL, AF_INET6, fl[f] | AI_CANONNAME);
    /* AI_V4MAPPED means nothing outside AF_INET6 */
    gai("v4.cx.test", NULL, AF_UNSPEC, AI_V4MAPPED | AI_ALL);
    gai("v4.cx.test", NULL, AF_INET, AI_V4MAPPED);
    /* AI_ADDRCONFIG: the namespace has non-loopback v4 and v6 addresses */
    for (size_t f = 0; f < 3; f++) {
        gai("dual.cx.test", NULL, families[f], AI_ADDRCONFIG);
        gai("localhost", NULL, families[f], AI_ADDRCONFIG);
        gai("::1", NULL, families[f], AI_ADDRCONFIG);
    }
    gai("dual.cx.test", NULL, AF_INET6, AI_ADDRCONFIG | AI_V4MAPPED);
    /* AI_PASSIVE with a node: ignored */
    gai("v4.cx.test", "80", AF_INET, AI_PASSIVE);
    /* AI_CANONNAME on numeric hosts and with AI_NUMERICHOST */
    gai("192.0.2.10", NULL, AF_INET, AI_CANONNAME | AI_NUMERICHOST);
    /* every flag at once */
    gai("dual.cx.test", "http", AF_INET6,
        AI_PASSIVE | AI_CANONNAME | AI_V4MAPPED | AI_ALL | AI_ADDRCONFIG);
    /* bad flags */
    gai("v4.cx.test", NULL, AF_UNSPEC, 0x10000);
    gai("v4.cx.test", NULL, AF_UNSPEC, ~0);
    gai(NULL, "80", AF_UNSPEC, AI_CANONNAME);
    gai(NULL, NULL, AF_UNSPEC, AI_CANONNAME);
}

/* Services, socket types and protocols. */
static void c_gai_services(void)
{
    static const char *servs[] = {"80", "0", "65535", "65536", "-1", "http",
                                  "www", "domain", "HTTP", "nosuchservice",
                                  "80x", " 80", ""};
    for (size_t i = 0; i < sizeof servs / sizeof servs[0]; i++) {
        gai("v4.cx.test", servs[i], AF_INET, 0);
        gai4("v4.cx.test", servs[i], AF_INET, SOCK_DGRAM, 0, 0);
    }
    gai4("v4.cx.test", "domain", AF_INET, SOCK_STREAM, 0, 0);
    gai4("v4.cx.test", "domain", AF_INET, 0, IPPROTO_UDP, 0);
    gai4("v4.cx.test", "domain", AF_INET, SOCK_STREAM, IPPROTO_UDP, 0);
    gai4("v4.cx.test", "domain", AF_INET, SOCK_RAW, 0, 0);
    gai4("v4.cx.test", "53", AF_INET, SOCK_RAW, 0, 0);
    gai4("v4.cx.test", "53", AF_INET, SOCK_SEQPACKET, 0, 0);
    gai4("v4.cx.test", "53", AF_INET, 12345, 0, 0);
    gai4("v4.cx.test", NULL, AF_INET, 0, IPPROTO_SCTP, 0);
    gai4("v4.cx.test", NULL, AF_INET, 0, 200, 0);
    gai4("dual.cx.test", "http", AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP, 0);
    gai("v4.cx.test", "http", AF_INET, AI_NUMERICSERV);
    gai("v4.cx.test", "8080", AF_INET, AI_NUMERICSERV);
    gai(NULL, "http", AF_INET, AI_NUMERICSERV | AI_PASSIVE);
    /* families */
    gai("v4.cx.test", "80", AF_UNIX, 0);
    gai("v4.cx.test", "80", 12345, 0);
    gai("v4.cx.test", "80", -1, 0);
    gai(NULL, "80", AF_UNIX, 0);
}

/* ---- getnameinfo ------------------------------------------------------- */

static void gni5(const char *addr, unsigned port, int flags, size_t hostlen,
                 size_t servlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    char a[64];
    snprintf(a, sizeof a, "%s", addr);
    char *pct = strchr(a, '%');
    if (pct)
        *pct++ = 0;
    struct sockaddr_in *s4 = (void *)&ss;
    struct sockaddr_in6 *s6 = (void *)&ss;
    if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        len = sizeof *s4;
    } else if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        s6->sin6_scope_id = pct ? (unsigned)atoi(pct) : 0;
        len = sizeof *s6;
    } else {
        die("bad address in the table", EINVAL);
    }
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    strcpy(host, "(untouched)");
    strcpy(serv, "(untouched)");
    errno = 0;
    int rc = getnameinfo((struct sockaddr *)&ss, len, hostlen ? host : NULL,
                         hostlen, servlen ? serv : NULL, servlen, flags);
    int e = errno;
    char desc[200];
    snprintf(desc, sizeof desc, "getnameinfo(%s port %u, host %zu, serv %zu, %s)",
             addr, port, hostlen, servlen, ni_flags_name(flags));
    if (rc == EAI_SYSTEM)
        say("%s = EAI_SYSTEM (%s) errno %s", desc, gai_strerror(rc), en(e));
    else if (rc)
        say("%s = %s (%s)", desc, eai_name(rc), gai_strerror(rc));
    else
        say("%s = 0 host \"%s\" serv \"%s\"", desc, hostlen ? host : "-",
            servlen ? serv : "-");
}

static void gni(const char *addr, unsigned port, int flags)
{
    gni5(addr, port, flags, NI_MAXHOST, NI_MAXSERV);
}

static void c_gni(void)
{
    static const char *addrs[] = {
        "192.0.2.10",      /* DNS PTR (host record) */
        "192.0.2.50",      /* /etc/hosts */
        "192.0.2.77",      /* both: /etc/hosts wins */
        "192.0.2.78",      /* DNS only */
        "192.0.2.88",      /* a PTR with no A behind it */
        "192.0.2.40",      /* short.corp.test: in the host's domain */
        "192.0.2.99",      /* no PTR: NXDOMAIN */
        "127.0.0.1", "::1", "0.0.0.0", "::",
        "2001:db8::20",    /* DNS PTR */
        "2001:db8::50",    /* /etc/hosts */
        "2001:db8::99",    /* no PTR */
        "::ffff:192.0.2.10", /* v4-mapped: looked up as 192.0.2.10 */
        "::ffff:192.0.2.50",
        "fe80::1%1",       /* link-local with a scope */
    };
    static const int flags[] = {0, NI_NUMERICHOST, NI_NAMEREQD, NI_NOFQDN,
                                NI_NUMERICHOST | NI_NAMEREQD};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
        for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++)
            gni(addrs[i], 80, flags[f]);
    /* services */
    static const unsigned ports[] = {80, 53, 512, 0, 12345, 65535};
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
        gni("192.0.2.10", ports[i], NI_NUMERICHOST);
        gni("192.0.2.10", ports[i], NI_NUMERICHOST | NI_DGRAM);
        gni("192.0.2.10", ports[i], NI_NUMERICHOST | NI_NUMERICSERV);
    }
    /* only one of host and service */
    gni5("192.0.2.10", 80, 0, NI_MAXHOST, 0);
    gni5("192.0.2.10", 80, 0, 0, NI_MAXSERV);
    gni5("192.0.2.10", 80, 0, 0, 0);
    /* buffers too small: EAI_OVERFLOW; exactly big enough: fine */
    gni5("192.0.2.10", 80, 0, 4, NI_MAXSERV);          /* v4.cx.test */
    gni5("192.0.2.10", 80, 0, 10, NI_MAXSERV);         /* no room for NUL */
    gni5("192.0.2.10", 80, 0, 11, NI_MAXSERV);
    gni5("192.0.2.10", 80, NI_NUMERICHOST, 4, NI_MAXSERV);
    gni5("192.0.2.10", 80, NI_NUMERICHOST, 10, NI_MAXSERV); /* 192.0.2.10 */
    gni5("192.0.2.10", 80, NI_NUMERICHOST, 11, NI_MAXSERV);
    gni5("2001:db8::20", 80, NI_NUMERICHOST, 8, NI_MAXSERV);
    gni5("fe80::1%1", 80, NI_NUMERICHOST, 10, NI_MAXSERV);
    gni5("192.0.2.10", 80, 0, NI_MAXHOST, 2);          /* "http" */
    gni5("192.0.2.10", 80, 0, NI_MAXHOST, 4);
    gni5("192.0.2.10", 80, 0, NI_MAXHOST, 5);
    gni5("192.0.2.10", 12345, 0, NI_MAXHOST, 3);
    gni5("192.0.2.10", 12345, 0, NI_MAXHOST, 5);
    gni5("192.0.2.10", 12345, 0, NI_MAXHOST, 6);
    /* bad address lengths and families */
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    int rc = getnameinfo((struct sockaddr *)&sin, sizeof sin - 1, host,
                         sizeof host, serv, sizeof serv, 0);
    say("getnameinfo(AF_INET, short length) = %s", eai_name(rc));
    rc = getnameinfo((struct sockaddr *)&sin, sizeof(struct sockaddr_in6),
                     host, sizeof host, serv, sizeof serv, NI_NUMERICHOST);
    say("getnameinfo(AF_INET, long length) = %s%s%s", eai_name(rc),
        rc ? "" : " host ", rc ? "" : host);
    struct sockaddr_in6 sin6;
    memset(&sin6, 0, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    rc = getnameinfo((struct sockaddr *)&sin6, sizeof sin6 - 1, host,
                     sizeof host, serv, sizeof serv, 0);
    say("getnameinfo(AF_INET6, short length) = %s", eai_name(rc));
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, "/nonexistent");
    rc = getnameinfo((struct sockaddr *)&sun, sizeof sun, host, sizeof host,
                     serv, sizeof serv, 0);
    say("getnameinfo(AF_UNIX) = %s%s%s%s%s", eai_name(rc),
        rc ? "" : " host ", rc ? "" : host, rc ? "" : " serv ", rc ? "" : serv);
    sin.sin_family = 12345;
    rc = getnameinfo((struct sockaddr *)&sin, sizeof sin, host, sizeof host,
                     serv, sizeof serv, 0);
    say("getnameinfo(family 12345) = %s", eai_name(rc));
    sin.sin_family = AF_INET;
    rc = getnameinfo((struct sockaddr *)&sin, sizeof sin, host, sizeof host,
                     serv, sizeof serv, 0x4000);
    say("getnameinfo(unknown flag 0x4000) = %s%s%s", eai_name(rc),
        rc ? "" : " host ", rc ? "" : host);
}

/* ---- gethostbyname and friends ----------------------------------------- */

static void print_hostent(const char *desc, const struct hostent *he)
{
    if (!he) {
        say("%s = NULL h_errno %s", desc, herr_name(h_errno));
        return;
    }
    say("%s = name \"%s\" type %s length %d", desc, he->h_name,
        fam_name(he->h_addrtype), he->h_length);
    for (char **a = he->h_aliases; a && *a; a++)
        say("  alias \"%s\"", *a);
    for (char **p = he->h_addr_list; p && *p; p++) {
        char a[INET6_ADDRSTRLEN];
        if (!inet_ntop(he->h_addrtype, *p, a, sizeof a))
            strcpy(a, "(unprintable)");
        say("  address %s", a);
    }
}

static const char *hbn_names[] = {
    "files.cx.test", "files", "fh-alias", "both.cx.test", "v4.cx.test",
    "v6.cx.test", "dual.cx.test", "multi.cx.test", "www.cx.test", "web.cx.test",
    "short", "short.", "nx.cx.test", "nosuch", "localhost", "ip6-localhost",
    "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1", "127.1", "1.2.3.256",
    "192.0.2.1.", "",
};
#define N_HBN (sizeof hbn_names / sizeof hbn_names[0])

static void c_ghbn(void)
{
    char desc[128];
    for (size_t i = 0; i < N_HBN; i++) {
        /* h_errno is printed on failure only: after a success glibc
         * leaves whatever its modules stored (HOST_NOT_FOUND from
         * "files" for a name DNS then found), which no caller reads */
        snprintf(desc, sizeof desc, "gethostbyname(\"%s\")", hbn_names[i]);
        print_hostent(desc, gethostbyname(hbn_names[i]));
    }
    for (size_t i = 0; i < N_HBN; i++) {
        for (int f = 0; f < 2; f++) {
            int af = f ? AF_INET6 : AF_INET;
            snprintf(desc, sizeof desc, "gethostbyname2(\"%s\", %s)",
                     hbn_names[i], fam_name(af));
            print_hostent(desc, gethostbyname2(hbn_names[i], af));
        }
    }
    errno = 0;
    print_hostent("gethostbyname2(\"v4.cx.test\", AF_UNIX)",
                  gethostbyname2("v4.cx.test", AF_UNIX));
    say("  errno %s", en(errno));
    print_hostent("gethostbyname2(\"v4.cx.test\", AF_UNSPEC)",
                  gethostbyname2("v4.cx.test", AF_UNSPEC));
}

/* One gethostbyname_r / gethostbyname2_r call with a buffer of `buflen`. */
static void ghbn_r(const char *name, int af, size_t buflen)
{
    char *buf = malloc(buflen ? buflen : 1);
    struct hostent he, *res = (struct hostent *)bad_ptr;
    int herr = 12345;
    errno = 0;
    int rc = af < 0 ? gethostbyname_r(name, &he, buf, buflen, &res, &herr)
                    : gethostbyname2_r(name, af, &he, buf, buflen, &res, &herr);
    int e = errno;
    char desc[160];
    if (af < 0)
        snprintf(desc, sizeof desc, "gethostbyname_r(\"%s\", buf %zu)", name,
                 buflen);
    else
        snprintf(desc, sizeof desc, "gethostbyname2_r(\"%s\", %s, buf %zu)",
                 name, fam_name(af), buflen);
    /* *h_errnop only when there is no result (see c_ghbn) */
    int found = rc == 0 && res && res != (struct hostent *)bad_ptr;
    say("%s returns %s, result %s%s%s%s%s", desc, en(rc),
        res == (struct hostent *)bad_ptr ? "untouched" : res ? "set" : "NULL",
        found ? "" : ", *h_errnop ",
        found ? "" : herr == 12345 ? "untouched" : herr_name(herr),
        rc == ERANGE ? ", errno " : "", rc == ERANGE ? en(e) : "");
    if (rc == 0 && res) {
        if (res != &he)
            say("  BUG: result is not the caller's hostent");
        for (char **a = he.h_aliases; *a; a++)
            if (*a < buf || *a >= buf + buflen)
                say("  BUG: an alias outside the caller's buffer");
        for (char **p = he.h_addr_list; *p; p++)
            if (*p < buf || *p >= buf + buflen)
                say("  BUG: an address outside the caller's buffer");
        print_hostent("  ", res);
    }
    free(buf);
}

static void c_ghbn_r(void)
{
    for (size_t i = 0; i < N_HBN; i++) {
        ghbn_r(hbn_names[i], -1, 8192);
        ghbn_r(hbn_names[i], AF_INET, 8192);
        ghbn_r(hbn_names[i], AF_INET6, 8192);
    }
    /* a buffer too small: ERANGE and NETDB_INTERNAL, the caller retries */
    static const char *small[] = {"v4.cx.test", "files.cx.test",
                                  "multi.cx.test", "www.cx.test", "192.0.2.1",
                                  "nx.cx.test", "v6.cx.test"};
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++) {
        ghbn_r(small[i], -1, 0);
        ghbn_r(small[i], -1, 16);
        ghbn_r(small[i], AF_INET6, 16);
    }
}

static void ghba(const char *addr, int af, int len_delta)
{
    unsigned char a[16];
    int len = af == AF_INET ? 4 : 16;
    if (inet_pton(af, addr, a) != 1)
        die("bad address in the table", EINVAL);
    char desc[128];
    snprintf(desc, sizeof desc, "gethostbyaddr(%s, len %d, %s)", addr,
             len + len_delta, fam_name(af));
    errno = 0;
    struct hostent *he = gethostbyaddr(a, len + len_delta, af);
    int e = errno;
    print_hostent(desc, he);
    if (!he && h_errno == NETDB_INTERNAL)
        say("  errno %s", en(e));
}

static void ghba_r(const char *addr, int af, size_t buflen)
{
    unsigned char a[16];
    if (inet_pton(af, addr, a) != 1)
        die("bad address in the table", EINVAL);
    char *buf = malloc(buflen ? buflen : 1);
    struct hostent he, *res = (struct hostent *)bad_ptr;
    int herr = 12345;
    int rc = gethostbyaddr_r(a, af == AF_INET ? 4 : 16, af, &he, buf, buflen,
                             &res, &herr);
    char desc[128];
    snprintf(desc, sizeof desc, "gethostbyaddr_r(%s, %s, buf %zu)", addr,
             fam_name(af), buflen);
    int found = rc == 0 && res && res != (struct hostent *)bad_ptr;
    say("%s returns %s, result %s%s%s", desc, en(rc),
        res == (struct hostent *)bad_ptr ? "untouched" : res ? "set" : "NULL",
        found ? "" : ", *h_errnop ",
        found ? "" : herr == 12345 ? "untouched" : herr_name(herr));
    if (rc == 0 && res)
        print_hostent("  ", res);
    free(buf);
}

static void c_ghba(void)
{
    static const char *v4[] = {"192.0.2.10", "192.0.2.50", "192.0.2.77",
                               "192.0.2.78", "192.0.2.88", "192.0.2.40",
                               "192.0.2.99", "127.0.0.1", "198.18.0.1"};
    static const char *v6[] = {"2001:db8::20", "2001:db8::50", "2001:db8::99",
                               "::1", "::ffff:192.0.2.10", "::ffff:192.0.2.50"};
    for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
        ghba(v4[i], AF_INET, 0);
        ghba_r(v4[i], AF_INET, 8192);
    }
    for (size_t i = 0; i < sizeof v6 / sizeof v6[0]; i++) {
        ghba(v6[i], AF_INET6, 0);
        ghba_r(v6[i], AF_INET6, 8192);
    }
    ghba("192.0.2.10", AF_INET, -1);
    ghba("2001:db8::20", AF_INET6, -12);
    ghba_r("192.0.2.10", AF_INET, 16);
    ghba_r("192.0.2.10", AF_INET, 0);
    ghba_r("2001:db8::20", AF_INET6, 16);
    unsigned char a4[4] = {192, 0, 2, 10};
    print_hostent("gethostbyaddr(192.0.2.10, AF_UNIX)",
                  gethostbyaddr(a4, 4, AF_UNIX));
}

/* ---- res_* -------------------------------------------------------------- */

static const char *rr_type_name(int t)
{
    static __thread char buf[16];
    switch (t) {
    case ns_t_a: return "A";
    case ns_t_ns: return "NS";
    case ns_t_cname: return "CNAME";
    case ns_t_soa: return "SOA";
    case ns_t_ptr: return "PTR";
    case ns_t_mx: return "MX";
    case ns_t_txt: return "TXT";
    case ns_t_aaaa: return "AAAA";
    case ns_t_srv: return "SRV";
    case ns_t_opt: return "OPT";
    case ns_t_any: return "ANY";
    }
    snprintf(buf, sizeof buf, "TYPE%d", t);
    return buf;
}

static const char *rcode_name(int r)
{
    static const char *n[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                              "NOTIMP", "REFUSED"};
    return r >= 0 && r < 6 ? n[r] : "RCODE?";
}

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* Print a DNS message: header bits that do not vary, the question, and
 * every record of every section without its TTL. */
static void print_msg(const unsigned char *msg, int len)
{
    if (len < 12) {
        say("  short message (%d bytes)", len);
        return;
    }
    const unsigned char *end = msg + len, *p = msg + 12;
    unsigned flags = get16(msg + 2);
    unsigned counts[4] = {get16(msg + 4), get16(msg + 6), get16(msg + 8),
                          get16(msg + 10)};
    say("  %s%s%s%s%s qd %u an %u ns %u ar %u", rcode_name(flags & 15),
        flags & 0x8000 ? " qr" : "", flags & 0x0400 ? " aa" : "",
        flags & 0x0200 ? " tc" : "", flags & 0x0080 ? " ra" : "",
        counts[0], counts[1], counts[2], counts[3]);
    static const char *sect[] = {"question", "answer", "authority",
                                 "additional"};
    char name[NS_MAXDNAME];
    for (int s = 0; s < 4; s++) {
        for (unsigned i = 0; i < counts[s]; i++) {
            int n = dn_expand(msg, end, p, name, sizeof name);
            if (n < 0) {
                say("  bad name in the %s section", sect[s]);
                return;
            }
            p += n;
            if (p + 4 > end) {
                say("  truncated %s section", sect[s]);
                return;
            }
            unsigned type = get16(p), cls = get16(p + 2);
            p += 4;
            if (s == 0) {
                say("  question %s %s class %u", name, rr_type_name(type), cls);
                continue;
            }
            if (p + 6 > end) {
                say("  truncated %s section", sect[s]);
                return;
            }
            unsigned rdlen = get16(p + 4);
            p += 6;   /* TTL (not printed) and rdlength */
            const unsigned char *rd = p;
            if (rd + rdlen > end) {
                say("  truncated record");
                return;
            }
            p += rdlen;
            char data[NS_MAXDNAME + 64] = "";
            char a[INET6_ADDRSTRLEN];
            char target[NS_MAXDNAME];
            if (type == ns_t_opt) {
                say("  %s OPT (EDNS) payload %u", sect[s], cls);
                continue;
            }
            switch (type) {
            case ns_t_a:
                if (rdlen == 4)
                    snprintf(data, sizeof data, "%s",
                             inet_ntop(AF_INET, rd, a, sizeof a));
                break;
            case ns_t_aaaa:
                if (rdlen == 16)
                    snprintf(data, sizeof data, "%s",
                             inet_ntop(AF_INET6, rd, a, sizeof a));
                break;
            case ns_t_cname:
            case ns_t_ptr:
            case ns_t_ns:
                if (dn_expand(msg, end, rd, target, sizeof target) > 0)
                    snprintf(data, sizeof data, "%s", target);
                break;
            case ns_t_mx:
                if (rdlen > 2 && dn_expand(msg, end, rd + 2, target,
                                           sizeof target) > 0)
                    snprintf(data, sizeof data, "%u %s", get16(rd), target);
                break;
            case ns_t_txt:
                for (unsigned o = 0; o < rdlen;) {
                    unsigned l = rd[o++];
                    if (o + l > rdlen)
                        break;
                    snprintf(data + strlen(data), sizeof data - strlen(data),
                             "%s\"%.*s\"", o > 1 ? " " : "", (int)l, rd + o);
                    o += l;
                }
                break;
            case ns_t_soa:
                /* the serial and the timers may vary: names only */
                if (dn_expand(msg, end, rd, target, sizeof target) > 0)
                    snprintf(data, sizeof data, "%s ...", target);
                break;
            default:
                snprintf(data, sizeof data, "(%u bytes)", rdlen);
            }
            say("  %s %s %s class %u %s", sect[s], name, rr_type_name(type),
                cls, data);
        }
    }
    if (p != end)
        say("  %d bytes after the last record", (int)(end - p));
}

static void res_result(const char *desc, int rc, const unsigned char *ans)
{
    int h = h_errno;
    if (rc < 0) {
        say("%s = -1 h_errno %s", desc, herr_name(h));
        return;
    }
    say("%s = %d", desc, rc);
    print_msg(ans, rc > 4096 ? 4096 : rc);
}

enum { Q_QUERY, Q_SEARCH, Q_QUERYDOMAIN };

struct q {
    int how;
    const char *name, *domain;
    int type;
};

static const struct q queries[] = {
    {Q_QUERY, "v4.cx.test", NULL, ns_t_a},
    {Q_QUERY, "v4.cx.test", NULL, ns_t_aaaa},     /* NODATA */
    {Q_QUERY, "dual.cx.test", NULL, ns_t_aaaa},
    {Q_QUERY, "multi.cx.test", NULL, ns_t_a},
    {Q_QUERY, "www.cx.test", NULL, ns_t_a},       /* the CNAME chain */
    {Q_QUERY, "cx.test", NULL, ns_t_mx},
    {Q_QUERY, "txt.cx.test", NULL, ns_t_txt},
    {Q_QUERY, "10.2.0.192.in-addr.arpa", NULL, ns_t_ptr},
    {Q_QUERY, "nx.cx.test", NULL, ns_t_a},        /* NXDOMAIN */
    {Q_QUERY, "short", NULL, ns_t_a},             /* no search: not found */
    {Q_QUERY, "files.cx.test", NULL, ns_t_a},     /* /etc/hosts is not DNS */
    {Q_SEARCH, "short", NULL, ns_t_a},            /* via corp.test */
    {Q_SEARCH, "v4.cx.test", NULL, ns_t_a},
    {Q_SEARCH, "nosuch", NULL, ns_t_a},
    {Q_SEARCH, "v4.cx.test.", NULL, ns_t_a},
    {Q_SEARCH, "cx.test", NULL, ns_t_mx},
    {Q_QUERYDOMAIN, "short", "corp.test", ns_t_a},
    {Q_QUERYDOMAIN, "v4", "cx.test", ns_t_a},
    {Q_QUERYDOMAIN, "nx", "cx.test", ns_t_a},
    {Q_QUERYDOMAIN, "txt", "cx.test", ns_t_txt},
};
#define N_QUERIES (sizeof queries / sizeof queries[0])

static const char *how_name(int how)
{
    return how == Q_QUERY ? "query" : how == Q_SEARCH ? "search" : "querydomain";
}

static void c_res(void)
{
    unsigned char ans[4096];
    char desc[200];
    for (size_t i = 0; i < N_QUERIES; i++) {
        const struct q *q = &queries[i];
        int rc;
        h_errno = 12345;
        memset(ans, 0, sizeof ans);
        if (q->how == Q_QUERY)
            rc = res_query(q->name, ns_c_in, q->type, ans, sizeof ans);
        else if (q->how == Q_SEARCH)
            rc = res_search(q->name, ns_c_in, q->type, ans, sizeof ans);
        else
            rc = res_querydomain(q->name, q->domain, ns_c_in, q->type, ans,
                                 sizeof ans);
        snprintf(desc, sizeof desc, "res_%s(\"%s\"%s%s%s, %s)", how_name(q->how),
                 q->name, q->domain ? ", \"" : "", q->domain ? q->domain : "",
                 q->domain ? "\"" : "", rr_type_name(q->type));
        res_result(desc, rc, ans);
    }
    /* an answer buffer too small: res_query returns the full length */
    int rc = res_query("txt.cx.test", ns_c_in, ns_t_txt, ans, 20);
    res_result("res_query(\"txt.cx.test\", TXT) into 20 bytes",
               rc > 20 ? 20 : rc, ans);
    if (rc > 20)
        say("  (returned %d)", rc);
    /* res_send with a query made by res_mkquery */
    unsigned char qbuf[512];
    int qlen = res_mkquery(ns_o_query, "dual.cx.test", ns_c_in, ns_t_a, NULL,
                           0, NULL, qbuf, sizeof qbuf);
    say("res_mkquery(\"dual.cx.test\", A) = %d", qlen);
    if (qlen > 0)
        res_result("res_send(dual.cx.test A)", res_send(qbuf, qlen, ans, sizeof ans),
                   ans);
    qlen = res_mkquery(ns_o_query, "nx.cx.test", ns_c_in, ns_t_a, NULL, 0,
                       NULL, qbuf, sizeof qbuf);
    if (qlen > 0)
        res_result("res_send(nx.cx.test A)", res_send(qbuf, qlen, ans, sizeof ans),
                   ans);
    qlen = res_mkquery(ns_o_query, "cx.test", ns_c_in, ns_t_mx, NULL, 0, NULL,
                       qbuf, sizeof qbuf);
    if (qlen > 0)
        res_result("res_send(cx.test MX)", res_send(qbuf, qlen, ans, sizeof ans),
                   ans);
}

static void c_resn(void)
{
    struct __res_state st;
    memset(&st, 0, sizeof st);
    int rc = res_ninit(&st);
    say("res_ninit = %d, nscount %d, ndots %d, retrans %d, retry %d, "
        "RES_INIT %s, RES_DNSRCH %s, dnsrch[0] %s", rc, st.nscount, st.ndots,
        st.retrans, st.retry, st.options & RES_INIT ? "set" : "clear",
        st.options & RES_DNSRCH ? "set" : "clear",
        st.dnsrch[0] ? st.dnsrch[0] : "NULL");
    unsigned char ans[4096];
    char desc[200];
    for (size_t i = 0; i < N_QUERIES; i++) {
        const struct q *q = &queries[i];
        memset(ans, 0, sizeof ans);
        if (q->how == Q_QUERY)
            rc = res_nquery(&st, q->name, ns_c_in, q->type, ans, sizeof ans);
        else if (q->how == Q_SEARCH)
            rc = res_nsearch(&st, q->name, ns_c_in, q->type, ans, sizeof ans);
        else
            rc = res_nquerydomain(&st, q->name, q->domain, ns_c_in, q->type,
                                  ans, sizeof ans);
        snprintf(desc, sizeof desc, "res_n%s(\"%s\"%s%s%s, %s)",
                 how_name(q->how), q->name, q->domain ? ", \"" : "",
                 q->domain ? q->domain : "", q->domain ? "\"" : "",
                 rr_type_name(q->type));
        res_result(desc, rc, ans);
        /* res_n* set the state's h_errno (and h_errno itself) */
        if (rc < 0 && st.res_h_errno != h_errno)
            say("  state res_h_errno %s, h_errno %s", herr_name(st.res_h_errno),
                herr_name(h_errno));
    }
    unsigned char qbuf[512];
    int qlen = res_nmkquery(&st, ns_o_query, "v6.cx.test", ns_c_in, ns_t_aaaa,
                            NULL, 0, NULL, qbuf, sizeof qbuf);
    say("res_nmkquery(\"v6.cx.test\", AAAA) = %d", qlen);
    if (qlen > 0)
        res_result("res_nsend(v6.cx.test AAAA)",
                   res_nsend(&st, qbuf, qlen, ans, sizeof ans), ans);
    /* options of this state only: without RES_DNSRCH a name without a
     * dot still gets the default domain (RES_DEFNAMES); without both, no
     * domain is tried */
    st.options &= ~RES_DNSRCH;
    res_result("res_nsearch(\"short\", A) without RES_DNSRCH",
               res_nsearch(&st, "short", ns_c_in, ns_t_a, ans, sizeof ans), ans);
    st.options &= ~RES_DEFNAMES;
    res_result("res_nsearch(\"short\", A) without RES_DNSRCH|RES_DEFNAMES",
               res_nsearch(&st, "short", ns_c_in, ns_t_a, ans, sizeof ans), ans);
    st.options |= RES_DNSRCH | RES_DEFNAMES;
    res_result("res_nsearch(\"short\", A) with RES_DNSRCH again",
               res_nsearch(&st, "short", ns_c_in, ns_t_a, ans, sizeof ans), ans);
    /* over TCP */
    st.options |= RES_USEVC;
    res_result("res_nquery(\"multi.cx.test\", A) over TCP",
               res_nquery(&st, "multi.cx.test", ns_c_in, ns_t_a, ans, sizeof ans),
               ans);
    res_nclose(&st);
    /* the implicit per-thread state is untouched by all this */
    res_result("res_search(\"short\", A) on the implicit state",
               res_search("short", ns_c_in, ns_t_a, ans, sizeof ans), ans);
}

/* Binaries linked before glibc 2.34 call __res_query & co. (then in
 * libresolv, now compatibility symbols of libc) through versioned
 * references; .symver makes exactly such references here. (dlvsym would
 * not do: it insists on the version, which a preloaded interposer that
 * exports plain names never has, while the dynamic linker's normal binding
 * accepts it, as it does for an old binary.) */
extern int old_res_query(const char *, int, int, unsigned char *, int);
extern int old_res_search(const char *, int, int, unsigned char *, int);
extern int old_res_querydomain(const char *, const char *, int, int, unsigned char *, int);
__asm__(".symver old_res_query, __res_query@GLIBC_2.2.5");
__asm__(".symver old_res_search, __res_search@GLIBC_2.2.5");
__asm__(".symver old_res_querydomain, __res_querydomain@GLIBC_2.2.5");

static void c_res_compat(void)
{
    unsigned char ans[4096];
    static const char *fns[] = {"__res_query", "__res_search"};
    int (*const f[])(const char *, int, int, unsigned char *, int) = {old_res_query, old_res_search};
    for (int i = 0; i < 2; i++) {
        char desc[100];
        snprintf(desc, sizeof desc, "%s@GLIBC_2.2.5(\"short\", A)", fns[i]);
        res_result(desc, f[i]("short", ns_c_in, ns_t_a, ans, sizeof ans), ans);
        snprintf(desc, sizeof desc, "%s@GLIBC_2.2.5(\"nx.cx.test\", A)", fns[i]);
        res_result(desc, f[i]("nx.cx.test", ns_c_in, ns_t_a, ans, sizeof ans), ans);
    }
    res_result("__res_querydomain@GLIBC_2.2.5(\"v4\", \"cx.test\", A)",
               old_res_querydomain("v4", "cx.test", ns_c_in, ns_t_a, ans, sizeof ans), ans);
}

static const struct tcase cases[] = {
    {"gai_names", c_gai_names},
    {"gai_numeric", c_gai_numeric},
    {"gai_flags", c_gai_flags},
    {"gai_services", c_gai_services},
    {"gni", c_gni},
    {"ghbn", c_ghbn},
    {"ghbn_r", c_ghbn_r},
    {"ghba", c_ghba},
    {"res", c_res},
    {"resn", c_resn},
    {"res_compat", c_res_compat},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "dns_table");
}
