/* A thread descriptor and static TLS per coroutine (see tls.h).
 *
 * Layout of what we make, at the top of a coroutine's stack, as glibc
 * makes it at the top of a thread's:
 *     [ stack ... | static TLS blocks (and glibc's surplus) | struct pthread ]
 *                                                           ^ thread pointer
 * glibc fills in the TLS blocks and the block vector (_dl_allocate_tls);
 * the descriptor fields below we fill in as pthread_create would. */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "cls/tls.h"
#include "preload/log.h"
#include "sched/sys.h"
#include "sched/worker.h"

int tls_private, tls_fsgsbase;

/* The fixed part of the descriptor, the ABI gcc compiles against. */
#define TCB_SELF 16
#define TCB_MULTI 24
#define TCB_SYSINFO 32
#define TCB_GUARDS 40     /* stack guard, pointer guard */
#define TCB_FEATURE 72

static struct {
	size_t size, align;           /* static TLS and descriptor, its alignment */
	unsigned pthread;             /* sizeof (struct pthread) */
	unsigned tid, list, specific, specific1, robust, stackblock;
	long rseq;                    /* cpu_id of the rseq area, or -1 */
	long worker;                  /* our worker_tls */
	long tcache, arena;           /* malloc's per-thread cache and arena */
	void *(*alloc)(void *);
	void (*dealloc)(void *, _Bool);
	void (*dtors)(void);
	void (*ctype)(void);
} L;

/* Lookups by name (preload/real.c's, given to tls_init). */
static void *(*sym_private)(const char *), *(*sym_public)(const char *);

static inline char *tp_now(void)
{
	return (char *)sys_thread_self();
}

#define AT(tp, off, type) (*(type *)((char *)(tp) + (off)))

/* Offset of a struct pthread field from glibc's thread_db table
 * (bits, count, offset), or -1. */
static long db_field(const char *name)
{
	const unsigned *d = sym_private(name);
	return d && d[0] && d[2] < 4096 ? (long)d[2] : -1;
}

/* The one word of the main thread's descriptor that holds want at
 * [o, o+8) with next (if nonzero) after it: its offset, or -1. */
static long find_word(char *tp, uintptr_t want, int self, long next)
{
	long hit = -1;
	for (unsigned o = 64; o + 16 <= L.pthread; o += 8) {
		uintptr_t v = AT(tp, o, uintptr_t);
		if ((self ? v == (uintptr_t)(tp + o) : v == want) &&
		    (!next || AT(tp, o + 8, long) == next)) {
			if (hit >= 0)
				return -1;
			hit = o;
		}
	}
	return hit;
}

struct libc_tls {
	char *block;
	size_t len;
	uintptr_t data_lo, data_hi;   /* its writable segment */
};

static int find_libc(struct dl_phdr_info *i, size_t n, void *arg)
{
	struct libc_tls *t = arg;
	if (!i->dlpi_name || !strstr(i->dlpi_name, "/libc.so"))
		return 0;
	for (int k = 0; k < i->dlpi_phnum; k++) {
		const ElfW(Phdr) *p = &i->dlpi_phdr[k];
		if (p->p_type == PT_TLS)
			t->len = p->p_memsz;
		if (p->p_type == PT_LOAD && (p->p_flags & PF_W)) {
			t->data_lo = i->dlpi_addr + p->p_vaddr;
			t->data_hi = t->data_lo + p->p_memsz;
		}
	}
	t->block = i->dlpi_tls_data;
	return 1;
}

/* malloc's two thread-local words, in the main thread's libc block:
 * the cache is the pointer whose first list holds the chunk just freed;
 * the arena is main_arena, whose top chunk ends at the break. */
static int find_malloc(char *tp)
{
	struct libc_tls t = { 0 };
	dl_iterate_phdr(find_libc, &t);
	if (!t.block || !t.len)
		return -1;
	void *volatile keep = malloc(24); /* volatile: gcc drops a malloc/free pair */
	uintptr_t p = (uintptr_t)keep;
	free(keep);
	uintptr_t brk = (uintptr_t)sbrk(0), lo = brk - mallinfo2().arena;
	int ntc = 0, nar = 0;
	for (size_t o = 0; o + 8 <= t.len; o += 8) {
		uintptr_t v = AT(t.block, o, uintptr_t);
		if (v >= lo && v + 192 <= brk && !(v & 15) && AT(v, 128, uintptr_t) == p &&
		    AT(v, 0, uint16_t) >= 1)
			L.tcache = t.block + o - tp, ntc++;
		if (v >= t.data_lo && v + 112 <= t.data_hi) {
			uintptr_t top = AT(v, 96, uintptr_t);
			if (top >= lo && top + 16 <= brk && top + (AT(top, 8, size_t) & ~7ul) == brk)
				L.arena = t.block + o - tp, nar++;
		}
	}
	return ntc == 1 && nar == 1 ? 0 : -1;
}

static const char *probe(void)
{
	char *tp = tp_now();
	L.alloc = sym_private("_dl_allocate_tls");
	L.dealloc = sym_private("_dl_deallocate_tls");
	L.dtors = sym_private("__call_tls_dtors");
	L.ctype = sym_private("__ctype_init");
	void (*info)(size_t *, size_t *) = sym_private("_dl_get_tls_static_info");
	const unsigned *sz = sym_private("_thread_db_sizeof_pthread");
	if (!L.alloc || !L.dealloc || !L.dtors || !L.ctype || !info || !sz)
		return "glibc does not export what a thread descriptor needs";
	L.pthread = *sz;
	info(&L.size, &L.align);
	long tid = db_field("_thread_db_pthread_tid"), list = db_field("_thread_db_pthread_list"),
	     spec = db_field("_thread_db_pthread_specific");
	if (L.pthread < 704 || L.pthread > 8192 || L.size < L.pthread || tid < 0 || list < 0 ||
	    spec < 0)
		return "glibc's thread_db tables are not as expected";
	L.tid = tid, L.list = list, L.specific = spec;
	uintptr_t s1 = AT(tp, spec, uintptr_t);
	if (s1 < (uintptr_t)tp || s1 >= (uintptr_t)tp + L.pthread)
		return "the main thread's key block is not in its descriptor";
	L.specific1 = s1 - (uintptr_t)tp;
	/* robust_head: a list head that points at itself, then the futex
	 * offset (-32) glibc gives every thread */
	long robust = find_word(tp, 0, 1, -32);
	extern void *__libc_stack_end;
	/* stackblock_size: glibc gives the main thread __libc_stack_end */
	long stack = find_word(tp, (uintptr_t)__libc_stack_end, 0, 0);
	if (robust < 0 || stack < 0)
		return "the main thread's descriptor is not as expected";
	L.robust = robust, L.stackblock = stack - 8;
	const int *rs = sym_public("__rseq_size");
	const long *ro = sym_public("__rseq_offset");
	L.rseq = rs && ro && *rs > 0 ? *ro + 4 : -1;
	L.worker = (char *)&worker_tls - tp;
	if (find_malloc(tp) < 0)
		return "malloc's per-thread words were not found";
	return NULL;
}

void tls_init(int mode, void *(*private)(const char *), void *(*public)(const char *))
{
	if (!mode)
		return;
	sym_private = private;
	sym_public = public;
	const char *why = probe();
	if (why) {
		coexec_say("thread-local storage is shared by the threads of a worker: %s", why);
		return;
	}
	tls_fsgsbase = (getauxval(AT_HWCAP2) & 2) != 0; /* HWCAP2_FSGSBASE */
	tls_private = 1;
	LOG(LOG_SCHED, "tls: a descriptor per thread, %lu bytes (struct pthread %u), switched by %s",
	    (unsigned long)L.size, L.pthread, tls_fsgsbase ? "wrfsbase" : "arch_prctl");
}

void tls_worker_init(struct worker *w)
{
	w->tp = tp_now();
	if (tls_private) {
		/* its malloc cache exists before coroutines share it (volatile:
		 * gcc drops a malloc/free pair) */
		void *volatile p = malloc(1);
		free(p);
	}
}

int tls_co_make(struct co *co, struct worker *w, char **top)
{
	co->tp = NULL;
	if (!tls_private)
		return 0;
	char *base = co->stack.base, *end = base + co->stack.size;
	char *tcb = (char *)(((uintptr_t)end - L.pthread) & ~(uintptr_t)(L.align - 1));
	char *lo = tcb + L.pthread - L.size;
	if (lo - base < 4096)
		return -EAGAIN;
	/* A stack from the cache held a descriptor at the same place; glibc
	 * fills in every module's block below it, and the reserve beyond
	 * them is read by nobody but a library loaded later, whose block
	 * glibc then fills in for threads made after it. */
	memset(tcb, 0, L.pthread);
	if (!L.alloc(tcb))
		return -EAGAIN;
	char *me = tp_now();
	AT(tcb, 0, void *) = tcb;
	AT(tcb, TCB_SELF, void *) = tcb;
	AT(tcb, TCB_MULTI, int) = 1;
	AT(tcb, TCB_SYSINFO, uintptr_t) = AT(me, TCB_SYSINFO, uintptr_t);
	memcpy(tcb + TCB_GUARDS, me + TCB_GUARDS, 16);
	AT(tcb, TCB_FEATURE, unsigned) = AT(me, TCB_FEATURE, unsigned);
	AT(tcb, L.list, void *) = tcb + L.list;
	AT(tcb, L.list + 8, void *) = tcb + L.list;
	AT(tcb, L.specific, void *) = tcb + L.specific1;
	AT(tcb, L.robust - 8, void *) = tcb + L.robust;
	AT(tcb, L.robust, void *) = tcb + L.robust;
	AT(tcb, L.robust + 8, long) = -32;
	AT(tcb, L.stackblock, void *) = base;
	AT(tcb, L.stackblock + 8, size_t) = co->stack.size;
	if (L.rseq >= 0)
		AT(tcb, L.rseq, int) = -2; /* not registered: sched_getcpu asks the kernel */
	co->tp = tcb;
	tls_rebind(co, w);
	*top = lo;
	return 0;
}

void tls_rebind(struct co *co, struct worker *w)
{
	char *tp = co->tp;
	AT(tp, L.worker, struct worker *) = w;
	AT(tp, L.tid, int) = (int)w->tid;
	AT(tp, L.tcache, void *) = AT(w->tp, L.tcache, void *);
	AT(tp, L.arena, void *) = AT(w->tp, L.arena, void *);
	co->tls_w = w;
}

void tls_co_start(void)
{
	if (tls_private && worker_tls->cur->tp)
		L.ctype();
}

void tls_co_exit(void)
{
	if (tls_private)
		L.dtors();
}

void tls_co_free(struct co *co)
{
	if (co->tp && !co->tls_pinned)
		L.dealloc(co->tp, 0);
	co->tp = NULL;
}

void tls_atfork_child(struct co *self, struct worker *w)
{
	if (!self->tp)
		return;
	self->tls_pinned = 1;
	w->tp = self->tp;
}

/* glibc's SIGSETXID handler clears a flag in the descriptor of the thread
 * it runs on, which the thread calling setuid waits for: the descriptor
 * glibc knows, the kernel thread's own, not a coroutine's. */
struct kaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};
static void (*glibc_setxid)(int, siginfo_t *, void *);

static void setxid_as_thread(int sig, siginfo_t *si, void *uc)
{
	struct worker *w = worker_tls;
	char *tp = tp_now();
	if (w && w->tp && tp != w->tp) {
		tls_load(w->tp);
		glibc_setxid(sig, si, uc);
		tls_load(tp);
	} else {
		glibc_setxid(sig, si, uc);
	}
}

void tls_spawned(void)
{
	static int done;
	if (!tls_private || __atomic_load_n(&done, __ATOMIC_ACQUIRE) ||
	    __atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL))
		return;
	struct kaction k;
	if (SYS4(SYS_rt_sigaction, 33, 0, &k, 8) < 0 || (uintptr_t)k.handler < 2) {
		__atomic_store_n(&done, 0, __ATOMIC_RELEASE); /* not installed yet */
		return;
	}
	glibc_setxid = (void (*)(int, siginfo_t *, void *))k.handler;
	k.handler = (void *)setxid_as_thread;
	SYS4(SYS_rt_sigaction, 33, &k, 0, 8);
}
