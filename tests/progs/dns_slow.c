/* dns_slow: does a name lookup park only its own thread?
 *
 *   dns_slow slow [API...]   (inside tests/dns/ns-run --slow)
 *   dns_slow many [N]        (inside tests/dns/ns-run)
 *   dns_slow burst N ROUNDS  (inside tests/dns/ns-run --slow[=SECONDS])
 *
 * slow: an echo server thread and an echo client thread in this process
 * play ping-pong over loopback TCP, one round every ~5 ms, while other
 * threads look up slow.test (or its address backwards), which the slow
 * responder answers after 2 seconds.  Natively every thread is a kernel
 * thread and the ping-pong does not notice the lookups.  Under coexec with
 * COEXEC_WORKERS=1 all of them share one kernel thread: a lookup that
 * blocks it instead of parking its coroutine stops the ping-pong for the 2
 * seconds.  Prints, per API, the result and how long the lookup took;
 * then the number of round trips made while any lookup was pending and
 * their latency (from the end of the 5 ms pause to the echo's arrival, so
 * a late wake-up counts too): p50, p99 and max in ms.  Exit status 0 when
 * every lookup resolved to what the responder says, 1 otherwise.
 *
 * APIs (default: getaddrinfo; "all" for every one, all at once):
 *   getaddrinfo getaddrinfo_unspec gethostbyname gethostbyname_r
 *   gethostbyname2_r gethostbyaddr_r getnameinfo res_query res_search
 *   res_nquery res_nsend res_query_compat
 *
 * many: N threads (default 1000) wait at a barrier, then all resolve at
 * once a mix of names (DNS A records n0..n199.cx.test, a CNAME chain, a
 * search-domain name, an /etc/hosts name, an AAAA, a name with four
 * addresses, NXDOMAIN) through a mix of APIs (getaddrinfo,
 * gethostbyname_r, getnameinfo, res_query), each checking its answer.  A
 * sampler thread counts the process's kernel threads (/proc/self/task)
 * every millisecond meanwhile, and main counts them once more when all
 * threads are waiting at the barrier.  Prints "resolved N of N", the number of
 * wrong answers, and "peak kernel threads K"; exit status 0 when every
 * answer was right.
 *
 * burst: first one lookup that is answered at once (v4.cx.test), so that
 * under COEXEC_DNS=native the pool has one idle thread when the burst
 * comes; then ROUNDS times, N threads wait at a barrier, then all look up
 * slow.test (getaddrinfo, AF_INET) at once.  The responder answers each
 * query after its delay, on a timer of its own, so a round takes about one
 * delay when the lookups really run side by side, and N delays when
 * something serialises them (one pool thread serving the burst under
 * COEXEC_DNS=native).  Prints per round "round R: K of N resolved in T ms"
 * (T from the first lookup's start to the last one's end); exit status 0
 * when every lookup of every round resolved to what the responder says.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <dirent.h>
#include <dlfcn.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <resolv.h>
#include <stdatomic.h>

#include "harness.h"

#define SLOW_NAME "slow.test"
#define SLOW_ADDR "192.0.2.200"

/* ---- answers ------------------------------------------------------------ */

/* First IPv4 address of a DNS answer to an A query, or "" */
static void first_a(const unsigned char *msg, int len, char *out, size_t n)
{
    out[0] = 0;
    if (len < 12)
        return;
    const unsigned char *end = msg + len, *p = msg + 12;
    char name[NS_MAXDNAME];
    int qd = msg[4] << 8 | msg[5], an = msg[6] << 8 | msg[7];
    for (int i = 0; i < qd; i++) {
        int k = dn_expand(msg, end, p, name, sizeof name);
        if (k < 0)
            return;
        p += k + 4;
    }
    for (int i = 0; i < an && p < end; i++) {
        int k = dn_expand(msg, end, p, name, sizeof name);
        if (k < 0 || p + k + 10 > end)
            return;
        p += k;
        int type = p[0] << 8 | p[1], rdlen = p[8] << 8 | p[9];
        p += 10;
        if (p + rdlen > end)
            return;
        if (type == ns_t_a && rdlen == 4) {
            inet_ntop(AF_INET, p, out, n);
            return;
        }
        p += rdlen;
    }
}

static void gai_first(const char *name, int family, char *out, size_t n,
                      int *rc)
{
    struct addrinfo h, *res;
    memset(&h, 0, sizeof h);
    h.ai_family = family;
    h.ai_socktype = SOCK_STREAM;
    *rc = getaddrinfo(name, NULL, &h, &res);
    out[0] = 0;
    if (*rc)
        return;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr,
                      out, n);
            break;
        }
        if (ai->ai_family == AF_INET6 && !out[0])
            inet_ntop(AF_INET6,
                      &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, out, n);
    }
    freeaddrinfo(res);
}

/* ---- slow: lookups against the 2-second responder ----------------------- */

/* __res_query as a binary linked before glibc 2.34 references it (see
 * dns_table.c) */
extern int old_res_query(const char *, int, int, unsigned char *, int);
__asm__(".symver old_res_query, __res_query@GLIBC_2.2.5");

/* Run one API's lookup; write what it found into `got`. */
static void slow_lookup(const char *api, char *got, size_t n)
{
    char buf[8192];
    unsigned char ans[4096];
    struct hostent he, *res;
    int herr, rc;
    snprintf(got, n, "(unknown API)");
    if (!strcmp(api, "getaddrinfo") || !strcmp(api, "getaddrinfo_unspec")) {
        gai_first(SLOW_NAME, strcmp(api, "getaddrinfo") ? AF_UNSPEC : AF_INET,
                  got, n, &rc);
        if (rc)
            snprintf(got, n, "error %d (%s)", rc, gai_strerror(rc));
    } else if (!strcmp(api, "gethostbyname")) {
        struct hostent *h = gethostbyname(SLOW_NAME);
        if (h && h->h_addr_list[0])
            inet_ntop(AF_INET, h->h_addr_list[0], got, n);
        else
            snprintf(got, n, "h_errno %d", h_errno);
    } else if (!strcmp(api, "gethostbyname_r") ||
               !strcmp(api, "gethostbyname2_r")) {
        if (!strcmp(api, "gethostbyname_r"))
            rc = gethostbyname_r(SLOW_NAME, &he, buf, sizeof buf, &res, &herr);
        else
            rc = gethostbyname2_r(SLOW_NAME, AF_INET, &he, buf, sizeof buf,
                                  &res, &herr);
        if (rc == 0 && res && res->h_addr_list[0])
            inet_ntop(AF_INET, res->h_addr_list[0], got, n);
        else
            snprintf(got, n, "rc %d h_errno %d", rc, herr);
    } else if (!strcmp(api, "gethostbyaddr_r")) {
        struct in_addr a;
        inet_pton(AF_INET, SLOW_ADDR, &a);
        rc = gethostbyaddr_r(&a, sizeof a, AF_INET, &he, buf, sizeof buf, &res,
                             &herr);
        if (rc == 0 && res)
            snprintf(got, n, "%s", res->h_name);
        else
            snprintf(got, n, "rc %d h_errno %d", rc, herr);
    } else if (!strcmp(api, "getnameinfo")) {
        struct sockaddr_in sin;
        memset(&sin, 0, sizeof sin);
        sin.sin_family = AF_INET;
        inet_pton(AF_INET, SLOW_ADDR, &sin.sin_addr);
        char host[NI_MAXHOST];
        rc = getnameinfo((struct sockaddr *)&sin, sizeof sin, host, sizeof host,
                         NULL, 0, NI_NAMEREQD);
        if (rc == 0)
            snprintf(got, n, "%.200s", host);
        else
            snprintf(got, n, "error %d (%s)", rc, gai_strerror(rc));
    } else if (!strcmp(api, "res_query") || !strcmp(api, "res_search") ||
               !strcmp(api, "res_query_compat")) {
        if (!strcmp(api, "res_query"))
            rc = res_query(SLOW_NAME, ns_c_in, ns_t_a, ans, sizeof ans);
        else if (!strcmp(api, "res_search"))
            rc = res_search(SLOW_NAME, ns_c_in, ns_t_a, ans, sizeof ans);
        else {
            rc = old_res_query(SLOW_NAME, ns_c_in, ns_t_a, ans, sizeof ans);
        }
        if (rc > 0)
            first_a(ans, rc, got, n);
        else
            snprintf(got, n, "rc %d h_errno %d", rc, h_errno);
    } else if (!strcmp(api, "res_nquery") || !strcmp(api, "res_nsend")) {
        struct __res_state st;
        memset(&st, 0, sizeof st);
        if (res_ninit(&st) < 0) {
            snprintf(got, n, "res_ninit failed");
            return;
        }
        if (!strcmp(api, "res_nquery")) {
            rc = res_nquery(&st, SLOW_NAME, ns_c_in, ns_t_a, ans, sizeof ans);
        } else {
            unsigned char q[512];
            int ql = res_nmkquery(&st, ns_o_query, SLOW_NAME, ns_c_in, ns_t_a,
                                  NULL, 0, NULL, q, sizeof q);
            rc = ql < 0 ? -1 : res_nsend(&st, q, ql, ans, sizeof ans);
        }
        if (rc > 0)
            first_a(ans, rc, got, n);
        else
            snprintf(got, n, "rc %d h_errno %d", rc, st.res_h_errno);
        res_nclose(&st);
    }
}

static const char *slow_apis[] = {
    "getaddrinfo", "getaddrinfo_unspec", "gethostbyname", "gethostbyname_r",
    "gethostbyname2_r", "gethostbyaddr_r", "getnameinfo", "res_query",
    "res_search", "res_nquery", "res_nsend", "res_query_compat", NULL,
};

static const char *slow_expected(const char *api)
{
    return !strcmp(api, "gethostbyaddr_r") || !strcmp(api, "getnameinfo")
               ? SLOW_NAME : SLOW_ADDR;
}

struct lookup {
    const char *api;
    double start, end;
    char got[256];
    pthread_t t;
};

static atomic_int rounds;           /* round trips so far */
static atomic_int stop_client;

#define MAX_SAMPLES 200000
static double s_begin[MAX_SAMPLES], s_end[MAX_SAMPLES];
static int n_samples;

static void *lookup_thread(void *arg)
{
    struct lookup *l = arg;
    l->start = now_ms();
    slow_lookup(l->api, l->got, sizeof l->got);
    l->end = now_ms();
    return NULL;
}

static int listen_fd;

static void *echo_server(void *arg)
{
    int c = accept(listen_fd, NULL, NULL);
    if (c < 0)
        die("accept", errno);
    char buf[64];
    ssize_t r;
    while ((r = read(c, buf, sizeof buf)) > 0)
        if (write(c, buf, r) != r)
            die("server write", errno);
    close(c);
    return NULL;
}

static void *echo_client(void *arg)
{
    int port = *(int *)arg;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        die("socket", errno);
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&sin, sizeof sin) < 0)
        die("connect", errno);
    char msg[8] = "ping-pon", back[8];
    while (!stop_client && n_samples < MAX_SAMPLES) {
        double b = now_ms();
        msleep(5);
        if (write(s, msg, sizeof msg) != sizeof msg)
            die("client write", errno);
        size_t got = 0;
        while (got < sizeof back) {
            ssize_t r = read(s, back + got, sizeof back - got);
            if (r <= 0)
                die("client read", r < 0 ? errno : EPIPE);
            got += r;
        }
        s_begin[n_samples] = b + 5;   /* when the pause should have ended */
        s_end[n_samples] = now_ms();
        n_samples++;
        rounds++;
    }
    close(s);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int run_slow(int argc, char **argv)
{
    const char *apis[32];
    int n = 0;
    for (int i = 0; i < argc && n < 31; i++) {
        if (!strcmp(argv[i], "all")) {
            for (int k = 0; slow_apis[k] && n < 31; k++)
                apis[n++] = slow_apis[k];
            continue;
        }
        int k = 0;
        while (slow_apis[k] && strcmp(slow_apis[k], argv[i]))
            k++;
        if (!slow_apis[k]) {
            fprintf(stderr, "dns_slow: unknown API '%s'\n", argv[i]);
            return 2;
        }
        apis[n++] = argv[i];
    }
    if (n == 0)
        apis[n++] = "getaddrinfo";

    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sin;
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
        listen(listen_fd, 4) < 0 ||
        getsockname(listen_fd, (struct sockaddr *)&sin, &sl) < 0)
        die("listen", errno);
    int port = ntohs(sin.sin_port);
    pthread_t srv = spawn(echo_server, NULL);
    pthread_t cli = spawn(echo_client, &port);

    /* let the ping-pong settle first */
    double t0 = now_ms();
    while (rounds < 20 && now_ms() - t0 < 10000)
        msleep(1);
    if (rounds < 20)
        die("the ping-pong did not start", ETIMEDOUT);

    struct lookup ls[32];
    for (int i = 0; i < n; i++) {
        ls[i].api = apis[i];
        ls[i].got[0] = 0;
        ls[i].t = spawn(lookup_thread, &ls[i]);
    }
    double from = 1e300, to = 0;
    for (int i = 0; i < n; i++) {
        join(ls[i].t);
        if (ls[i].start < from)
            from = ls[i].start;
        if (ls[i].end > to)
            to = ls[i].end;
    }
    /* a few more rounds, so that a round held up by the lookups ends */
    int r0 = rounds;
    t0 = now_ms();
    while (rounds < r0 + 5 && now_ms() - t0 < 10000)
        msleep(1);
    stop_client = 1;
    join(cli);
    join(srv);
    close(listen_fd);

    int bad = 0;
    for (int i = 0; i < n; i++) {
        int ok = !strcmp(ls[i].got, slow_expected(ls[i].api));
        bad += !ok;
        printf("lookup %s: %s (%.0f ms)%s\n", ls[i].api, ls[i].got,
               ls[i].end - ls[i].start, ok ? "" : " WRONG");
    }
    /* the rounds that overlap the time any lookup was pending */
    static double lat[MAX_SAMPLES];
    int m = 0;
    for (int i = 0; i < n_samples; i++)
        if (s_end[i] >= from && s_begin[i] - 5 <= to)
            lat[m++] = s_end[i] - s_begin[i];
    printf("lookups pending for %.0f ms\n", to - from);
    printf("round trips during the lookups: %d\n", m);
    if (m > 0) {
        qsort(lat, m, sizeof lat[0], cmp_double);
        printf("latency during the lookups: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
               lat[m / 2], lat[(int)(m * 0.99) < m ? (int)(m * 0.99) : m - 1],
               lat[m - 1]);
    }
    return bad ? 1 : 0;
}

/* ---- many: a thousand lookups at once ----------------------------------- */

enum { API_GAI, API_GAI6, API_GHBN_R, API_GNI, API_RESQ };

struct kind {
    int api;
    const char *name;    /* NULL: n<i % 200>.cx.test */
    const char *want;    /* first address, host name, or "NONAME" */
};

static const struct kind kinds[] = {
    {API_GAI, NULL, NULL},
    {API_GAI, "www.cx.test", "192.0.2.20"},
    {API_GHBN_R, NULL, NULL},
    {API_GAI, "short", "192.0.2.40"},
    {API_RESQ, NULL, NULL},
    {API_GAI, "files.cx.test", "192.0.2.50"},
    {API_GAI6, "dual.cx.test", "2001:db8::20"},
    {API_GAI, "multi.cx.test", "192.0.2.31"},
    {API_GNI, "192.0.2.10", "v4.cx.test"},
    {API_GAI, "nx.cx.test", "NONAME"},
    {API_GHBN_R, "www.cx.test", "192.0.2.20"},
    {API_RESQ, "multi.cx.test", "198.51.100.7"},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

static pthread_barrier_t start_line;
static atomic_int n_ok, n_wrong, sampling = 1, peak_tasks;

static int count_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void *sampler(void *arg)
{
    while (sampling) {
        int n = count_tasks();
        if (n > peak_tasks)
            peak_tasks = n;
        msleep(1);
    }
    return NULL;
}

static void *many_thread(void *arg)
{
    long i = (long)arg;
    const struct kind *k = &kinds[i % N_KINDS];
    char name[64], want[64], got[256];
    if (k->name) {
        snprintf(name, sizeof name, "%s", k->name);
        snprintf(want, sizeof want, "%s", k->want);
    } else {
        int j = (int)(i % 200);
        snprintf(name, sizeof name, "n%d.cx.test", j);
        snprintf(want, sizeof want, "198.18.%d.%d", j / 250, j % 250 + 1);
    }
    pthread_barrier_wait(&start_line);
    int rc;
    got[0] = 0;
    switch (k->api) {
    case API_GAI:
    case API_GAI6:
        gai_first(name, k->api == API_GAI ? AF_INET : AF_INET6, got, sizeof got,
                  &rc);
        if (rc == EAI_NONAME)
            snprintf(got, sizeof got, "NONAME");
        else if (rc)
            snprintf(got, sizeof got, "error %d (%s)", rc, gai_strerror(rc));
        break;
    case API_GHBN_R: {
        char buf[8192];
        struct hostent he, *res;
        int herr;
        rc = gethostbyname_r(name, &he, buf, sizeof buf, &res, &herr);
        if (rc == 0 && res && res->h_addr_list[0])
            inet_ntop(AF_INET, res->h_addr_list[0], got, sizeof got);
        else
            snprintf(got, sizeof got, "rc %d h_errno %d", rc, herr);
        break;
    }
    case API_GNI: {
        struct sockaddr_in sin;
        memset(&sin, 0, sizeof sin);
        sin.sin_family = AF_INET;
        inet_pton(AF_INET, name, &sin.sin_addr);
        rc = getnameinfo((struct sockaddr *)&sin, sizeof sin, got, sizeof got,
                         NULL, 0, NI_NAMEREQD);
        if (rc)
            snprintf(got, sizeof got, "error %d (%s)", rc, gai_strerror(rc));
        break;
    }
    case API_RESQ: {
        unsigned char ans[4096];
        rc = res_query(name, ns_c_in, ns_t_a, ans, sizeof ans);
        if (rc > 0)
            first_a(ans, rc, got, sizeof got);
        else
            snprintf(got, sizeof got, "rc %d h_errno %d", rc, h_errno);
        break;
    }
    }
    if (!strcmp(got, want)) {
        n_ok++;
    } else {
        if (n_wrong++ < 10)
            fprintf(stderr, "thread %ld: %s: got %s, want %s\n", i, name, got,
                    want);
    }
    return NULL;
}

static int run_many(int n)
{
    pthread_t *t = malloc(n * sizeof *t);
    if (!t)
        die("malloc", ENOMEM);
    if (pthread_barrier_init(&start_line, NULL, n + 1))
        die("pthread_barrier_init", EINVAL);
    pthread_t smp = spawn(sampler, NULL);
    for (long i = 0; i < n; i++)
        t[i] = spawn(many_thread, (void *)i);
    /* Every thread now exists and waits at the barrier: count here too,
     * the sampler may be starved of CPU at exactly this moment. */
    int c = count_tasks();
    if (c > peak_tasks)
        peak_tasks = c;
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < n; i++)
        join(t[i]);
    sampling = 0;
    join(smp);
    c = count_tasks();
    if (c > peak_tasks)
        peak_tasks = c;
    printf("resolved %d of %d\n", (int)n_ok, n);
    printf("wrong answers: %d\n", (int)n_wrong);
    printf("peak kernel threads %d\n", (int)peak_tasks);
    free(t);
    return n_ok == n ? 0 : 1;
}

/* ---- burst: N lookups of the slow name at once, ROUNDS times ----------- */

struct burst {
    pthread_barrier_t *go;
    double start, end;
    int ok;
};

static void *burst_thread(void *arg)
{
    struct burst *b = arg;
    char got[64];
    int rc;
    pthread_barrier_wait(b->go);
    b->start = now_ms();
    gai_first(SLOW_NAME, AF_INET, got, sizeof got, &rc);
    b->end = now_ms();
    b->ok = rc == 0 && !strcmp(got, SLOW_ADDR);
    if (!b->ok)
        fprintf(stderr, "burst: %s: got \"%s\" (rc %d)\n", SLOW_NAME, got, rc);
    return NULL;
}

/* on a thread: a lookup on main before any thread exists runs inline */
static void *warm_up(void *arg)
{
    char got[64];
    int rc;
    gai_first("v4.cx.test", AF_INET, got, sizeof got, &rc);
    if (rc || strcmp(got, "192.0.2.10")) {
        fprintf(stderr, "burst: v4.cx.test: got \"%s\" (rc %d)\n", got, rc);
        *(int *)arg = 1;
    }
    return NULL;
}

static int run_burst(int n, int rounds)
{
    struct burst *b = calloc(n, sizeof *b);
    pthread_t *t = calloc(n, sizeof *t);
    pthread_barrier_t go;
    if (!b || !t)
        die("calloc", ENOMEM);
    int bad = 0;
    pthread_t w = spawn(warm_up, &bad);
    join(w);
    for (int r = 1; r <= rounds; r++) {
        if (pthread_barrier_init(&go, NULL, n))
            die("pthread_barrier_init", EINVAL);
        for (int i = 0; i < n; i++) {
            b[i] = (struct burst){ .go = &go };
            t[i] = spawn(burst_thread, &b[i]);
        }
        double from = 1e300, to = 0;
        int ok = 0;
        for (int i = 0; i < n; i++) {
            join(t[i]);
            from = b[i].start < from ? b[i].start : from;
            to = b[i].end > to ? b[i].end : to;
            ok += b[i].ok;
        }
        pthread_barrier_destroy(&go);
        printf("round %d: %d of %d resolved in %.0f ms\n", r, ok, n, to - from);
        bad += ok != n;
    }
    free(b);
    free(t);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 2 && !strcmp(argv[1], "slow"))
        return run_slow(argc - 2, argv + 2);
    if (argc >= 2 && argc <= 3 && !strcmp(argv[1], "many")) {
        int n = argc == 3 ? atoi(argv[2]) : 1000;
        if (n < 1) {
            fprintf(stderr, "dns_slow: bad number of threads '%s'\n", argv[2]);
            return 2;
        }
        return run_many(n);
    }
    if (argc == 4 && !strcmp(argv[1], "burst")) {
        int n = atoi(argv[2]), rounds = atoi(argv[3]);
        if (n < 1 || rounds < 1) {
            fprintf(stderr, "dns_slow: bad burst '%s %s'\n", argv[2], argv[3]);
            return 2;
        }
        return run_burst(n, rounds);
    }
    fprintf(stderr, "usage: dns_slow slow [API...] | dns_slow many [N] | dns_slow burst N ROUNDS\n");
    return 2;
}
