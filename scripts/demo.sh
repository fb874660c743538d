#!/usr/bin/env bash
# The main job of `make` until the transfer exists: the stage pipeline on a generated sample,
# checked against the new file and against upstream rsync applying the same delta as a batch.
set -euo pipefail
BIN="$(cd "$(dirname "$0")/.." && pwd)/.venv/bin"
S="$(cd "$(dirname "$0")/.." && pwd)/sample"
mkdir -p "$S/dst"
"$BIN/python" - "$S" <<'PY'
import random, sys
d = sys.argv[1]
r = random.Random(2026)
old = bytearray(r.randbytes(32 << 20))
open(f"{d}/old", "wb").write(old)
for _ in range(80):
    p = r.randrange(len(old) - 4096)
    old[p:p + 4096] = r.randbytes(4096)
open(f"{d}/new", "wb").write(old + b"appended")
PY
t0=$(date +%s.%N)
"$BIN/oc-sig" -q "$S/old" | "$BIN/oc-delta" -q "$S/new" "$S/delta.batch"
"$BIN/oc-patch" -q --delta "$S/delta.batch" "$S/old" -o "$S/new2"
t1=$(date +%s.%N)
cmp "$S/new" "$S/new2"
cp "$S/old" "$S/dst/new"
rsync --read-batch="$S/delta.batch" "$S/dst/"
cmp "$S/new" "$S/dst/new"
printf 'demo: oc-sig old | oc-delta new | oc-patch old reproduced a %s-byte file from a %s-byte delta in %.2fs;\n' \
  "$(stat -c %s "$S/new")" "$(stat -c %s "$S/delta.batch")" "$(awk "BEGIN{print $t1 - $t0}")"
echo "demo: upstream rsync --read-batch applied the same delta: identical result."
