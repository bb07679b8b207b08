#!/bin/sh
# The binary's own behaviour on bad command lines: exit 2, exactly one line
# on stderr, nothing on stdout, nothing attached. And --help/--version.
. "$(dirname "$0")/../lib.sh"

bad() {
	"$RXLAT" "$@" > "$WORK/out" 2> "$WORK/err"
	st=$?
	check "rxlat $* exit status" "$st" -eq 2
	check "rxlat $* stderr lines" "$(wc -l < "$WORK/err")" -eq 1
	check "rxlat $* stdout bytes" "$(wc -c < "$WORK/out")" -eq 0
}
bad -p abc
bad -p -1
bad -p 0
bad -p 4194303
bad -p ''
bad -c ''
bad -P 0
bad -P 70000
bad -P 9-1
bad -4 -6
bad -d 0
bad -d abc
bad --hooks nope
bad --ringbuf-size 12345
bad --unknown-option
bad -x
bad 0
bad 1 0
bad 1 2 3

"$RXLAT" --help > "$WORK/help" 2>&1
check "--help exit status" $? -eq 0
check "--help shows examples" "$(grep -c EXAMPLES "$WORK/help")" -eq 1
"$RXLAT" --version > "$WORK/ver" 2>&1
check "--version exit status" $? -eq 0
check "--version names libbpf" "$(grep -c 'libbpf' "$WORK/ver")" -eq 1
done_test
