# coexec build. `make` builds the library and the coexec command; `make check`
# runs every test; `make demo` runs the demo server under coexec.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=
VERSION := 0.1.0

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
           -fno-strict-aliasing -DPACKAGE_VERSION='"$(VERSION)"' -I.
LIBFLAGS = -fPIC -fvisibility=hidden -ftls-model=initial-exec

B := build

SCHED_SRC   := $(wildcard sched/*.c) sched/arch/x86_64/switch.S
# preload/wrapper.c is the coexec command, not part of the library.
PRELOAD_SRC := $(filter-out preload/wrapper.c,$(wildcard preload/*.c))
SHIM_SRC    := $(wildcard shim/*.c)
CLS_SRC     := $(wildcard cls/*.c)
DNS_SRC     := $(wildcard dns/*.c)
LIB_SRC     := $(SCHED_SRC) $(CLS_SRC) $(DNS_SRC) $(PRELOAD_SRC) $(SHIM_SRC)
LIB_OBJ     := $(patsubst %,$(B)/obj/%.o,$(LIB_SRC))
HEADERS     := $(wildcard sched/*.h cls/*.h dns/*.h preload/*.h shim/*.h preload/*.def)

UNIT_SRC  := $(wildcard tests/unit/*.c)
UNIT_BIN  := $(patsubst tests/unit/%.c,$(B)/unit/%,$(UNIT_SRC))
PROG_SRC  := $(wildcard tests/progs/*.c)
PROG_BIN  := $(patsubst tests/progs/%.c,$(B)/progs/%,$(PROG_SRC))
PROGXX_SRC := $(wildcard tests/progs/*.cc)
PROGXX_BIN := $(patsubst tests/progs/%.cc,$(B)/progs/%,$(PROGXX_SRC))
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(patsubst tests/bench/%.c,$(B)/bench/%,$(BENCH_SRC))

.PHONY: all lib progs unit check test demo bench install uninstall clean

all: lib progs

lib: $(B)/libcoexec.so $(B)/coexec

$(B)/obj/%.c.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBFLAGS) -c -o $@ $<

# real.c takes the address of every real function, and gcc will not take
# that of a builtin such as __vfprintf_chk.
$(B)/obj/preload/real.c.o: CFLAGS += -fno-builtin

# pthread_once must clean up when a C++ initialiser throws through it.
$(B)/obj/shim/cond.c.o: CFLAGS += -fexceptions

$(B)/obj/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBFLAGS) -c -o $@ $<

$(B)/libcoexec.so: $(LIB_OBJ) preload/exports.map
	$(CC) -shared -o $@ $(LIB_OBJ) -Wl,--version-script=preload/exports.map \
	    -Wl,-z,now -Wl,-z,relro -lcares -lresolv -ldl -lpthread

# The coexec command (scripts/coexec links to it). This one uses the library
# of the tree it lives in; `make install` builds one that knows $(LIBDIR).
$(B)/coexec: preload/wrapper.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

# Unit tests link the runtime objects directly, without preloading.
SCHED_OBJ := $(patsubst %,$(B)/obj/%.o,$(SCHED_SRC)) $(B)/obj/cls/tls.c.o $(B)/obj/preload/log.c.o \
             $(B)/obj/preload/config.c.o
$(B)/unit/%: tests/unit/%.c $(SCHED_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(SCHED_OBJ) -lpthread -ldl

$(B)/progs/%: tests/progs/%.c $(wildcard tests/progs/*.h)
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -o $@ $< $(PROG_LIBS) -lpthread

# Test programs of libraries that wait with their own system calls.
$(B)/progs/uring_wait: PROG_LIBS = -luring
$(B)/progs/aio_wait: PROG_LIBS = -laio

$(B)/progs/%: tests/progs/%.cc $(wildcard tests/progs/*.h)
	@mkdir -p $(dir $@)
	$(CXX) -O2 -g -std=c++17 -Wall -o $@ $< -lpthread

$(B)/bench/%: tests/bench/%.c $(wildcard tests/bench/*.h)
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -o $@ $< -lpthread

# A library that tls_cases loads with dlopen.
$(B)/progs/libtls_mod.so: tests/progs/lib/tls_mod.cc
	@mkdir -p $(dir $@)
	$(CXX) -O2 -g -std=c++17 -Wall -shared -fPIC -o $@ $<

progs: $(PROG_BIN) $(PROGXX_BIN) $(B)/progs/libtls_mod.so
unit: $(UNIT_BIN)

check test: lib progs unit
	tests/run

demo: lib progs
	scripts/demo

bench: lib progs $(BENCH_BIN)
	tests/bench/run

install: lib
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/coexec \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(B)/libcoexec.so $(DESTDIR)$(LIBDIR)/coexec/libcoexec.so
	@mkdir -p $(B)/install
	@# Compiled on every install: make cannot see a change of LIBDIR.
	$(CC) $(CFLAGS) -DCOEXEC_LIBRARY='"$(LIBDIR)/coexec/libcoexec.so"' \
	    -o $(B)/install/coexec preload/wrapper.c
	install -m 755 $(B)/install/coexec $(DESTDIR)$(BINDIR)/coexec
	install -m 644 man/coexec.1 $(DESTDIR)$(MANDIR)/man1/coexec.1
	install -m 644 man/coexec.7 $(DESTDIR)$(MANDIR)/man7/coexec.7

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/coexec $(DESTDIR)$(LIBDIR)/coexec/libcoexec.so \
	    $(DESTDIR)$(MANDIR)/man1/coexec.1 $(DESTDIR)$(MANDIR)/man7/coexec.7
	-rmdir $(DESTDIR)$(LIBDIR)/coexec

clean:
	rm -rf $(B)
