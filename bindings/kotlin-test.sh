#!/usr/bin/env bash
# The Kotlin suite, against the jar that bindings/build.sh makes (target/bindings/kotlin/waas-VERSION.jar:
# the generated binding compiled, with the native library inside as a JNA resource): compiles
# bindings/tests/kotlin/Conformance.kt against the jar and runs every tests/vectors file through it on
# the JVM; then compiles and runs examples/kotlin against the same jar. The class path is the jar, JNA
# and the Kotlin stdlib (+ kotlinx-serialization-json for the suite), with no jna.library.path: the
# native library can only come out of the jar, and the run checks JNA's log says it did.
#
# The tools (JDK, JNA, the Kotlin 2.x compiler from the kotlin-jupyter-kernel wheel on PyPI, cached in
# ${WAAS_TOOL_CACHE:-$HOME/.cache/waas-tools}) come from bindings/kotlin-tools.sh.
# Fails loudly when any of it cannot be had: the suite is never skipped in silence.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
log() { printf '== %s\n' "$*" >&2; }
# shellcheck source=bindings/kotlin-tools.sh
. bindings/kotlin-tools.sh

VERSION="$(awk -F'"' '/^version = / {print $2; exit}' Cargo.toml)"
JAR="$ROOT/target/bindings/kotlin/waas-$VERSION.jar"
[ -f "$JAR" ] || { echo "no $JAR: run bindings/build.sh first" >&2; exit 1; }
CP="$JAR:$JNA_JAR:$KOTLIN_STDLIB"
OUT="$ROOT/target/kotlin-test"
rm -rf "$OUT" && mkdir -p "$OUT"
# Nothing but the jar may provide libwaas_ffi: no library path that could hold a copy.
unset LD_LIBRARY_PATH DYLD_LIBRARY_PATH

log "kotlinc: bindings/tests/kotlin/Conformance.kt against ${JAR#"$ROOT"/}"
kotlinc -cp "$CP:$KOTLIN_JSON_CP" bindings/tests/kotlin/Conformance.kt -d "$OUT/suite"
log "Kotlin suite: every tests/vectors file"
java -Djna.debug_load=true -cp "$OUT/suite:$CP:$KOTLIN_JSON_CP" ConformanceKt "$ROOT" 2>"$OUT/suite.err" \
  || { cat "$OUT/suite.err" >&2; exit 1; }
grep -v '^\(INFO\|[A-Z][a-z][a-z] [0-9]\)' "$OUT/suite.err" >&2 || true
# JNA (jna.debug_load) logs where it found the library: it must be the jar's resource.
if ! grep -q "Found library resource at jar:file:$JAR!/" "$OUT/suite.err"; then
  grep -i 'waas_ffi' "$OUT/suite.err" >&2 || true
  echo "libwaas_ffi was not loaded from $JAR" >&2
  exit 1
fi
log "libwaas_ffi came from the jar ($(grep -o 'Found library resource at .*' "$OUT/suite.err" | head -1))"

log "examples/kotlin: compiled against the jar and run"
kotlinc -cp "$CP" examples/kotlin/Example.kt -d "$OUT/example"
java -cp "$OUT/example:$CP" ExampleKt
