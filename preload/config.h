/* Configuration, read once from the environment at start-up. A bad value is
 * named in a one-line message and the default is used instead. */
#ifndef PRELOAD_CONFIG_H
#define PRELOAD_CONFIG_H

#include <stddef.h>

struct coexec_config {
	unsigned debug;         /* LOG_* mask (COEXEC_DEBUG) */
	const char *log_file;   /* COEXEC_LOG_FILE, or NULL for stderr */
	int stats;              /* COEXEC_STATS */
	size_t stack_size;      /* COEXEC_STACK_SIZE; 0 = native default */
	int workers;            /* COEXEC_WORKERS; default: usable CPUs */
	int dns_native;         /* COEXEC_DNS=native: glibc's resolver on the pool */
	int pool_max;           /* COEXEC_POOL_MAX; default 256 */
	const char *slow_fs;    /* COEXEC_SLOW_FS: file system types whose opens use the pool */
	int stall_ms;           /* COEXEC_STALL_MS; default 20, 0: no stall monitor */
	int tls_shared;         /* COEXEC_TLS=worker: thread-local storage per worker */
	int deadlock_abort;     /* COEXEC_DEADLOCK=abort: abort after the report */
};

extern struct coexec_config coexec_config;

void config_read(void);

/* Parsers, shared with the unit tests. Return 0 or -1 (bad value). */
int config_parse_debug(const char *s, unsigned *mask, char *bad, size_t badlen);
int config_parse_size(const char *s, size_t *out);
int config_parse_bool(const char *s, int *out);
int config_parse_workers(const char *s, int *out);
int config_parse_stall(const char *s, int *out);
/* A comma list of file system type names ("" for none). */
int config_parse_fs_list(const char *s);

#define SLOW_FS_DEFAULT "nfs,nfs4,cifs,smb3,9p,fuse,ceph,afs,glusterfs,lustre,gpfs"


#endif
