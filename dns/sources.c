/* The hosts sources of nsswitch.conf, and glibc's "files" backend.
 *
 * We serve the "files" and "dns" sources with default actions, the way
 * glibc's NSS loop runs them (lookup.c); any other hosts line, or a libc
 * without the files backend, or COEXEC_DNS=native, leaves each lookup to
 * glibc's own function on the pool. nsswitch.conf is reread when it
 * changes, as glibc rereads it. "files" is glibc's own backend
 * (_nss_files_gethostbyname4_r and friends, exported by libc for its NSS
 * modules), so /etc/hosts is parsed exactly as natively. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "dns/internal.h"
#include "dns/file.h"
#include "preload/log.h"
#include "sched/pool.h"
#include "sched/sys.h"

struct dns_files dns_files;

static int config_native;       /* COEXEC_DNS=native */

static struct {
	int lock;
	int loaded;
	struct timespec mtime;
	char sources[8];        /* "fd", ... */
	int native;             /* nsswitch.conf asks for more than we serve */
} nss;

/* glibc's host.conf settings (struct hconf of its resolv/res_hconf.h,
 * exported as _res_hconf). Its files backend returns every matching line of
 * /etc/hosts only under "multi on", a flag glibc sets when its own lookup
 * code first runs, which under coexec may never happen. We set that one flag
 * the way glibc reads it (RESOLV_HOST_CONF, RESOLV_MULTI) and leave the
 * structure uninitialised, so glibc still reads the whole file itself when
 * it gets to run. */
struct hconf_abi {
	int initialized;
	int unused1;
	int unused2[4];
	int num_trimdomains;
	const char *trimdomain[4];
	unsigned flags;
};
#define HCONF_MULTI (1u << 4)

static void hconf_prime(void)
{
	struct hconf_abi *hc = dns_libc.sym("_res_hconf");
	if (!hc || hc->initialized)
		return;
	const char *path = getenv("RESOLV_HOST_CONF"), *env = getenv("RESOLV_MULTI");
	int multi = 0;
	size_t len;
	char *buf = dns_file_read(path ? path : "/etc/host.conf", 4095, &len, NULL);
	if (buf) {
		for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			while (*l == ' ' || *l == '\t')
				l++;
			if (strncasecmp(l, "multi", 5) || (l[5] != ' ' && l[5] != '\t'))
				continue;
			char *v = l + 5;
			while (*v == ' ' || *v == '\t')
				v++;
			multi = !strncasecmp(v, "on", 2);
		}
		free(buf);
	}
	if (env)
		multi = !strcasecmp(env, "on") ? 1 : !strcasecmp(env, "off") ? 0 : multi;
	if (multi)
		__atomic_or_fetch(&hc->flags, HCONF_MULTI, __ATOMIC_RELAXED);
}

static void load_backends(void)
{
	hconf_prime();
	dns_files.byname4 = (dns_byname4_fn)dns_libc.sym("_nss_files_gethostbyname4_r");
	dns_files.byname3 = (dns_byname3_fn)dns_libc.sym("_nss_files_gethostbyname3_r");
	dns_files.byaddr = (dns_byaddr_fn)dns_libc.sym("_nss_files_gethostbyaddr_r");
	if (!dns_files.byname4 || !dns_files.byname3 || !dns_files.byaddr)
		LOG(LOG_DNS, "dns: glibc's files backend not found: lookups run natively on the pool");
}

/* Parse the hosts line; sources we serve go to out ('f', 'd'). Returns 0,
 * or -1 when the line asks for anything else. */
static int parse_hosts_line(const char *s, char *out, size_t outlen)
{
	size_t n = 0;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '\n' || *s == '#')
			break;
		const char *w = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
		size_t len = s - w;
		if (len == 5 && !strncmp(w, "files", 5) && n + 1 < outlen)
			out[n++] = 'f';
		else if (len == 3 && !strncmp(w, "dns", 3) && n + 1 < outlen)
			out[n++] = 'd';
		else
			return -1;   /* another source, or an [action] */
	}
	out[n] = 0;
	return n ? 0 : -1;
}

/* Re-read nsswitch.conf when it changed, as glibc does. */
static void refresh(void)
{
	struct stat st;
	long r = SYS4(SYS_newfstatat, AT_FDCWD, "/etc/nsswitch.conf", &st, 0);
	struct timespec mt = r == 0 ? st.st_mtim : (struct timespec){ -1, 0 };
	spin_lock(&nss.lock);
	int fresh = nss.loaded && nss.mtime.tv_sec == mt.tv_sec && nss.mtime.tv_nsec == mt.tv_nsec;
	spin_unlock(&nss.lock);
	if (fresh)
		return;
	char sources[8];
	int native = 1;
	size_t len;
	char *buf = r == 0 ? dns_file_read("/etc/nsswitch.conf", 8191, &len, NULL) : NULL;
	if (buf) {
		for (char *line = buf; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
			while (*line == ' ' || *line == '\t')
				line++;
			if (strncmp(line, "hosts", 5))
				continue;
			char *p = line + 5;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != ':')
				continue;
			native = parse_hosts_line(p + 1, sources, sizeof sources) < 0;
			break;
		}
		free(buf);
	}
	/* No file, or no hosts line: glibc's default is "dns [!UNAVAIL=return]
	 * files", which has an action: leave it to glibc. */
	static int backends;
	if (!__atomic_load_n(&backends, __ATOMIC_ACQUIRE)) {
		load_backends();   /* idempotent: a race only does it twice */
		__atomic_store_n(&backends, 1, __ATOMIC_RELEASE);
	}
	spin_lock(&nss.lock);
	nss.loaded = 1;
	nss.mtime = mt;
	nss.native = native || !dns_files.byname4 || !dns_files.byname3 || !dns_files.byaddr;
	if (!native)
		memcpy(nss.sources, sources, sizeof sources);
	spin_unlock(&nss.lock);
	LOG(LOG_DNS, "dns: nsswitch.conf hosts: %s", native ? "not all files/dns: native on the pool" : sources);
}

void dns_set_native(int native)
{
	config_native = native;
}

int dns_native(void)
{
	if (config_native)
		return 1;
	refresh();
	return nss.native;
}

const char *dns_sources(void)
{
	return nss.sources;
}

void dns_offload(void (*fn)(void *), void *arg)
{
	LOG(LOG_DNS, "dns: native lookup on the pool");
	pool_run(fn, arg);
}

/* In a forked child: nsswitch.conf is read again at the first lookup. The
 * lock may have been copied held by a thread the child does not have,
 * halfway through an update, and a reread costs less than telling a torn
 * copy from a whole one. glibc's files backend stays found: its addresses
 * are the same in the child, and they are published only once all three
 * are written. The configuration stays too. */
void dns_sources_atfork_child(void)
{
	memset(&nss, 0, sizeof nss);
}
