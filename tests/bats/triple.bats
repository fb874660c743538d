#!/usr/bin/env bats
# The "triple": oc-sig old | oc-delta new | oc-patch old reproduces new byte for byte,
# through pipes, through files, and through pipes re-chunked at odd buffer sizes.

setup() {
  BIN="${BATS_TEST_DIRNAME}/../../.venv/bin"
  PATH="$BIN:$PATH"
  T="$BATS_TEST_TMPDIR"
}

gen() { # gen FILE SIZE SEED: deterministic random bytes (in 16 MiB pieces)
  python3 -c "
import random, sys
r, left = random.Random($3), $2
while left:
    n = min(left, 1 << 24); sys.stdout.buffer.write(r.randbytes(n)); left -= n" > "$1"
}

triple_pipe() { # triple_pipe OLD NEW
  oc-sig "$1" | oc-delta "$2" | oc-patch "$1" > "$T/out"
  cmp "$T/out" "$2"
}

triple_files() {
  oc-sig -q "$1" "$T/s" && oc-delta -q --sig "$T/s" "$2" "$T/d" && oc-patch -q --delta "$T/d" "$1" -o "$T/o"
  cmp "$T/o" "$2"
}

@test "empty old and empty new" {
  : > "$T/old"; : > "$T/new"
  triple_pipe "$T/old" "$T/new"; triple_files "$T/old" "$T/new"
}

@test "1-byte files" {
  printf a > "$T/old"; printf b > "$T/new"
  triple_pipe "$T/old" "$T/new"; triple_files "$T/old" "$T/new"
}

@test "empty old, non-empty new" {
  : > "$T/old"; gen "$T/new" 100000 1
  triple_pipe "$T/old" "$T/new"
}

@test "smaller than one block" {
  gen "$T/old" 500 2; gen "$T/new" 499 3
  triple_pipe "$T/old" "$T/new"; triple_files "$T/old" "$T/new"
}

@test "exact multiple of the block size, one block changed" {
  gen "$T/old" 70000 4
  python3 -c "
import sys; d=bytearray(open('$T/old','rb').read()); d[7000:7700]=b'x'*700
open('$T/new','wb').write(d)"
  triple_pipe "$T/old" "$T/new"; triple_files "$T/old" "$T/new"
}

@test "insertion in the middle" {
  gen "$T/old" 1000000 5
  python3 -c "
d=open('$T/old','rb').read(); open('$T/new','wb').write(d[:400000]+b'inserted!'*1000+d[400000:])"
  triple_pipe "$T/old" "$T/new"
}

@test "append" {
  gen "$T/old" 1000000 6
  cp "$T/old" "$T/new"; printf 'appended data' >> "$T/new"
  triple_pipe "$T/old" "$T/new"
}

@test "512 MiB pair with 1% scattered edits" {
  gen "$T/old" 536870912 7
  python3 -c "
import random; r=random.Random(8); d=bytearray(open('$T/old','rb').read())
for _ in range(1310):
    p=r.randrange(len(d)-4096); d[p:p+4096]=r.randbytes(4096)
open('$T/new','wb').write(d)"
  triple_pipe "$T/old" "$T/new"
  triple_files "$T/old" "$T/new"
}

rechunk() { # copy stdin to stdout in writes of the given odd sizes, cycling
  python3 -c "
import sys, itertools
sizes = [int(a) for a in sys.argv[1:]]
src, dst = sys.stdin.buffer, sys.stdout.buffer
for n in itertools.cycle(sizes):
    b = src.read(n)
    if not b: break
    dst.write(b); dst.flush()" "$@"
}

@test "odd pipe buffer sizes between every stage" {
  gen "$T/old" 1500000 9
  python3 -c "
d=open('$T/old','rb').read(); open('$T/new','wb').write(d[:3]+b'#'*5000+d[9000:]+b'end')"
  oc-sig "$T/old" | rechunk 7 1 65537 | oc-delta "$T/new" | rechunk 3 4099 1 | oc-patch "$T/old" | rechunk 13 > "$T/out"
  cmp "$T/out" "$T/new"
  oc-sig "$T/old" | dd bs=7 status=none | oc-delta "$T/new" | dd bs=65537 status=none | oc-patch "$T/old" > "$T/out2"
  cmp "$T/out2" "$T/new"
}

@test "every protocol and checksum choice round-trips" {
  gen "$T/old" 300000 10
  python3 -c "
d=open('$T/old','rb').read(); open('$T/new','wb').write(d[1000:]+d[:1000])"
  for p in 28 29 30 31 32; do
    oc-sig --protocol $p "$T/old" | oc-delta "$T/new" | oc-patch "$T/old" > "$T/out"
    cmp "$T/out" "$T/new"
  done
  for c in md4 md5 sha1 xxh64 xxh3 xxh128; do
    oc-sig --checksum-choice $c "$T/old" | oc-delta --cc $c "$T/new" | oc-patch --cc $c "$T/old" > "$T/out"
    cmp "$T/out" "$T/new"
  done
}

@test "a wrong basis fails with a message and leaves no output file" {
  gen "$T/old" 200000 11; gen "$T/other" 200000 12; gen "$T/new" 200000 13
  cp "$T/old" "$T/new"; printf 'x' | dd of="$T/new" bs=1 seek=100 conv=notrunc status=none
  oc-sig "$T/old" | oc-delta "$T/new" > "$T/d"
  run oc-patch --delta "$T/d" "$T/other" -o "$T/o"
  [ "$status" -ne 0 ]
  [[ "$output" == oc-patch:*checksum* ]]
  [ ! -e "$T/o" ]
  [ -z "$(ls -A "$T" | grep '^\.o\.')" ]
}

@test "a truncated delta fails with a message and leaves no output file" {
  gen "$T/old" 200000 14; gen "$T/new" 200000 15
  oc-sig "$T/old" | oc-delta "$T/new" | head -c 5000 > "$T/d"
  run oc-patch --delta "$T/d" "$T/old" -o "$T/o"
  [ "$status" -eq 2 ]
  [[ "$output" == *truncated* ]]
  [ ! -e "$T/o" ]
}
