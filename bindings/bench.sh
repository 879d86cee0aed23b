#!/usr/bin/env bash
# wasm (Node, target/npm/node) against native (waas-ffi, release) in one run: the same calls with
# the same inputs (strings in, strings out), operations per second, and the native/wasm ratio.
# Needs wasm/build.sh to have run. Prints a Markdown table; honors CARGO_TARGET_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build --release --locked -q -p waas-ffi --example bench --target-dir "$TARGET_DIR"
native="$("$TARGET_DIR/release/examples/bench")"
wasm="$(node wasm/bench.mjs)"
python3 - "$native" "$wasm" <<'PY'
import json, sys
native = {j["op"]: j["per_sec"] for j in map(json.loads, sys.argv[1].splitlines())}
wasm = {j["op"]: j["per_sec"] for j in map(json.loads, sys.argv[2].splitlines())}
print("| operation | native /s | wasm (Node) /s | native / wasm |")
print("| --- | ---: | ---: | ---: |")
for op in native:
    w = wasm.get(op)
    print(f"| {op} | {native[op]:,} | {w:,} | {native[op] / w:.2f}x |" if w else f"| {op} | {native[op]:,} | - | - |")
PY
