#!/usr/bin/env bats
# The coexec wrapper (build/coexec, from preload/wrapper.c, run through the
# scripts/coexec link): options, errors and exit codes, program lookup,
# LD_PRELOAD handling, exec in place without helper processes, install.
# Self-contained: loads no helper file.  Tests that run a program need
# build/libcoexec.so (`make check` builds it first).

bats_require_minimum_version 1.5.0

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd -P)
	COEXEC=$ROOT/scripts/coexec
	LIB=$ROOT/build/libcoexec.so
}

# The wrapper's own errors: exactly one line on stderr, nothing on stdout.
assert_usage_error() {
	[ "$status" -eq 125 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "coexec: "*"; try 'coexec --help'" ]]
}

need_library() {
	[ -f "$LIB" ] || skip "build/libcoexec.so is not built (make lib)"
}

# A run compared with the native one runs as `"$COEXEC" --stats --log-file
# "$log" ...`; then ran_coexec LOG: its statistics are in LOG, so the
# library was loaded into the program and adopted its main thread (a
# preload that did nothing would leave none).  Like helpers.bash, which
# this file does not load.
ran_coexec() {
	grep -qE '^coexec: stats: [0-9]+ workers, [0-9]+ threads created as coroutines, ' "$1" || {
		echo "NO COEXEC EVIDENCE: no statistics in $1: the library did not run"
		cat "$1" 2>/dev/null
		false
	}
}

# stderr_only_stats LOG: after `run --separate-stderr`, $stderr holds
# nothing the program wrote: it is empty or just the statistics lines of
# LOG (the library writes them to stderr as well as to the log file).
stderr_only_stats() {
	[ -z "$stderr" ] || [ "$stderr" = "$(grep '^coexec: stats: ' "$1")" ] || {
		echo "stderr: $stderr"
		false
	}
}

# --- help, version ------------------------------------------------------

@test "--help and -h print the usage on stdout and exit 0" {
	for opt in --help -h; do
		run -0 --separate-stderr "$COEXEC" "$opt"
		[[ ${lines[0]} == "Usage: coexec "* ]]
		[[ $output == *--workers* ]]
		[ -z "$stderr" ]
	done
}

@test "--help works before an otherwise bad command line" {
	run -0 --separate-stderr "$COEXEC" --help --no-such-option
	[[ ${lines[0]} == "Usage: coexec "* ]]
}

@test "--version prints the Makefile's version" {
	version=$(sed -n 's/^VERSION *:*= *//p' "$ROOT/Makefile")
	run -0 --separate-stderr "$COEXEC" --version
	[ "$output" = "coexec $version" ]
	[ -z "$stderr" ]
}

# --- usage errors: 125 --------------------------------------------------

@test "an unknown option is an error (125)" {
	run -125 --separate-stderr "$COEXEC" --no-such-option true
	assert_usage_error
	[[ $stderr == *"'--no-such-option'"* ]]
	run -125 --separate-stderr "$COEXEC" -x true
	assert_usage_error
}

@test "a bad --workers value is an error (125)" {
	for bad in abc 0 1025 -1 1.5 ''; do
		run -125 --separate-stderr "$COEXEC" --workers "$bad" true
		assert_usage_error
		run -125 --separate-stderr "$COEXEC" "--workers=$bad" true
		assert_usage_error
	done
	run -125 --separate-stderr "$COEXEC" -w abc true
	assert_usage_error
}

@test "an option without its value is an error (125)" {
	for opt in -w --workers --stack-size --log-file; do
		run -125 --separate-stderr "$COEXEC" "$opt"
		assert_usage_error
		[[ $stderr == *"requires an argument"* ]]
	done
}

@test "a bad --stack-size value is an error (125)" {
	for bad in abc 8k 16383 2048M 2g 12x 1kk k '' 99999999999999999999; do
		run -125 --separate-stderr "$COEXEC" --stack-size "$bad" true
		assert_usage_error
	done
}

@test "a bad --debug category is an error (125)" {
	for bad in foo net,foo net,,dns ,net 'net,' ''; do
		run -125 --separate-stderr "$COEXEC" "--debug=$bad" true
		assert_usage_error
	done
}

@test "a flag given a value is an error (125)" {
	run -125 --separate-stderr "$COEXEC" --stats=1 true
	assert_usage_error
}

@test "a missing program is an error (125)" {
	run -125 --separate-stderr "$COEXEC"
	assert_usage_error
	[[ $stderr == *"missing program"* ]]
	run -125 --separate-stderr "$COEXEC" --
	assert_usage_error
	run -125 --separate-stderr "$COEXEC" --stats -w 2
	assert_usage_error
}

# --- program lookup: 127, 126 -------------------------------------------

@test "a program that does not exist: 127" {
	need_library
	run -127 --separate-stderr "$COEXEC" /no/such/file
	[ "$stderr" = "coexec: /no/such/file: No such file or directory" ]
	run -127 --separate-stderr "$COEXEC" coexec-no-such-command
	[ "$stderr" = "coexec: coexec-no-such-command: No such file or directory" ]
	# A lone - or something after -- is a program name, not an option.
	run -127 --separate-stderr "$COEXEC" -- -x
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "a file that is not executable: 126" {
	need_library
	f=$BATS_TEST_TMPDIR/not-executable
	printf '#!/bin/sh\necho no\n' >"$f"
	chmod 644 "$f"
	run -126 --separate-stderr "$COEXEC" "$f"
	[ "$stderr" = "coexec: $f: Permission denied" ]
	[ -z "$output" ]
	# The same found through PATH.
	PATH=$BATS_TEST_TMPDIR:$PATH run -126 --separate-stderr "$COEXEC" not-executable
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "a directory: 126" {
	need_library
	run -126 --separate-stderr "$COEXEC" "$BATS_TEST_TMPDIR"
	[ "$stderr" = "coexec: $BATS_TEST_TMPDIR: Is a directory" ]
}

@test "PATH lookup skips a non-executable match, like execvp" {
	need_library
	mkdir -p "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	printf '#!/bin/sh\necho wrong\n' >"$BATS_TEST_TMPDIR/a/prog"
	printf '#!/bin/sh\necho right\n' >"$BATS_TEST_TMPDIR/b/prog"
	chmod 644 "$BATS_TEST_TMPDIR/a/prog"
	chmod 755 "$BATS_TEST_TMPDIR/b/prog"
	PATH=$BATS_TEST_TMPDIR/a:$BATS_TEST_TMPDIR/b:$PATH run -0 "$COEXEC" prog
	[ "$output" = right ]
}

@test "a missing library is an error (125)" {
	mkdir -p "$BATS_TEST_TMPDIR/tree/build"
	cp "$ROOT/build/coexec" "$BATS_TEST_TMPDIR/tree/build/coexec"
	run -125 --separate-stderr "$BATS_TEST_TMPDIR/tree/build/coexec" true
	assert_usage_error
	[[ $stderr == *"library not found: $BATS_TEST_TMPDIR/tree/build/libcoexec.so"* ]]
}

# --- running programs ---------------------------------------------------

@test "coexec true exits 0, coexec false exits 1" {
	need_library
	run -0 "$COEXEC" true
	run -1 "$COEXEC" false
}

@test "the program's output and exit status are its own" {
	need_library
	run -3 --separate-stderr "$COEXEC" sh -c 'echo hi; exit 3'
	[ "$output" = hi ]
}

@test "options end at the first non-option" {
	need_library
	run -0 --separate-stderr env -u COEXEC_STATS "$COEXEC" sh -c 'echo "$*:${COEXEC_STATS-unset}"' sh --stats -x
	[ "$output" = "--stats -x:unset" ]
	run -0 --separate-stderr "$COEXEC" -- sh -c 'echo "$*"' sh -- --version
	[ "$output" = "-- --version" ]
}

@test "coexec python3 runs a Python program" {
	need_library
	command -v python3 >/dev/null || skip "no python3"
	log=$BATS_TEST_TMPDIR/coexec.log
	run -0 --separate-stderr "$COEXEC" --stats --log-file "$log" python3 -c 'print(1)'
	[ "$output" = 1 ]
	ran_coexec "$log"
}

@test "coexec curl --version prints what curl prints natively" {
	need_library
	command -v curl >/dev/null || skip "no curl"
	run -0 --separate-stderr curl --version
	native=$output
	log=$BATS_TEST_TMPDIR/coexec.log
	run -0 --separate-stderr "$COEXEC" --stats --log-file "$log" curl --version
	[ "$output" = "$native" ]
	ran_coexec "$log"
}

@test "exec in place: same pid, and a signal's exit status" {
	need_library
	run -0 --separate-stderr sh -c 'echo $$; exec "$1" sh -c "echo \$\$"' sh "$COEXEC"
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "${lines[1]}" ]
	run -143 --separate-stderr "$COEXEC" sh -c 'kill -TERM $$'
}

@test "stdin reaches the program" {
	need_library
	run -0 --separate-stderr bash -c 'echo piped | "$1" cat' bash "$COEXEC"
	[ "$output" = piped ]
}

@test "arguments reach the program unchanged: many, empty, blanks, newlines" {
	need_library
	args=('' ' ' 'a b' $'one\ntwo' $'\t' '*' '$HOME' '\' "'" '"' --help -w -- -)
	for i in $(seq 1 5000); do args+=("arg $i"); done
	args+=("$(head -c 100000 /dev/zero | tr '\0' x)")
	run -0 --separate-stderr /usr/bin/printf '[%s]\n' "${args[@]}"
	native=$output
	[ "${#lines[@]}" -gt 5000 ]
	log=$BATS_TEST_TMPDIR/coexec.log
	run -0 --separate-stderr "$COEXEC" --stats --log-file "$log" /usr/bin/printf '[%s]\n' "${args[@]}"
	[ "$output" = "$native" ]
	stderr_only_stats "$log"
	ran_coexec "$log"
}

@test "the wrapper starts no helper process: its execve, then the program's" {
	need_library
	command -v strace >/dev/null || skip "no strace"
	strace -f -qq -o /dev/null true 2>/dev/null || skip "strace cannot trace here"
	log=$BATS_TEST_TMPDIR/strace.log
	strace -f -qq -o "$log" -e trace=execve,execveat,clone,clone3,fork,vfork \
		"$COEXEC" /bin/true
	# What happens before the program runs: up to its own execve.
	before=$(sed '/execve("\/bin\/true"/q' "$log")
	[ "$(grep -c 'execve' <<<"$before")" -eq 2 ] || { cat "$log"; false; }
	[[ $(head -n 1 <<<"$before") == *'execve("'"$COEXEC"'"'* ]]
	[[ $(tail -n 1 <<<"$before") == *'execve("/bin/true", ["/bin/true"]'*') = 0' ]]
	# the syscall name starts the line (after a pid); paths may say "clone"
	[ -z "$(grep -E '^([0-9]+ +)?(clone3?|v?fork)\(' <<<"$before")" ]
	[ "$(grep -c execve "$log")" -eq 2 ]
}

@test "exec failing after the checks: one line, 127 or 126" {
	need_library
	f=$BATS_TEST_TMPDIR/bad-interpreter
	printf '#!/no/such/interpreter\n' >"$f"
	chmod 755 "$f"
	run -127 --separate-stderr "$COEXEC" "$f"
	[ "$stderr" = "coexec: $f: No such file or directory" ]
	# A binary the kernel refuses is not handed to sh.
	f=$BATS_TEST_TMPDIR/binary
	printf 'echo no\0\n' >"$f"
	chmod 755 "$f"
	run -126 --separate-stderr "$COEXEC" "$f"
	[ "$stderr" = "coexec: $f: Exec format error" ]
	[ -z "$output" ]
}

@test "a text file without #! runs with /bin/sh, as execvp does" {
	need_library
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	printf 'echo "sh: $0 $*"\n' >"$BATS_TEST_TMPDIR/bin/noshebang"
	chmod 755 "$BATS_TEST_TMPDIR/bin/noshebang"
	PATH=$BATS_TEST_TMPDIR/bin:$PATH run -0 --separate-stderr "$COEXEC" noshebang a b
	[ "$output" = "sh: $BATS_TEST_TMPDIR/bin/noshebang a b" ]
	[ -z "$stderr" ]
	: >"$BATS_TEST_TMPDIR/empty"
	chmod 755 "$BATS_TEST_TMPDIR/empty"
	run -0 --separate-stderr "$COEXEC" "$BATS_TEST_TMPDIR/empty"
	[ -z "$stderr" ]
}

# --- LD_PRELOAD ---------------------------------------------------------

@test "LD_PRELOAD: the library alone when the user has none" {
	need_library
	run -0 --separate-stderr env -u LD_PRELOAD "$COEXEC" sh -c 'echo "$LD_PRELOAD"'
	[ "$output" = "$LIB" ]
	run -0 --separate-stderr env LD_PRELOAD= "$COEXEC" sh -c 'echo "$LD_PRELOAD"'
	[ "$output" = "$LIB" ]
}

@test "LD_PRELOAD: the library first, the user's entries kept" {
	need_library
	run -0 --separate-stderr env LD_PRELOAD=libm.so.6 "$COEXEC" sh -c 'echo "$LD_PRELOAD"'
	[ "$output" = "$LIB:libm.so.6" ]
	run -0 --separate-stderr env "LD_PRELOAD=libm.so.6 libdl.so.2" "$COEXEC" sh -c 'echo "$LD_PRELOAD"'
	[ "$output" = "$LIB:libm.so.6 libdl.so.2" ]
}

@test "LD_PRELOAD: the library is not added twice" {
	need_library
	run -0 --separate-stderr env "LD_PRELOAD=$LIB:libm.so.6" "$COEXEC" sh -c 'echo "$LD_PRELOAD"'
	[ "$output" = "$LIB:libm.so.6" ]
	run -0 --separate-stderr env "LD_PRELOAD=$LIB" "$COEXEC" sh -c 'echo "$LD_PRELOAD"'
	[ "$output" = "$LIB" ]
	# coexec under coexec
	run -0 --separate-stderr env -u LD_PRELOAD "$COEXEC" "$COEXEC" sh -c 'echo "$LD_PRELOAD"'
	[ "$output" = "$LIB" ]
}

@test "the library is really loaded into the program" {
	need_library
	run -0 --separate-stderr "$COEXEC" sh -c 'cat /proc/$$/maps'
	[[ $output == *"$LIB"* ]]
}

@test "--stats with --log-file: the statistics are in the log file, stdout is the program's" {
	need_library
	log=$BATS_TEST_TMPDIR/coexec.log
	# (a program that ends with exit(), which runs the library's atexit
	# handler; dash's sh ends with _exit and writes no statistics)
	run -2 --separate-stderr "$COEXEC" --stats --log-file "$log" ls -d / /no/such/file
	[ "$output" = / ]
	ran_coexec "$log"
	grep -qx 'coexec: stats: parks by reason: .*' "$log"
	# stderr: the program's line, and no coexec line that is not in the log
	[[ ${stderr_lines[0]} == "ls: "*"/no/such/file"* ]]
	for l in "${stderr_lines[@]:1}"; do
		grep -qxF -- "$l" "$log" || { echo "on stderr, not in the log: $l"; false; }
	done
}

# --- environment set by the options -------------------------------------

@test "options export COEXEC_* variables" {
	need_library
	log=$BATS_TEST_TMPDIR/coexec.log
	run -0 --separate-stderr env -u COEXEC_DEBUG "$COEXEC" --stats --log-file "$log" env
	[[ $'\n'$output$'\n' == *$'\nCOEXEC_STATS=1\n'* ]]
	[[ $'\n'$output$'\n' == *$'\nCOEXEC_LOG_FILE='"$log"$'\n'* ]]
	[[ $output != *COEXEC_DEBUG=* ]]

	run -0 --separate-stderr "$COEXEC" --log-file="$log" -d env
	[[ $'\n'$output$'\n' == *$'\nCOEXEC_DEBUG=1\n'* ]]
	run -0 --separate-stderr "$COEXEC" --log-file="$log" --debug env
	[[ $'\n'$output$'\n' == *$'\nCOEXEC_DEBUG=1\n'* ]]
	run -0 --separate-stderr "$COEXEC" --log-file="$log" --debug=net,dns env
	[[ $'\n'$output$'\n' == *$'\nCOEXEC_DEBUG=net,dns\n'* ]]
	run -0 --separate-stderr "$COEXEC" --log-file="$log" -dall env
	[[ $'\n'$output$'\n' == *$'\nCOEXEC_DEBUG=all\n'* ]]
}

@test "--stack-size exports COEXEC_STACK_SIZE" {
	need_library
	for size in 16k 16384 256K 8m 1024M 1073741824; do
		run -0 --separate-stderr "$COEXEC" --stack-size "$size" env
		[[ $'\n'$output$'\n' == *$'\nCOEXEC_STACK_SIZE='"$size"$'\n'* ]]
	done
	run -0 --separate-stderr "$COEXEC" --stack-size=064k env
	[[ $'\n'$output$'\n' == *$'\nCOEXEC_STACK_SIZE=64k\n'* ]]
}

@test "-w exports COEXEC_WORKERS" {
	need_library
	run -0 --separate-stderr "$COEXEC" --stats -w 2 env
	[[ $'\n'$output$'\n' == *$'\nCOEXEC_WORKERS=2\n'* ]]
	[[ $'\n'$output$'\n' == *$'\nCOEXEC_STATS=1\n'* ]]
	run -0 --separate-stderr "$COEXEC" --workers=1024 env
	[[ $'\n'$output$'\n' == *$'\nCOEXEC_WORKERS=1024\n'* ]]
}

# --- targets LD_PRELOAD cannot reach ------------------------------------

@test "a static program runs natively, with a one-line warning" {
	need_library
	printf 'int main(void) { return 7; }\n' >"$BATS_TEST_TMPDIR/s.c"
	cc -static -o "$BATS_TEST_TMPDIR/static" "$BATS_TEST_TMPDIR/s.c" 2>/dev/null ||
		skip "cannot link statically"
	run -7 --separate-stderr "$COEXEC" "$BATS_TEST_TMPDIR/static"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "coexec: warning: "*"statically linked"* ]]
	if cc -static-pie -o "$BATS_TEST_TMPDIR/static-pie" "$BATS_TEST_TMPDIR/s.c" 2>/dev/null; then
		run -7 --separate-stderr "$COEXEC" "$BATS_TEST_TMPDIR/static-pie"
		[[ $stderr == "coexec: warning: "*"statically linked"* ]]
	fi
	# A dynamic program gets no warning.
	cc -o "$BATS_TEST_TMPDIR/dynamic" "$BATS_TEST_TMPDIR/s.c"
	run -7 --separate-stderr "$COEXEC" "$BATS_TEST_TMPDIR/dynamic"
	[ -z "$stderr" ]
}

@test "a setuid program runs natively, with a one-line warning" {
	need_library
	[ "$(id -u)" -eq 0 ] || skip "needs root to make a file owned by nobody"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	f=$BATS_TEST_TMPDIR/suid-true
	cp "$(type -P true)" "$f"
	chown nobody "$f"
	chmod 4755 "$f"
	run -0 --separate-stderr "$COEXEC" "$f"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "coexec: warning: "*"setuid"* ]]
	# setuid to ourselves changes nothing: LD_PRELOAD works, no warning.
	chown "$(id -u)" "$f"
	chmod 4755 "$f"
	run -0 --separate-stderr "$COEXEC" "$f"
	[ -z "$stderr" ]
}

@test "a truncated ELF file or one that is not ELF: no warning, no crash" {
	need_library
	d=$BATS_TEST_TMPDIR
	printf '\177ELF\2\1\1\0\0\0' >"$d/elf-magic-only"
	head -c 100 "$(type -P true)" >"$d/truncated"
	printf 'MZ\220\0\3\0\0\0\4\0' >"$d/not-elf"
	for f in elf-magic-only truncated not-elf; do
		chmod 755 "$d/$f"
		run -126 --separate-stderr "$COEXEC" "$d/$f"
		[ "$stderr" = "coexec: $d/$f: Exec format error" ] || { echo "$f: $stderr"; false; }
	done
	# No NUL byte in its first line: text, so sh gets it, and says so.
	printf '\177ELF' >"$d/magic-only"
	chmod 755 "$d/magic-only"
	run -127 --separate-stderr "$COEXEC" "$d/magic-only"
	[[ $stderr != *coexec:* ]]
}

@test "static or not, read from both ELF classes and byte orders" {
	need_library
	command -v python3 >/dev/null || skip "no python3"
	# Minimal ELF headers (not runnable): program header types as given.
	python3 - "$BATS_TEST_TMPDIR" <<-'EOF'
		import struct, sys
		def elf(wide, big, types, cut=None):
		    e = '>' if big else '<'
		    ident = b'\x7fELF' + bytes([2 if wide else 1, 2 if big else 1, 1]) + bytes(9)
		    if wide:
		        h = struct.pack(e + 'HHIQQQIHHHHHH', 2, 0, 1, 0, 64, 0, 0, 64, 56, len(types), 0, 0, 0)
		        ph = b''.join(struct.pack(e + 'I', t) + bytes(52) for t in types)
		    else:
		        h = struct.pack(e + 'HHIIIIIHHHHHH', 2, 0, 1, 0, 52, 0, 0, 52, 32, len(types), 0, 0, 0)
		        ph = b''.join(struct.pack(e + 'I', t) + bytes(28) for t in types)
		    return (ident + h + ph)[:cut]
		for wide in (0, 1):
		    for big in (0, 1):
		        name = '%s/elf%d%s-' % (sys.argv[1], 64 if wide else 32, 'be' if big else 'le')
		        open(name + 'static', 'wb').write(elf(wide, big, [6, 1, 1]))
		        open(name + 'dynamic', 'wb').write(elf(wide, big, [6, 1, 3]))
		        open(name + 'cut', 'wb').write(elf(wide, big, [6, 1, 1], cut=-8))
	EOF
	for f in "$BATS_TEST_TMPDIR"/elf*; do
		chmod 755 "$f"
		run --separate-stderr "$COEXEC" "$f"
		case $f in
		*-static) [[ ${stderr_lines[0]} == "coexec: warning: $f is statically linked"* ]] ;;
		*) [[ $stderr != *warning* ]] ;;
		esac || { echo "$f: $stderr"; false; }
	done
}

@test "a shell script gets no warning" {
	need_library
	printf '#!/bin/sh\necho "$LD_PRELOAD"\n' >"$BATS_TEST_TMPDIR/script"
	chmod 755 "$BATS_TEST_TMPDIR/script"
	run -0 --separate-stderr env -u LD_PRELOAD "$COEXEC" "$BATS_TEST_TMPDIR/script"
	[ "$output" = "$LIB" ]
	[ -z "$stderr" ]
}

# --- library location and install ---------------------------------------

@test "--print-library prints the in-tree library's absolute path" {
	need_library
	run -0 --separate-stderr "$COEXEC" --print-library
	[[ $output == /* ]]
	[ -f "$output" ]
	[ "$output" = "$(readlink -f "$LIB")" ]
	[ -z "$stderr" ]
}

@test "the library is found from the wrapper's own place, not from the current directory" {
	need_library
	mkdir -p "$BATS_TEST_TMPDIR/cwd/build" "$BATS_TEST_TMPDIR/bin"
	touch "$BATS_TEST_TMPDIR/cwd/build/libcoexec.so"
	ln -s "$COEXEC" "$BATS_TEST_TMPDIR/bin/coexec"
	cd "$BATS_TEST_TMPDIR/cwd"
	run -0 "$COEXEC" --print-library
	[ "$output" = "$LIB" ]
	run -0 "$BATS_TEST_TMPDIR/bin/coexec" --print-library
	[ "$output" = "$LIB" ]
}

@test "make install puts a wrapper that knows the installed library" {
	need_library
	dest=$BATS_TEST_TMPDIR/dest
	run make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr/local
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ -x "$dest/usr/local/bin/coexec" ]
	[ -f "$dest/usr/local/lib/coexec/libcoexec.so" ]
	[ -f "$dest/usr/local/share/man/man1/coexec.1" ]
	[ -f "$dest/usr/local/share/man/man7/coexec.7" ]
	# The library is not at its final place yet: a warning, still the path.
	run -0 --separate-stderr "$dest/usr/local/bin/coexec" --print-library
	[ "$output" = /usr/local/lib/coexec/libcoexec.so ]
	if [ ! -e /usr/local/lib/coexec/libcoexec.so ]; then
		[ "$stderr" = "coexec: warning: library not found: /usr/local/lib/coexec/libcoexec.so" ]
	fi
	# Another PREFIX, another built-in path: the binary is rebuilt each time.
	run make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/opt/coexec-test
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run -0 --separate-stderr "$dest/opt/coexec-test/bin/coexec" --print-library
	[ "$output" = /opt/coexec-test/lib/coexec/libcoexec.so ]

	run make -s -C "$ROOT" uninstall DESTDIR="$dest" PREFIX=/usr/local
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ ! -e "$dest/usr/local/bin/coexec" ]
	[ ! -e "$dest/usr/local/lib/coexec/libcoexec.so" ]
}

# --- manual pages -------------------------------------------------------

@test "the manual pages render without warnings" {
	command -v groff >/dev/null || skip "no groff"
	for page in "$ROOT/man/coexec.1" "$ROOT/man/coexec.7"; do
		run -0 --separate-stderr groff -man -Tutf8 -ww -z "$page"
		[ -z "$stderr" ] || { echo "$page: $stderr"; false; }
	done
}

@test "every option in --help is in coexec(1)" {
	run -0 "$COEXEC" --help
	opts=$(printf '%s\n' "$output" | grep -o -- '--[a-z][a-z-]*' | sort -u)
	[ -n "$opts" ]
	for opt in $opts; do
		# man(7) writes a hyphen as \- in option names.
		grep -qF -- "$(printf '%s' "$opt" | sed 's/-/\\-/g')" "$ROOT/man/coexec.1" ||
			{ echo "$opt is not in man/coexec.1"; false; }
	done
}
