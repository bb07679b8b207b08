#!/bin/sh
# readme-table.sh [MATRIX_MD [README]]
#
# Splices the kernel x hook-family table that vmtest.sh wrote (default
# .output/vmtest/matrix.md) into README.md, between the lines
#   <!-- vmtest-table:begin -->
#   <!-- vmtest-table:end -->
# replacing whatever was there. A README without the markers first gets a
# "## Tested kernels" section holding them, at its end. Nothing else in the
# README changes. Separate from vmtest.sh so that CI runs never edit it.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
md=${1:-$ROOT/.output/vmtest/matrix.md}
readme=${2:-$ROOT/README.md}
begin='<!-- vmtest-table:begin -->'
end='<!-- vmtest-table:end -->'

[ -s "$md" ] || { echo "readme-table: no $md (run tests/vm/vmtest.sh first)" >&2; exit 2; }
[ -f "$readme" ] || { echo "readme-table: no $readme" >&2; exit 2; }

tmp=$(mktemp "${TMPDIR:-/tmp}/rxlat-readme.XXXXXX")
trap 'rm -f "$tmp"' EXIT
trap 'exit 130' INT TERM

cp "$readme" "$tmp"
if ! grep -qxF "$begin" "$tmp"; then
	printf '\n## Tested kernels\n\n%s\n%s\n' "$begin" "$end" >>"$tmp"
fi
n_begin=$(grep -cxF "$begin" "$tmp")
n_end=$(grep -cxF "$end" "$tmp")
[ "$n_begin" = 1 ] && [ "$n_end" = 1 ] ||
	{ echo "readme-table: $readme needs exactly one '$begin' and one '$end' line" >&2; exit 2; }

# Copy every line, except those between the markers, which become $md.
awk -v b="$begin" -v e="$end" -v md="$md" '
	$0 == b { print; while ((getline l < md) > 0) print l; inside = 1; next }
	$0 == e { inside = 0 }
	!inside { print }
' "$tmp" >"$tmp.new"
grep -qxF "$end" "$tmp.new" || { rm -f "$tmp.new"; echo "readme-table: end marker before begin marker" >&2; exit 2; }
# cat, not mv: keep the README's own mode and inode.
cat "$tmp.new" >"$readme"
rm -f "$tmp.new"
echo "readme-table: $readme updated from $md" >&2
