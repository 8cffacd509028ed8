/* Learning the program's view of a descriptor (fdview.h). */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "preload/log.h"
#include "shim/fdview.h"
#include "sched/sys.h"

struct fdent *view_new(int fd, enum fd_kind kind, int user_nb)
{
	struct fdent *e = fd_fresh(fd);
	if (!e)
		return NULL;
	struct fdview *v = view(e);
	v->kind = kind;
	v->user_nb = !!user_nb;
	v->timeo_known = 1;   /* a new socket has no timeouts */
	return e;
}

void view_classify(int fd, struct fdent *e)
{
	struct fdview *v = view(e);
	struct stat st;
	long r = SYS(SYS_fstat, fd, &st, 0);

	if (r < 0) {
		v->kind = FD_UNKNOWN;
		return;
	}
	if (S_ISSOCK(st.st_mode)) {
		int type = 0;
		socklen_t len = sizeof type;
		if (SYS6(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &len, 0) == 0)
			v->socktype = type;
		v->kind = FD_SOCK;
	} else if (S_ISFIFO(st.st_mode)) {
		v->kind = FD_PIPE;
	} else if (S_ISCHR(st.st_mode)) {
		v->kind = FD_CHR;
	} else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)) {
		fd_unpollable(e);
		v->kind = FD_REG;
	} else {
		v->kind = FD_OTHER;
	}
	long fl = sys_fcntl(fd, F_GETFL, 0);
	v->user_nb = fl >= 0 && (fl & O_NONBLOCK);
	if (v->kind == FD_REG && fl >= 0)
		v->file_fl = view_file_fl(fl);
	LOG(LOG_NET, "fd %d classified kind=%d nonblock=%d", fd, v->kind, v->user_nb);
}

int view_file_fl(long fl)
{
	return (fl & O_DIRECT ? FL_DIRECT : 0) | (fl & (O_SYNC | O_DSYNC) ? FL_SYNC : 0) |
	       (fl & O_APPEND ? FL_APPEND : 0);
}

void view_atfork_child(void *p)
{
	struct fdview *v = p;
	v->accept_turn = 0;
}
