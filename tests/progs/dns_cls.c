/* dns_cls: per-thread state of the resolver functions, with many threads
 * looking up at once.
 *
 *   dns_cls [--list | CASE...]     (inside tests/dns/ns-run)
 *
 * What glibc guarantees each thread, and so what a lookup that parks its
 * coroutine (neighbours running on the same kernel thread meanwhile) must
 * keep per thread:
 *   h_errno     h_errno is thread-local: threads whose lookups failed in
 *               different ways each still see their own value after the
 *               others looked up (and changed theirs) in between;
 *   errno       likewise for errno (ERANGE from gethostbyname_r with a
 *               tiny buffer);
 *   r_many      1,000 threads call gethostbyname_r, gethostbyname2_r and
 *               gethostbyaddr_r at once, each with a buffer of its own: each
 *               result is right, lies in the caller's buffer, and is still
 *               right after the thread slept while the others looked up;
 *   serial      gethostbyname itself returns one static buffer shared by
 *               every thread (glibc's nss/getXXbyYY.c: a static buffer and
 *               hostent under a lock held only during the call), so a
 *               program must serialise its calls and copy the result:
 *               100 threads doing that under their own mutex all get their
 *               own answers;
 *   res_state   _res is per thread (glibc: `_res` is *__res_state(), a
 *               thread-local struct): threads that cleared RES_DNSRCH and
 *               RES_DEFNAMES in their _res no longer find "short" via the
 *               search list, while their neighbours, with default options,
 *               still do, and each keeps its options.
 * Each case runs on the main thread and then on a thread of its own, and
 * prints counts only, so that native and coexec runs compare equal.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sched.h>
#include <stdatomic.h>

#include "harness.h"

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

static pthread_barrier_t bar;

static void bwait(void)
{
    int rc = pthread_barrier_wait(&bar);
    if (rc && rc != PTHREAD_BARRIER_SERIAL_THREAD)
        die("pthread_barrier_wait", rc);
}

/* Start n threads running fn(i) behind a barrier of n; join them. */
static void run_threads(int n, void *(*fn)(void *))
{
    pthread_t *t = malloc(n * sizeof *t);
    if (!t)
        die("malloc", ENOMEM);
    int rc = pthread_barrier_init(&bar, NULL, n);
    if (rc)
        die("pthread_barrier_init", rc);
    for (long i = 0; i < n; i++)
        t[i] = spawn(fn, (void *)i);
    for (int i = 0; i < n; i++)
        join(t[i]);
    pthread_barrier_destroy(&bar);
    free(t);
}

/* ---- h_errno ------------------------------------------------------------- */

/* Lookups that fail in different ways, with the h_errno they leave. */
static const struct {
    const char *name;
    int af;
} fails[] = {
    {"nx.cx.test", AF_INET},    /* HOST_NOT_FOUND */
    {"v6.cx.test", AF_INET},    /* NO_DATA */
    {"v4.cx.test", AF_INET6},   /* NO_DATA */
    {"", AF_INET},              /* NO_RECOVERY */
};
#define N_FAILS 4

static int want_herr[N_FAILS];
static atomic_int herr_kept, herr_phase2;
#define HERR_THREADS 40

static int fail_lookup(int k)
{
    struct hostent *he = gethostbyname2(fails[k].name, fails[k].af);
    return he ? -100 : h_errno;
}

static void *herr_thread(void *arg)
{
    long i = (long)arg;
    int k = i % N_FAILS;
    int mine = fail_lookup(k);
    bwait();
    /* the odd threads fail again, differently, while the even ones wait */
    if (i & 1) {
        k = (k + 1) % N_FAILS;
        mine = fail_lookup(k);
        if (mine == want_herr[k])
            herr_phase2++;
    } else {
        msleep(1 + i % 5);
    }
    bwait();
    msleep(1 + i % 3);
    sched_yield();
    if (h_errno == mine && mine == want_herr[k])
        herr_kept++;
    else
        printf("%s: thread %ld: h_errno %s, expected %s\n", where, i,
               herr_name(h_errno), herr_name(want_herr[k]));
    return NULL;
}

static void c_h_errno(void)
{
    for (int k = 0; k < N_FAILS; k++) {
        want_herr[k] = fail_lookup(k);
        say("gethostbyname2(\"%s\", %s): h_errno %s", fails[k].name,
            fails[k].af == AF_INET ? "AF_INET" : "AF_INET6",
            herr_name(want_herr[k]));
    }
    herr_kept = herr_phase2 = 0;
    run_threads(HERR_THREADS, herr_thread);
    say("%d threads: %d failed as expected a second time, %d kept their own "
        "h_errno", HERR_THREADS, (int)herr_phase2, (int)herr_kept);
}

/* ---- errno ----------------------------------------------------------------- */

static atomic_int errno_kept, errno_erange;
#define ERRNO_THREADS 40

static void *errno_thread(void *arg)
{
    long i = (long)arg;
    int want;
    if (i & 1) {
        /* ERANGE from a buffer too small */
        char buf[8];
        struct hostent he, *res;
        int herr;
        int rc = gethostbyname_r("www.cx.test", &he, buf, sizeof buf, &res, &herr);
        want = errno;
        if (rc == ERANGE && want == ERANGE)
            errno_erange++;
        bwait();
        msleep(2 + i % 5);      /* the others look up meanwhile */
    } else {
        bwait();
        /* lookups that set errno on their way (or not), then our own */
        char buf[8192];
        struct hostent he, *res;
        int herr;
        gethostbyname_r("nx.cx.test", &he, buf, sizeof buf, &res, &herr);
        gethostbyname_r("www.cx.test", &he, buf, sizeof buf, &res, &herr);
        struct addrinfo *ai;
        if (getaddrinfo("dual.cx.test", "http", NULL, &ai) == 0)
            freeaddrinfo(ai);
        errno = want = (i % 4) ? EDOM : EILSEQ;
    }
    bwait();
    sched_yield();
    if (errno == want)
        errno_kept++;
    else
        printf("%s: thread %ld: errno %s, expected %s\n", where, i, en(errno),
               en(want));
    return NULL;
}

static void c_errno(void)
{
    errno_kept = errno_erange = 0;
    run_threads(ERRNO_THREADS, errno_thread);
    say("%d threads: %d got ERANGE, %d kept their own errno", ERRNO_THREADS,
        (int)errno_erange, (int)errno_kept);
}

/* ---- r_many: the _r functions from 1,000 threads ----------------------- */

#define R_THREADS 1000

struct expect {
    const char *name;       /* h_name */
    const char *alias;      /* first alias or NULL */
    const char *addr;       /* first address */
    int af;
};

static atomic_int r_right_now, r_right_later, r_in_buffer;

/* Is `he` what we expect, with everything inside buf? */
static int check_hostent(const struct hostent *he, const struct expect *x,
                         const char *buf, size_t len, int *inside)
{
    char a[INET6_ADDRSTRLEN];
    *inside = 1;
    if (!he || strcmp(he->h_name, x->name) || he->h_addrtype != x->af ||
        !he->h_addr_list[0])
        return 0;
    if (he->h_name < buf || he->h_name >= buf + len)
        *inside = 0;
    for (char **p = he->h_aliases; *p; p++)
        if (*p < buf || *p >= buf + len)
            *inside = 0;
    for (char **p = he->h_addr_list; *p; p++)
        if (*p < buf || *p >= buf + len)
            *inside = 0;
    if ((x->alias && (!he->h_aliases[0] || strcmp(he->h_aliases[0], x->alias))) ||
        (!x->alias && he->h_aliases[0]))
        return 0;
    inet_ntop(x->af, he->h_addr_list[0], a, sizeof a);
    return !strcmp(a, x->addr);
}

static void *r_thread(void *arg)
{
    long i = (long)arg;
    char namebuf[32], addrbuf[32];
    struct expect x = {NULL, NULL, NULL, AF_INET};
    int kind = i % 5;
    switch (kind) {
    case 0:
    case 1: {
        int j = (int)(i % 200);
        snprintf(namebuf, sizeof namebuf, "n%d.cx.test", j);
        snprintf(addrbuf, sizeof addrbuf, "198.18.%d.%d", j / 250, j % 250 + 1);
        x.name = namebuf;
        x.addr = addrbuf;
        break;
    }
    case 2:
        x = (struct expect){"dual.cx.test", "www.cx.test", "192.0.2.20", AF_INET};
        break;
    case 3:
        x = (struct expect){"files.cx.test", "files", "2001:db8::50", AF_INET6};
        break;
    case 4:
        x = (struct expect){"v4.cx.test", NULL, "192.0.2.10", AF_INET};
        break;
    }
    size_t len = 1024 + (i % 7) * 100;
    char *buf = malloc(len);
    struct hostent he, *res = NULL;
    int herr = 0, rc;
    bwait();
    if (kind == 0 || kind == 2)
        rc = gethostbyname_r(kind == 2 ? "www.cx.test" : x.name, &he, buf, len,
                             &res, &herr);
    else if (kind == 1 || kind == 3)
        rc = gethostbyname2_r(kind == 3 ? "files" : x.name, x.af, &he, buf, len,
                              &res, &herr);
    else {
        struct in_addr a;
        inet_pton(AF_INET, "192.0.2.10", &a);
        rc = gethostbyaddr_r(&a, sizeof a, AF_INET, &he, buf, len, &res, &herr);
    }
    int inside;
    if (rc == 0 && res == &he && check_hostent(&he, &x, buf, len, &inside)) {
        r_right_now++;
        r_in_buffer += inside;
    } else {
        printf("%s: thread %ld (%s): rc %s, h_errno %s, wrong answer\n", where,
               i, x.name, en(rc), herr_name(herr));
    }
    msleep(1 + i % 10);
    sched_yield();
    if (rc == 0 && res == &he && check_hostent(&he, &x, buf, len, &inside))
        r_right_later++;
    free(buf);
    return NULL;
}

static void c_r_many(void)
{
    r_right_now = r_right_later = r_in_buffer = 0;
    run_threads(R_THREADS, r_thread);
    say("%d threads: %d right after the call, %d inside their own buffer, "
        "%d still right later", R_THREADS, (int)r_right_now, (int)r_in_buffer,
        (int)r_right_later);
}

/* ---- serial: gethostbyname under the program's own lock ----------------- */

#define SERIAL_THREADS 100
static pthread_mutex_t serial_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int serial_right;

static void *serial_thread(void *arg)
{
    long i = (long)arg;
    int j = (int)(i % 200);
    char name[32], want[32], got[INET_ADDRSTRLEN] = "";
    snprintf(name, sizeof name, "n%d.cx.test", j);
    snprintf(want, sizeof want, "198.18.%d.%d", j / 250, j % 250 + 1);
    char copy[64] = "";
    bwait();
    pthread_mutex_lock(&serial_lock);
    struct hostent *he = gethostbyname(name);
    if (he && he->h_addr_list[0]) {
        snprintf(copy, sizeof copy, "%s", he->h_name);
        inet_ntop(AF_INET, he->h_addr_list[0], got, sizeof got);
    }
    pthread_mutex_unlock(&serial_lock);
    msleep(1 + i % 3);
    if (!strcmp(copy, name) && !strcmp(got, want))
        serial_right++;
    else
        printf("%s: thread %ld: %s -> \"%s\" %s\n", where, i, name, copy, got);
    return NULL;
}

static void c_serial(void)
{
    serial_right = 0;
    run_threads(SERIAL_THREADS, serial_thread);
    say("%d threads: %d got their own answer", SERIAL_THREADS, (int)serial_right);
}

/* ---- res_state: _res per thread ------------------------------------------ */

#define RES_THREADS 20
static atomic_int res_ok, res_options_kept;

static int search_short(void)
{
    unsigned char ans[512];
    return res_search("short", ns_c_in, ns_t_a, ans, sizeof ans) > 0;
}

static void *res_thread(void *arg)
{
    long i = (long)arg;
    int plain = i & 1;   /* odd: no search list */
    if (res_init() < 0)
        die("res_init", errno);
    if (plain)
        _res.options &= ~(RES_DNSRCH | RES_DEFNAMES);
    unsigned long opts = _res.options;
    bwait();
    for (int round = 0; round < 3; round++) {
        int found = search_short();
        if (found == !plain)
            res_ok++;
        else
            printf("%s: thread %ld round %d: res_search(\"short\") %s\n", where,
                   i, round, found ? "found it" : "did not find it");
        msleep(1 + (i + round) % 4);
    }
    bwait();
    if (_res.options == opts)
        res_options_kept++;
    else
        printf("%s: thread %ld: _res.options 0x%lx, was 0x%lx\n", where, i,
               (unsigned long)_res.options, opts);
    return NULL;
}

static void c_res_state(void)
{
    res_ok = res_options_kept = 0;
    run_threads(RES_THREADS, res_thread);
    say("%d threads: %d of %d searches as their own _res says, %d kept "
        "their _res.options", RES_THREADS, (int)res_ok, 3 * RES_THREADS,
        (int)res_options_kept);
}

static const struct tcase cases[] = {
    {"h_errno", c_h_errno},
    {"errno", c_errno},
    {"r_many", c_r_many},
    {"serial", c_serial},
    {"res_state", c_res_state},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "dns_cls");
}
