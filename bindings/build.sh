#!/usr/bin/env bash
# Builds waas-ffi (uniffi) and generates its bindings:
#   target/bindings/python   module `waas` (waas.py) with libwaas_ffi.so beside it
#   target/bindings/kotlin   dev/waas/waas.kt (JNA), with libwaas_ffi.so beside it
#   target/bindings/swift    Waas.swift, WaasFFI.h, WaasFFI.modulemap
# Cargo builds into ${CARGO_TARGET_DIR:-<repo>/target}; the bindings always land in <repo>/target.
# With --check, also compares the generated Kotlin and Swift with the committed copies in
# bindings/generated/ (and fails when they are stale); with --update, refreshes those copies.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
MODE="${1:-}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
log() { printf '== %s\n' "$*" >&2; }

log "cargo build --release -p waas-ffi -p uniffi-bindgen"
cargo build --release --locked -p waas-ffi -p uniffi-bindgen --target-dir "$TARGET_DIR"
case "$(uname -s)" in
  Darwin) LIB=libwaas_ffi.dylib ;;
  *) LIB=libwaas_ffi.so ;;
esac
LIBPATH="$TARGET_DIR/release/$LIB"
BINDGEN="$TARGET_DIR/release/uniffi-bindgen"

OUT="$ROOT/target/bindings"
for lang in python kotlin swift; do
  rm -rf "${OUT:?}/$lang"
  # --no-format: the output must not depend on which formatters a machine happens to have.
  "$BINDGEN" generate --library "$LIBPATH" --language "$lang" --no-format --out-dir "$OUT/$lang" >/dev/null
done
cp "$LIBPATH" "$OUT/python/"
cp "$LIBPATH" "$OUT/kotlin/"
log "bindings in $OUT: $(cd "$OUT" && find . -type f | sort | tr '\n' ' ')"

GEN="$ROOT/bindings/generated"
case "$MODE" in
  --update)
    rm -rf "$GEN" && mkdir -p "$GEN"
    cp -r "$OUT/kotlin" "$OUT/swift" "$GEN/"
    rm -f "$GEN/kotlin/$LIB"
    log "refreshed $GEN"
    ;;
  --check)
    stale=0
    for lang in kotlin swift; do
      if ! diff -r --exclude="$LIB" "$GEN/$lang" "$OUT/$lang" >/dev/null; then
        diff -ru --exclude="$LIB" "$GEN/$lang" "$OUT/$lang" | head -40 >&2 || true
        echo "bindings/generated/$lang is stale: run bindings/build.sh --update and commit" >&2
        stale=1
      fi
    done
    [ $stale = 0 ] && log "bindings/generated (Kotlin, Swift) is fresh"
    exit $stale
    ;;
  "") ;;
  *) echo "usage: $0 [--check|--update]" >&2; exit 2 ;;
esac
