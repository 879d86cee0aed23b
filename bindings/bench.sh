#!/usr/bin/env bash
# wasm (Node, the npm package target/npm/waas-wasm) against native (waas-ffi, release) in one run: the same calls with
# the same inputs (strings in, strings out), operations per second, and the native/wasm ratio.
# Needs wasm/build.sh to have run. Prints a Markdown table; honors CARGO_TARGET_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# Native twice: as shipped (SHA-256 through the CPU's SHA-NI when it has them) and with SHA-256 in
# software (feature soft-sha2), which is what wasm has; the builds go to separate folders.
cargo build --release --locked -q -p waas-ffi --example bench --target-dir "$TARGET_DIR"
cargo build --release --locked -q -p waas-ffi --example bench --features soft-sha2 \
  --target-dir "$TARGET_DIR/bench-soft-sha2"
# Rounds interleave the three sides, so that a slow spell of a shared machine hits them alike;
# each operation keeps its best round on each side (WAAS_BENCH_ROUNDS, default 3).
ROUNDS="${WAAS_BENCH_ROUNDS:-3}"
native="" soft="" wasm=""
for ((round = 1; round <= ROUNDS; round++)); do
  echo "round $round of $ROUNDS" >&2
  native+="$("$TARGET_DIR/release/examples/bench")"$'\n'
  soft+="$("$TARGET_DIR/bench-soft-sha2/release/examples/bench")"$'\n'
  wasm+="$(node wasm/bench.mjs)"$'\n'
done
python3 - "$ROUNDS" "$native" "$soft" "$wasm" <<'PY'
import json, sys
rounds = sys.argv[1]
def best(text):
    out = {}
    for j in (json.loads(line) for line in text.splitlines() if line.strip()):
        out[j["op"]] = max(out.get(j["op"], 0), j["per_sec"])
    return out
native, soft, wasm = (best(a) for a in sys.argv[2:5])
print(f"Best of {rounds} interleaved rounds per side.")
print()
print("| operation | native /s | native, software SHA-256 /s | wasm (Node) /s | native / wasm | software-SHA native / wasm |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for op in native:
    w, s = wasm[op], soft[op]
    print(f"| {op} | {native[op]:,} | {s:,} | {w:,} | {native[op] / w:.2f}x | {s / w:.2f}x |")
PY
