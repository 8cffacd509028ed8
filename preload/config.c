/* Configuration from COEXEC_* variables; see config.h and coexec.7. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "preload/config.h"
#include "preload/log.h"

struct coexec_config coexec_config;

static const struct {
	const char *name;
	unsigned bit;
} categories[] = {
	{ "sched", LOG_SCHED }, { "net", LOG_NET },   { "dns", LOG_DNS },
	{ "sync", LOG_SYNC },   { "pool", LOG_POOL }, { "proc", LOG_PROC },
	{ "signal", LOG_SIGNAL }, { "stall", LOG_STALL }, { "all", LOG_ALL }, { "1", LOG_ALL },
};

int config_parse_debug(const char *s, unsigned *mask, char *bad, size_t badlen)
{
	*mask = 0;
	if (!*s || !strcmp(s, "0"))
		return 0;
	while (*s) {
		size_t n = strcspn(s, ",");
		unsigned bit = 0;
		for (size_t i = 0; i < sizeof categories / sizeof categories[0]; i++)
			if (strlen(categories[i].name) == n && !strncmp(s, categories[i].name, n))
				bit = categories[i].bit;
		if (!bit && n) {
			size_t m = n < badlen - 1 ? n : badlen - 1;
			memcpy(bad, s, m);
			bad[m] = 0;
			return -1;
		}
		*mask |= bit;
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

int config_parse_size(const char *s, size_t *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end == 'k' || *end == 'K')
		v <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		v <<= 20, end++;
	if (*end || v < 16384 || v > (1ULL << 30))
		return -1;
	*out = v;
	return 0;
}

int config_parse_bool(const char *s, int *out)
{
	if (!strcmp(s, "1") || !strcmp(s, "yes") || !strcmp(s, "true"))
		*out = 1;
	else if (!strcmp(s, "0") || !strcmp(s, "no") || !strcmp(s, "false") || !*s)
		*out = 0;
	else
		return -1;
	return 0;
}

int config_parse_workers(const char *s, int *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	long v = strtol(s, &end, 10);
	if (*end || v < 1 || v > 1024)
		return -1;
	*out = (int)v;
	return 0;
}

/* The CPUs this process may run on, as a native program would use them. */
static int usable_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	return 1;
}

int config_parse_fs_list(const char *s)
{
	for (const char *p = s; *p; p++) {
		int name = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
			   *p == '_' || *p == '-';
		if (!name && !(*p == ',' && p != s && p[1] && p[1] != ','))
			return -1;
	}
	return 0;
}

int config_parse_stall(const char *s, int *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	long v = strtol(s, &end, 10);
	if (*end || v > 60000)
		return -1;
	*out = (int)v;
	return 0;
}

void config_read(void)
{
	const char *v;
	char bad[32];

	if ((v = getenv("COEXEC_DEBUG"))) {
		if (config_parse_debug(v, &coexec_config.debug, bad, sizeof bad) < 0) {
			coexec_say("COEXEC_DEBUG: unknown category '%s' (known: sched,net,dns,sync,pool,proc,signal,stall,all); debug log off", bad);
			coexec_config.debug = 0;
		}
	}
	if ((v = getenv("COEXEC_LOG_FILE")) && *v)
		coexec_config.log_file = v;
	if ((v = getenv("COEXEC_STATS")) && config_parse_bool(v, &coexec_config.stats) < 0)
		coexec_say("COEXEC_STATS: '%s' is not 0 or 1; statistics off", v);
	coexec_config.workers = usable_cpus();
	if ((v = getenv("COEXEC_WORKERS")) && config_parse_workers(v, &coexec_config.workers) < 0) {
		coexec_config.workers = usable_cpus();
		coexec_say("COEXEC_WORKERS: '%s' is not a number from 1 to 1024; using %d (the usable CPUs)",
			   v, coexec_config.workers);
	}
	if ((v = getenv("COEXEC_STACK_SIZE")) &&
	    config_parse_size(v, &coexec_config.stack_size) < 0) {
		coexec_say("COEXEC_STACK_SIZE: '%s' is not a size between 16k and 1G (digits, k or M suffix); using the native default", v);
		coexec_config.stack_size = 0;
	}
	if ((v = getenv("COEXEC_DNS")) && *v) {
		if (!strcmp(v, "native"))
			coexec_config.dns_native = 1;
		else if (strcmp(v, "ares"))
			coexec_say("COEXEC_DNS: '%s' is not 'ares' or 'native'; using ares", v);
	}
	if ((v = getenv("COEXEC_TLS")) && *v) {
		if (!strcmp(v, "worker"))
			coexec_config.tls_shared = 1;
		else if (strcmp(v, "thread"))
			coexec_say("COEXEC_TLS: '%s' is not 'thread' or 'worker'; using thread", v);
	}
	if ((v = getenv("COEXEC_DEADLOCK")) && *v) {
		if (!strcmp(v, "abort"))
			coexec_config.deadlock_abort = 1;
		else if (strcmp(v, "report"))
			coexec_say("COEXEC_DEADLOCK: '%s' is not 'report' or 'abort'; using report", v);
	}
	coexec_config.slow_fs = SLOW_FS_DEFAULT;
	if ((v = getenv("COEXEC_SLOW_FS"))) {
		if (config_parse_fs_list(v) == 0)
			coexec_config.slow_fs = v;
		else
			coexec_say("COEXEC_SLOW_FS: '%s' is not a comma list of file system types (letters, digits, '.', '_', '-'); using %s",
				   v, SLOW_FS_DEFAULT);
	}
	coexec_config.stall_ms = 20;
	if ((v = getenv("COEXEC_STALL_MS")) &&
	    config_parse_stall(v, &coexec_config.stall_ms) < 0) {
		coexec_config.stall_ms = 20;
		coexec_say("COEXEC_STALL_MS: '%s' is not a number of milliseconds from 0 (no monitor) to 60000; using 20", v);
	}
	coexec_config.pool_max = 256;
	if ((v = getenv("COEXEC_POOL_MAX")) &&
	    config_parse_workers(v, &coexec_config.pool_max) < 0) {
		coexec_config.pool_max = 256;
		coexec_say("COEXEC_POOL_MAX: '%s' is not a number from 1 to 1024; using 256", v);
	}
}
