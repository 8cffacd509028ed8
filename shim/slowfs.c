/* Which opens may wait on the network: those on a file system whose type
 * COEXEC_SLOW_FS names (by default the network and FUSE ones). The open
 * path already asks statx for the type of what it opens; asking for the
 * mount id too costs nothing more, and the type of each mount is read once
 * from /proc/self/mountinfo and kept. A file yet to be created has no
 * mount to ask: its directory is asked, only while some mount is slow
 * (slowfs_any, which reads mountinfo at most every 5 s). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "preload/config.h"
#include "shim/shim.h"
#include "sched/sys.h"

#define MOUNTS 64
static struct { uint64_t id; int slow; } known[MOUNTS];
static int nknown, known_lock;

/* Does the comma list name type? "fuse" also names every "fuse.X". */
int slowfs_names(const char *list, const char *type)
{
	size_t tl = strlen(type);
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if ((n == tl && !memcmp(p, type, n)) ||
		    (n == 4 && !memcmp(p, "fuse", 4) && !strncmp(type, "fuse", 4)))
			return 1;
		p += n + (p[n] == ',');
	}
	return 0;
}

/* The type of mount id from mountinfo lines "ID PARENT ... - TYPE SOURCE
 * OPTIONS"; 1 if slow, 0 if not or not found. Id 0 (no mount has it):
 * is any mount slow? */
static int read_slow(uint64_t id)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	long fd = SYS(SYS_openat, AT_FDCWD, "/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	int slow = 0;
	if (!buf || fd < 0)
		goto out;
	for (long r; (r = SYS(SYS_read, fd, buf + len, cap - len - 1)) > 0;) {
		len += r;
		if (len + 1 == cap) {
			char *more = realloc(buf, cap * 2);
			if (!more)
				goto out;
			buf = more;
			cap *= 2;
		}
	}
	buf[len] = 0;
	for (char *line = buf; *line;) {
		char *end = strchr(line, '\n');
		if (end)
			*end = 0;
		char *dash = strstr(line, " - ");
		if (dash && (!id || strtoull(line, NULL, 10) == id)) {
			char type[64];
			size_t n = strcspn(dash + 3, " ");
			if (n < sizeof type) {
				memcpy(type, dash + 3, n);
				type[n] = 0;
				slow = slowfs_names(coexec_config.slow_fs, type);
			}
			if (id || slow)
				break;
		}
		if (!end)
			break;
		line = end + 1;
	}
out:
	if (fd >= 0)
		SYS(SYS_close, fd, 0, 0);
	free(buf);
	return slow;
}

int slowfs_mount(uint64_t id)
{
	if (!*coexec_config.slow_fs)
		return 0;
	spin_lock(&known_lock);
	for (int i = 0; i < nknown; i++)
		if (known[i].id == id) {
			int slow = known[i].slow;
			spin_unlock(&known_lock);
			return slow;
		}
	spin_unlock(&known_lock);
	int slow = read_slow(id);
	spin_lock(&known_lock);
	int i = nknown < MOUNTS ? nknown++ : (int)(id % MOUNTS);
	known[i].id = id;
	known[i].slow = slow;
	spin_unlock(&known_lock);
	return slow;
}

int slowfs_any(void)
{
	static int64_t next;
	static int any;
	int64_t now = now_ns();
	if (!*coexec_config.slow_fs)
		return 0;
	if (now >= __atomic_load_n(&next, __ATOMIC_RELAXED)) {
		__atomic_store_n(&any, read_slow(0), __ATOMIC_RELAXED);
		__atomic_store_n(&next, now + 5000000000LL, __ATOMIC_RELAXED);
	}
	return __atomic_load_n(&any, __ATOMIC_RELAXED);
}
