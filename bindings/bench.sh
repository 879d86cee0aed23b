#!/usr/bin/env bash
# wasm (Node, target/npm/node) against native (waas-ffi, release) in one run: the same calls with
# the same inputs (strings in, strings out), operations per second, and the native/wasm ratio.
# Needs wasm/build.sh to have run. Prints a Markdown table; honors CARGO_TARGET_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# Native twice: as shipped (SHA-256 through the CPU's SHA-NI when it has them) and with SHA-256 in
# software (feature soft-sha2), which is what wasm has; the builds go to separate folders.
cargo build --release --locked -q -p waas-ffi --example bench --target-dir "$TARGET_DIR"
native="$("$TARGET_DIR/release/examples/bench")"
cargo build --release --locked -q -p waas-ffi --example bench --features soft-sha2 \
  --target-dir "$TARGET_DIR/bench-soft-sha2"
soft="$("$TARGET_DIR/bench-soft-sha2/release/examples/bench")"
wasm="$(node wasm/bench.mjs)"
python3 - "$native" "$soft" "$wasm" <<'PY'
import json, sys
native, soft, wasm = ({j["op"]: j["per_sec"] for j in map(json.loads, a.splitlines())} for a in sys.argv[1:4])
print("| operation | native /s | native, software SHA-256 /s | wasm (Node) /s | native / wasm | software-SHA native / wasm |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for op in native:
    w, s = wasm.get(op), soft.get(op)
    print(f"| {op} | {native[op]:,} | {s:,} | {w:,} | {native[op] / w:.2f}x | {s / w:.2f}x |")
PY
