#!/usr/bin/env bash
# The Kotlin suite: compiles the generated binding (target/bindings/kotlin, from bindings/build.sh)
# with bindings/tests/kotlin/Conformance.kt and runs every tests/vectors file through it on the JVM,
# the native library loaded by JNA; then compiles and runs examples/kotlin against the same binding.
#
# The Kotlin compiler: Debian's kotlin (1.3) cannot read uniffi 0.32's output and Maven Central is
# out of reach here, so the compiler (2.x, the embeddable one inside the kotlin-jupyter-kernel wheel
# on PyPI, with its stdlib and kotlinx-serialization-json jars) is fetched once into the tool cache
# ${WAAS_TOOL_CACHE:-$HOME/.cache/waas-tools}. JNA and a JDK come from Debian (libjna-java, default-jdk-headless).
# Fails loudly when any of it cannot be had: the suite is never skipped in silence.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
log() { printf '== %s\n' "$*" >&2; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

missing=()
command -v javac >/dev/null || missing+=(default-jdk-headless)
[ -f /usr/share/java/jna.jar ] || missing+=(libjna-java)
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

KJK_VERSION=0.19.0.944
TOOLS="${WAAS_TOOL_CACHE:-$HOME/.cache/waas-tools}"
KDIR="$TOOLS/kotlin-jupyter-kernel-$KJK_VERSION"
JARS="$KDIR/run_kotlin_kernel/jars"
if [ ! -f "$JARS/kotlin-stdlib-2.3.10-RC.jar" ]; then
  log "fetching the Kotlin compiler (kotlin-jupyter-kernel $KJK_VERSION from PyPI, ~80 MB, once) into $KDIR"
  rm -rf "$KDIR" && mkdir -p "$KDIR"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps \
    "kotlin-jupyter-kernel==$KJK_VERSION" -d "$KDIR"
  (cd "$KDIR" && python3 -m zipfile -e kotlin_jupyter_kernel-*.whl . && rm -f kotlin_jupyter_kernel-*.whl)
fi
COMPILER_CP="$JARS/kotlin-jupyter-kernel-0.19.0-944-all.jar:$JARS/kotlin-stdlib-2.3.10-RC.jar:$JARS/kotlin-reflect-2.3.10-RC.jar:$JARS/annotations-13.0.jar"
CP="$JARS/kotlin-stdlib-2.3.10-RC.jar:/usr/share/java/jna.jar:$JARS/kotlinx-serialization-core-jvm-1.9.0.jar:$JARS/kotlinx-serialization-json-jvm-1.9.0.jar"

BINDING="$ROOT/target/bindings/kotlin"
[ -f "$BINDING/dev/waas/waas.kt" ] || { echo "no $BINDING/dev/waas/waas.kt: run bindings/build.sh first" >&2; exit 1; }
OUT="$ROOT/target/kotlin-test"
rm -rf "$OUT" && mkdir -p "$OUT"
log "kotlinc: the generated binding and bindings/tests/kotlin/Conformance.kt"
java -cp "$COMPILER_CP" org.jetbrains.kotlin.cli.jvm.K2JVMCompiler -nowarn -no-stdlib -no-reflect \
  -cp "$CP" "$BINDING/dev/waas/waas.kt" bindings/tests/kotlin/Conformance.kt -d "$OUT"
log "Kotlin suite: every tests/vectors file"
java -Djna.library.path="$BINDING" -cp "$OUT:$CP" ConformanceKt "$ROOT"

log "examples/kotlin: compiled against the same binding and run"
java -cp "$COMPILER_CP" org.jetbrains.kotlin.cli.jvm.K2JVMCompiler -nowarn -no-stdlib -no-reflect \
  -cp "$OUT:$CP" examples/kotlin/Example.kt -d "$OUT/example"
java -Djna.library.path="$BINDING" -cp "$OUT/example:$OUT:$CP" ExampleKt
