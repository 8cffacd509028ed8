/* The one reader of the resolver's small files (see file.h).
 *
 * Raw system calls only (sched/sys.h): the library hooks open, read and
 * close, and a lookup must leave the caller's errno as it found it. The
 * text goes to the heap, not the stack: gai.conf has no size limit, and a
 * coroutine's stack may be small. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "dns/file.h"
#include "sched/sys.h"

char *dns_file_read(const char *path, size_t max, size_t *len, struct timespec *mtime)
{
	long fd = SYS4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (mtime && SYS(SYS_fstat, fd, &st, 0) < 0) {
		sys_close((int)fd);
		return NULL;
	}
	size_t cap = max < 4096 ? max : 4096, n = 0;
	char *buf = malloc(cap + 1);
	while (buf && n < max) {
		if (n == cap) {
			size_t c = cap > max / 2 ? max : cap * 2;
			char *nb = realloc(buf, c + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap = c;
		}
		long r = sys_read((int)fd, buf + n, cap - n);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	sys_close((int)fd);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	*len = n;
	if (mtime)
		*mtime = st.st_mtim;
	return buf;
}
