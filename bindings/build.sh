#!/usr/bin/env bash
# Builds waas-ffi (uniffi) and generates its bindings:
#   target/bindings/python   module `waas` (waas.py) with libwaas_ffi.so beside it
#   target/bindings/kotlin   dev/waas/waas.kt (JNA), with libwaas_ffi.so beside it
#   target/bindings/swift    Waas.swift, WaasFFI.h, WaasFFI.modulemap
# and packs them (version: the workspace version in Cargo.toml):
#   target/wheels/waas-VERSION-py3-none-manylinux_2_X_ARCH.whl   `pip install` it: `import waas`,
#        the native library inside (bindings/python/build_wheel.py says how the tag is chosen)
#   target/bindings/kotlin/waas-VERSION.jar   the generated Kotlin compiled (package dev.waas) and the
#        native library as a JNA resource (linux-x86-64/libwaas_ffi.so); needs JNA and kotlin-stdlib
#   target/bindings/kotlin/waas-VERSION-sources.jar   the generated Kotlin source
# The jar needs a JDK, JNA and the Kotlin compiler: bindings/kotlin-tools.sh installs them.
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

# The workspace version ([workspace.package] comes first in Cargo.toml; every crate inherits it).
VERSION="$(awk -F'"' '/^version = / {print $2; exit}' Cargo.toml)"

rm -f "$ROOT"/target/wheels/waas-*.whl
if [ "$(uname -s)" = Linux ]; then
  log "Python wheel (waas $VERSION)"
  WHEEL="$(python3 bindings/python/build_wheel.py --version "$VERSION" --module "$OUT/python/waas.py" \
    --lib "$LIBPATH" --out "$ROOT/target/wheels" --license-dir "$ROOT")"
  log "wheel: ${WHEEL#"$ROOT"/}"
else
  log "no wheel: bindings/python/build_wheel.py makes (manylinux) Linux wheels only"
fi

log "JVM jar (waas $VERSION)"
# shellcheck source=bindings/kotlin-tools.sh
. bindings/kotlin-tools.sh
# JNA looks for a library that is on no path as a class-path resource under its platform prefix
# (com.sun.jna.Platform.RESOURCE_PREFIX), extracts it to a temporary file and loads it.
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) JNA_PREFIX=linux-x86-64 ;;
  Linux-aarch64) JNA_PREFIX=linux-aarch64 ;;
  Darwin-x86_64) JNA_PREFIX=darwin-x86-64 ;;
  Darwin-arm64) JNA_PREFIX=darwin-aarch64 ;;
  *) echo "no JNA resource prefix known for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
JAR_BUILD="$ROOT/target/kotlin-jar"
rm -rf "$JAR_BUILD" && mkdir -p "$JAR_BUILD/classes/$JNA_PREFIX" "$JAR_BUILD/sources/dev/waas"
kotlinc -module-name waas -cp "$JNA_JAR:$KOTLIN_STDLIB" "$OUT/kotlin/dev/waas/waas.kt" -d "$JAR_BUILD/classes"
cp "$LIBPATH" "$JAR_BUILD/classes/$JNA_PREFIX/"
cp "$OUT/kotlin/dev/waas/waas.kt" "$JAR_BUILD/sources/dev/waas/"
printf 'Implementation-Title: waas\nImplementation-Version: %s\n' "$VERSION" >"$JAR_BUILD/MANIFEST.MF"
# Fixed entry dates: the same inputs give the same jar.
JAR_DATE="$(date -u -d "@${SOURCE_DATE_EPOCH:-315532800}" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo 1980-01-01T00:00:00Z)"
[[ "$JAR_DATE" < 1980-01-01T00:00:02Z ]] && JAR_DATE=1980-01-01T00:00:02Z
jar --create --file "$OUT/kotlin/waas-$VERSION.jar" --manifest "$JAR_BUILD/MANIFEST.MF" --date "$JAR_DATE" \
  -C "$JAR_BUILD/classes" .
jar --create --file "$OUT/kotlin/waas-$VERSION-sources.jar" --manifest "$JAR_BUILD/MANIFEST.MF" \
  --date "$JAR_DATE" -C "$JAR_BUILD/sources" .
log "jar: target/bindings/kotlin/waas-$VERSION.jar (+ -sources.jar); run it with $JNA_JAR and kotlin-stdlib"

GEN="$ROOT/bindings/generated"
case "$MODE" in
  --update)
    rm -rf "$GEN" && mkdir -p "$GEN"
    cp -r "$OUT/kotlin" "$OUT/swift" "$GEN/"
    rm -f "$GEN/kotlin/$LIB" "$GEN"/kotlin/*.jar
    log "refreshed $GEN"
    ;;
  --check)
    stale=0
    for lang in kotlin swift; do
      if ! diff -r --exclude="$LIB" --exclude='*.jar' "$GEN/$lang" "$OUT/$lang" >/dev/null; then
        diff -ru --exclude="$LIB" --exclude='*.jar' "$GEN/$lang" "$OUT/$lang" | head -40 >&2 || true
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
