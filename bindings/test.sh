#!/usr/bin/env bash
# Builds both bindings and runs their suites; installs what a fresh machine lacks.
#   1. wasm/build.sh            -> target/npm/{node,web}      (apt toolchain, wasm-bindgen-cli)
#   2. bindings/build.sh --check -> target/bindings/{python,kotlin,swift}; Kotlin/Swift freshness
#   3. Node suite (node --test wasm/tests/) against target/npm/node: every tests/vectors file, and
#      random inputs compared with the native `waas` CLI
#   4. Python suite (pytest bindings/tests) against target/bindings/python: every vector file, and
#      random inputs compared with the native `waas` CLI
#   5. Kotlin suite (bindings/kotlin-test.sh) against target/bindings/kotlin on the JVM: every vector
#      file, then examples/kotlin compiled and run
#   6. examples/node and examples/python, run as a new user would
#   7. the dashboard in headless chromium (examples/dashboard/e2e), screenshot target/dashboard.png
# Exits non-zero when any step fails. Honors CARGO_TARGET_DIR for the cargo builds.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
log() { printf '\n== %s\n' "$*" >&2; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

APT_PKGS=(rustc-web cargo-web rust-web-src libstd-rust-web-dev lld-22 chromium binaryen)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v node >/dev/null || { echo "node (>= 20) is required" >&2; exit 1; }
if ! python3 -c 'import pytest' 2>/dev/null; then
  log "pip install pytest"
  python3 -m pip install --quiet --disable-pip-version-check pytest
fi

log "wasm/build.sh"
wasm/build.sh
log "bindings/build.sh --check"
bindings/build.sh --check

# The native CLI that both suites compare with (the debug build: the workspace's `cargo test` has
# usually built it already). With WAAS_CLI set, a missing CLI fails the suites instead of skipping.
cargo build --locked -q -p waas-host --bin waas --target-dir "${CARGO_TARGET_DIR:-$ROOT/target}"
export WAAS_CLI="${CARGO_TARGET_DIR:-$ROOT/target}/debug/waas"

log "Node suite: node --test wasm/tests/ (vectors, and parity with the native waas CLI)"
node --test wasm/tests/

log "Python suite: pytest bindings/tests (vectors, and parity with the native waas CLI)"
PYTHONPATH="$ROOT/target/bindings/python" python3 -m pytest -q -p no:cacheprovider bindings/tests

log "Kotlin suite: bindings/kotlin-test.sh"
bindings/kotlin-test.sh

log "examples/python"
PYTHONPATH="$ROOT/target/bindings/python" python3 examples/python/example.py
log "examples/node"
(cd examples/node && npm install --no-audit --no-fund --silent && node example.js)

log "dashboard in headless chromium"
(cd examples/dashboard/e2e && npm ci --no-audit --no-fund --silent && node --test)
echo "screenshot: target/dashboard.png"

log "bindings/test.sh: every step passed"
