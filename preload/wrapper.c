/*
 * coexec - run a program with libcoexec.so preloaded, so that its threads
 * become coroutines on coexec's scheduler.  See coexec(1) and coexec(7).
 *
 * The command, built as build/coexec; not part of the library.  It is a C
 * program rather than a script so that starting a program under coexec costs
 * one execve and no helper process.  It validates its options (exit 125),
 * finds the program the way env(1) does (127 not found, 126 not executable),
 * says when LD_PRELOAD cannot work (static or setuid targets), prepends the
 * library to LD_PRELOAD once, and execs the program in place so that the
 * pid, signals and exit status are the program's own.
 *
 * `make install` compiles it with COEXEC_LIBRARY, the installed library's
 * absolute path.  Without it the command runs from the source tree and uses
 * build/libcoexec.so of the tree its own executable lives in.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"Usage: coexec [OPTION]... [--] PROGRAM [ARGUMENT]...\n"
	"Run PROGRAM with libcoexec.so preloaded: every thread it creates becomes a\n"
	"coroutine, and blocking socket, pipe, poll and sleep calls park the coroutine\n"
	"instead of the kernel thread.  PROGRAM is not recompiled.\n"
	"\n"
	"Options:\n"
	"  -d, --debug[=CATS]     log runtime events (COEXEC_DEBUG); CATS is a comma\n"
	"                         list of sched,net,dns,sync,pool,proc,signal,stall\n"
	"                         or 'all' (default: all)\n"
	"  -w, --workers N        number of worker threads, 1..1024 (COEXEC_WORKERS)\n"
	"      --stack-size SIZE  coroutine stack size, e.g. 256k or 8M, between 16k\n"
	"                         and 1024M (COEXEC_STACK_SIZE)\n"
	"      --log-file FILE    write the log and statistics to FILE, appending,\n"
	"                         instead of standard error (COEXEC_LOG_FILE)\n"
	"      --stats            print a summary of the run at exit (COEXEC_STATS)\n"
	"      --print-library    print the absolute path of libcoexec.so and exit\n"
	"  -h, --help             show this help and exit\n"
	"      --version          show the version and exit\n"
	"\n"
	"Options end at '--' or at the first argument that is not an option.\n"
	"Exit status: 125 if coexec itself fails, 126 if PROGRAM cannot be executed,\n"
	"127 if PROGRAM is not found, otherwise the exit status of PROGRAM.\n"
	"See coexec(1) for the command and coexec(7) for the environment variables.\n";

static const char *self_name;	/* argv[0], for one message */
static const char *lib;		/* absolute path of libcoexec.so */
static const char *hint = "";	/* added to "library not found" */

__attribute__((noreturn, format(printf, 2, 3)))
static void fail(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(status);
}

/* The command's own errors: one line pointing at --help, exit 125. */
#define die(fmt, ...) \
	fail(125, "coexec: " fmt "; try 'coexec --help'\n", ##__VA_ARGS__)
#define warn(fmt, ...) fprintf(stderr, "coexec: warning: " fmt "\n", __VA_ARGS__)

__attribute__((format(printf, 1, 2)))
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		fail(125, "coexec: %s\n", strerror(ENOMEM));
	return s;
}

/* test(1)'s -r and -x: access for the effective ids, as sh checks them. */
static int can(const char *path, int mode)
{
	return faccessat(AT_FDCWD, path, mode, AT_EACCESS) == 0;
}

static int readable_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && can(path, R_OK);
}

/* --- option values: each check returns the value to export, or dies ---- */

static int all_digits(const char *s, size_t n)
{
	return n && strspn(s, "0123456789") >= n;
}

/* Leading zeros off N digits at S ("007" is "7", "000" is "0"). */
static const char *strip_zeros(const char *s, size_t *n)
{
	for (; *n > 1 && *s == '0'; (*n)--)
		s++;
	return s;
}

/* Is the N bytes at P a debug category? */
static int known_category(const char *p, size_t n)
{
	static const char *const valid[] = {
		"sched", "net", "dns", "sync", "pool", "proc", "signal", "stall", "all", "1",
	};

	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
		if (strlen(valid[i]) == n && !strncmp(p, valid[i], n))
			return 1;
	return 0;
}

/* A comma list, checked in order: the first bad category is the one named. */
static const char *check_debug(const char *s)
{
	const char *p = s;

	if (!*s)
		die("missing categories for --debug");
	while (*p) {
		size_t n = strcspn(p, ",");

		if (!n)
			die("empty category in --debug '%s'", s);
		if (!known_category(p, n))
			die("unknown debug category '%.*s' (valid: sched,net,dns,sync,pool,proc,signal,stall,all)",
			    (int)n, p);
		p += n + (p[n] == ',');
	}
	if (s[strlen(s) - 1] == ',')
		die("empty category in --debug '%s'", s);
	return s;
}

static const char *check_workers(const char *s)
{
	size_t n = strlen(s);

	if (all_digits(s, n)) {
		const char *v = strip_zeros(s, &n);

		if (n <= 4 && atoi(v) >= 1 && atoi(v) <= 1024)
			return v;
	}
	die("invalid number of workers '%s' (expected an integer from 1 to 1024)", s);
}

/* Digits with an optional k/K/m/M suffix; exported without leading zeros. */
static const char *check_stack_size(const char *s)
{
	size_t n = strlen(s);
	int shift = 0;

	if (n && strchr("kKmM", s[n - 1]))
		shift = strchr("kK", s[--n]) ? 10 : 20;
	if (all_digits(s, n)) {
		const char *v = strip_zeros(s, &n);
		unsigned long long bytes = strtoull(v, NULL, 10) << shift;

		if (n <= 10 && bytes >= 16384 && bytes <= 1ULL << 30)
			return v;
	}
	die("invalid stack size '%s' (expected bytes with an optional k or M suffix, from 16k to 1024M)",
	    s);
}

static const char *check_log_file(const char *s)
{
	if (!*s)
		die("empty file name for --log-file");
	return s;
}

/* --- where the library is ------------------------------------------------ */

/* Sets lib to an absolute path; never looks in the current directory.
 * Strings here and below are not freed: the process execs or exits. */
static void locate_library(void)
{
#ifdef COEXEC_LIBRARY
	lib = COEXEC_LIBRARY;
#else
	/* <tree>/build/coexec, or a link to it: <tree>/build/libcoexec.so. */
	char *self = realpath("/proc/self/exe", NULL), *slash, *tree;

	if (!self)
		self = xasprintf("%s", self_name);
	slash = strrchr(self, '/');
	tree = realpath(slash ? xasprintf("%.*s/..", (int)(slash - self), self) : "./..", NULL);
	if (!tree)
		die("cannot find the directory of %s", self_name);
	lib = xasprintf("%s/build/libcoexec.so", tree);
	hint = " (build it with 'make')";
#endif
	if (lib[0] != '/')
		die("library path '%s' is not absolute", lib);
}

static void check_library(void)
{
	struct stat st;

	if (stat(lib, &st))
		die("library not found: %s%s", lib, hint);
	if (!S_ISREG(st.st_mode) || !can(lib, R_OK))
		die("cannot read library %s", lib);
	if (strpbrk(lib, ": \t"))
		die("library path '%s' contains ':' or a blank, which LD_PRELOAD cannot express",
		    lib);
}

/* --- options ------------------------------------------------------------- */

/* --help, --version, --print-library: print and exit 0. */
__attribute__((noreturn))
static void inform(const char *name)
{
	if (!strcmp(name, "help")) {
		fputs(usage, stdout);
	} else if (!strcmp(name, "version")) {
		puts("coexec " PACKAGE_VERSION);
	} else {
		locate_library();
		if (!readable_file(lib))
			warn("library not found: %s", lib);
		puts(lib);
	}
	exit(0);
}

enum arg { NONE, OPTIONAL, REQUIRED };

static const struct option {
	char letter;		/* -d; 0 when there is no short form */
	const char *name;	/* --debug */
	enum arg arg;		/* OPTIONAL values can only be attached */
	const char *var;	/* set to the value, or to 1 without one;
				 * NULL: inform() instead */
	const char *(*check)(const char *value);
} options[] = {
	{ 'h', "help", NONE, NULL, NULL },
	{ 0, "version", NONE, NULL, NULL },
	{ 0, "print-library", NONE, NULL, NULL },
	{ 'd', "debug", OPTIONAL, "COEXEC_DEBUG", check_debug },
	{ 'w', "workers", REQUIRED, "COEXEC_WORKERS", check_workers },
	{ 0, "stack-size", REQUIRED, "COEXEC_STACK_SIZE", check_stack_size },
	{ 0, "log-file", REQUIRED, "COEXEC_LOG_FILE", check_log_file },
	{ 0, "stats", NONE, "COEXEC_STATS", NULL },
};

/* The option -LETTER, or --NAME when LETTER is 0; NULL when unknown. */
static const struct option *find_option(char letter, const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
		const struct option *o = &options[i];

		if (letter ? o->letter == letter
			   : strlen(o->name) == n && !strncmp(o->name, name, n))
			return o;
	}
	return NULL;
}

/* Applies option ARG, NEXT being the argument after it (NULL at the end);
 * returns how many arguments it used. */
static int take_option(const char *arg, const char *next)
{
	const struct option *o;
	const char *value = NULL;	/* attached: --name=value, -xvalue */

	if (arg[1] == '-') {
		size_t n = strcspn(arg + 2, "=");

		o = find_option(0, arg + 2, n);
		if (arg[2 + n] == '=')
			value = arg + 3 + n;
		if (o && value && o->arg == NONE)
			die("option '%.*s' takes no argument", (int)n + 2, arg);
	} else {
		o = find_option(arg[1], NULL, 0);
		if (arg[2])
			value = arg + 2;
		if (o && value && o->arg == NONE)
			o = NULL;	/* -hx */
	}
	if (!o)
		die("unknown option '%s'", arg);
	if (!o->var)
		inform(o->name);
	if (!value && o->arg == REQUIRED) {
		if (!next)
			die("option '%s' requires an argument", arg);
		setenv(o->var, o->check(next), 1);
		return 2;
	}
	setenv(o->var, value ? o->check(value) : "1", 1);
	return 1;
}

/* Returns the index of the program in ARGV. */
static int parse_options(int argc, char **argv)
{
	int i = 1;

	while (i < argc && strcmp(argv[i], "--")) {
		if (argv[i][0] != '-' || !argv[i][1])
			return i;
		i += take_option(argv[i], argv[i + 1]);
	}
	return i < argc ? i + 1 : i;
}

/* --- the program, found as execvp(3) and env(1) find it ----------------- */

static const char *search_path(const char *prog)
{
	const char *dirs = getenv("PATH"), *d;
	const char *denied = NULL;
	int denied_dir = 0;
	struct stat st;

	if (!dirs)
		dirs = "/bin:/usr/bin";
	for (d = dirs;; d += strcspn(d, ":") + 1) {
		size_t n = strcspn(d, ":");
		/* An empty element is the current directory, as for execvp. */
		char *path = n ? xasprintf("%.*s/%s", (int)n, d, prog) : xasprintf("%s", prog);

		int exists = !stat(path, &st);

		if (exists && S_ISREG(st.st_mode) && can(path, X_OK))
			return path;
		if (exists && !denied) {
			denied = path;
			denied_dir = S_ISDIR(st.st_mode);
		}
		if (!d[n])
			break;
	}
	if (denied)
		fail(126, "coexec: %s: %s\n", prog,
		     denied_dir ? "Is a directory" : "Permission denied");
	fail(127, "coexec: %s: No such file or directory\n", prog);
}

static const char *find_program(const char *prog)
{
	struct stat st;

	if (!*prog)
		fail(127, "coexec: '': No such file or directory\n");
	if (!strchr(prog, '/'))
		return search_path(prog);
	if (stat(prog, &st))
		fail(127, "coexec: %s: No such file or directory\n", prog);
	if (S_ISDIR(st.st_mode))
		fail(126, "coexec: %s: Is a directory\n", prog);
	if (!can(prog, X_OK))
		fail(126, "coexec: %s: Permission denied\n", prog);
	return prog;
}

/* --- say so when LD_PRELOAD cannot take effect --------------------------- */

/* LEN bytes at P, little-endian when ORDER is 1 (ELFDATA2LSB), else big. */
static uint64_t elf_num(const unsigned char *p, int len, int order)
{
	uint64_t v = 0;

	for (int i = 0; i < len; i++)
		v = v << 8 | p[order == 1 ? len - 1 - i : i];
	return v;
}

/* Is FD an ELF file whose program headers, all present, have no PT_INTERP?
 * Anything else (not ELF, truncated, odd) is not called static. */
static int elf_static(int fd)
{
	unsigned char h[64], t[4];
	uint64_t off, size, num;
	struct stat st;
	ssize_t n = pread(fd, h, sizeof h, 0);
	int order = n >= 6 ? h[5] : 0, wide = n == 64 && h[4] == 2;	/* ELFCLASS64 */

	if (n < 52 || memcmp(h, "\177ELF", 4) || (order != 1 && order != 2) ||
	    (h[4] != 1 && !wide) || fstat(fd, &st))
		return 0;
	off = elf_num(h + (wide ? 32 : 28), wide ? 8 : 4, order);
	size = elf_num(h + (wide ? 54 : 42), 2, order);
	num = elf_num(h + (wide ? 56 : 44), 2, order);
	if (off >= 1000000000000ULL || !num || size < 8 || off + size * num > (uint64_t)st.st_size)
		return 0;
	for (uint64_t i = 0; i < num; i++) {
		if (pread(fd, t, 4, off + i * size) != 4)
			return 0;
		if (elf_num(t, 4, order) == 3)	/* PT_INTERP */
			return 0;
	}
	return 1;
}

static void check_target(const char *prog, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct stat st;
	int fd = readable_file(path) ? open(path, O_RDONLY | O_CLOEXEC) : -1;

	/* The dynamic loader run directly honours LD_PRELOAD. */
	if (fd >= 0 && elf_static(fd) && fnmatch("ld-*.so*", base, 0) && fnmatch("ld.so*", base, 0))
		warn("%s is statically linked: LD_PRELOAD has no effect on it, so it runs natively",
		     prog);
	if (fd >= 0)
		close(fd);
	/* The loader ignores LD_PRELOAD (secure-execution mode) when exec changes
	 * the effective user or group, as a setuid or setgid program does. */
	if (!stat(path, &st) && (((st.st_mode & S_ISUID) && st.st_uid != getuid()) ||
				 ((st.st_mode & S_ISGID) && st.st_gid != getgid())))
		warn("%s is setuid or setgid: the system ignores LD_PRELOAD for it, so it runs natively",
		     prog);
}

/* --- LD_PRELOAD: our library first, once; the user's entries kept -------- */

static void preload(void)
{
	const char *old = getenv("LD_PRELOAD");
	size_t first = old ? strcspn(old, ": \t") : 0;

	if (!old || !*old)
		setenv("LD_PRELOAD", lib, 1);
	else if (first != strlen(lib) || strncmp(old, lib, first))
		setenv("LD_PRELOAD", xasprintf("%s:%s", lib, old), 1);
}

/* Would sh refuse PATH as a script?  dash, which ran the program when coexec
 * was a script, does when a NUL byte comes before the first newline in the
 * first 128 bytes. */
static int binary(const char *path)
{
	char buf[128];
	int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof buf);
	const char *nl = n > 0 ? memchr(buf, '\n', n) : NULL;

	if (fd >= 0)
		close(fd);
	return n > 0 && memchr(buf, 0, nl ? nl - buf : n);
}

/* Execs PATH in place with ARGV, whose argv[-1] is ours to reuse.  A file
 * the kernel cannot run (no #! line) goes to /bin/sh, as execvp(3) and sh
 * send it, unless it looks binary. */
__attribute__((noreturn))
static void run(const char *path, char **argv)
{
	const char *prog = argv[0];
	int e;

	execv(path, argv);
	e = errno;
	if (e == ENOEXEC && !binary(path)) {
		argv[-1] = "/bin/sh";
		argv[0] = (char *)path;
		execv(argv[-1], argv - 1);
		e = errno;
	}
	/* Exit statuses as sh gives them. */
	fail(e == ENOENT || e == ENOTDIR || e == ELOOP || e == ENAMETOOLONG ? 127 : 126,
	     "coexec: %s: %s\n", prog, strerror(e));
}

int main(int argc, char **argv)
{
	int i;
	const char *path;

	self_name = argv[0] ? argv[0] : "coexec";
	i = parse_options(argc, argv);
	if (i >= argc)
		die("missing program");
	locate_library();
	check_library();
	path = find_program(argv[i]);
	check_target(argv[i], path);
	preload();
	run(path, argv + i);
}
