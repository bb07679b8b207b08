#!/bin/sh
# make install into a staging root: the binary, the man page and the bash
# completion land where PREFIX says; the page renders with man -l and is
# lint-clean; the installed binary reports its revision and libbpf.
. "$(dirname "$0")/../lib.sh"
command -v make > /dev/null || skip "make not installed (a VM guest)"
[ -f "$ROOT/Makefile" ] || skip "no source tree"

DEST=$WORK/root
make -C "$ROOT" -s install DESTDIR="$DEST" PREFIX=/usr > "$WORK/install.log" 2>&1
check "make install" $? -eq 0
for f in sbin/rxlat share/man/man8/rxlat.8 share/bash-completion/completions/rxlat; do
	check "installed /usr/$f" "$([ -s "$DEST/usr/$f" ] && echo 1 || echo 0)" -eq 1
done
check "the binary is executable" "$([ -x "$DEST/usr/sbin/rxlat" ] && echo 1 || echo 0)" -eq 1
ver=$("$DEST/usr/sbin/rxlat" --version 2>&1)
log "version: $ver"
check "--version names the revision and libbpf" \
	"$(echo "$ver" | grep -c '^rxlat [0-9][0-9.]* ([0-9a-f]\{7,\}\(-dirty\)\?) (libbpf v[0-9]')" -eq 1

page=$DEST/usr/share/man/man8/rxlat.8
if command -v man > /dev/null; then
	MANWIDTH=80 man -l "$page" > "$WORK/man.txt" 2> "$WORK/man.err"
	check "man -l renders" $? -eq 0
	check "the page has its sections" \
		"$(grep -c '^NAME\|^SYNOPSIS\|^OPTIONS\|^EXIT STATUS' "$WORK/man.txt")" -eq 4
	# every long option --help lists is documented
	missing=0
	for opt in $("$DEST/usr/sbin/rxlat" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		case $opt in --help|--usage|--version) continue ;; esac
		grep -q -- "$opt" "$WORK/man.txt" || { log "not in the man page: $opt"; missing=$((missing + 1)); }
	done
	check "every option in the man page" "$missing" -eq 0
else
	log "man not installed: rendering skipped"
fi
if command -v mandoc > /dev/null; then
	# mandoc's database notes concern the host's man index, not the page
	check "mandoc -T lint is clean" \
		"$(mandoc -T lint "$page" 2>&1 | grep -vc 'outdated mandoc.db\|^$')" -eq 0
fi
if command -v bash > /dev/null; then
	check "completion completes --by" "$(bash -c ". '$DEST/usr/share/bash-completion/completions/rxlat'
		COMP_WORDS=(rxlat --by ''); COMP_CWORD=2; _rxlat; echo \"\${COMPREPLY[*]}\"" 2>&1 |
		grep -c 'busy-poll')" -eq 1
fi
done_test
