# Sourced by bindings/build.sh (to build the jar) and bindings/kotlin-test.sh (to compile the suite
# and the example against it): makes sure a JDK, JNA and the Kotlin compiler are here, then defines
#   kotlinc ARGS...   the Kotlin 2.x compiler (K2JVMCompiler) on the JVM
#   KOTLIN_STDLIB     the Kotlin standard library jar (a runtime dependency of the binding)
#   KOTLIN_JSON_CP    kotlinx-serialization-json and -core (the suite reads the vector files with it)
#   JNA_JAR           JNA (net.java.dev.jna:jna), Debian's libjna-java
# Debian 12's kotlin (1.3) cannot read uniffi 0.32's output and Maven Central is out of reach, so the
# compiler (the embeddable one inside the kotlin-jupyter-kernel wheel on PyPI, with its stdlib and
# kotlinx-serialization-json jars) is fetched once into the tool cache
# ${WAAS_TOOL_CACHE:-$HOME/.cache/waas-tools}. JNA and a JDK come from Debian (libjna-java,
# default-jdk-headless). Fails loudly when any of it cannot be had.
_kt_log() { printf '== %s\n' "$*" >&2; }
_kt_sudo=""; [ "$(id -u)" = 0 ] || _kt_sudo=sudo
_kt_missing=()
{ command -v javac >/dev/null && command -v jar >/dev/null; } || _kt_missing+=(default-jdk-headless)
[ -f /usr/share/java/jna.jar ] || _kt_missing+=(libjna-java)
if ((${#_kt_missing[@]})); then
  _kt_log "apt-get install ${_kt_missing[*]}"
  $_kt_sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $_kt_sudo apt-get install -y -qq --no-install-recommends "${_kt_missing[@]}" >/dev/null
fi

KJK_VERSION=0.19.0.944
_kt_tools="${WAAS_TOOL_CACHE:-$HOME/.cache/waas-tools}"
_kt_dir="$_kt_tools/kotlin-jupyter-kernel-$KJK_VERSION"
_kt_jars="$_kt_dir/run_kotlin_kernel/jars"
if [ ! -f "$_kt_jars/kotlin-stdlib-2.3.10-RC.jar" ]; then
  _kt_log "fetching the Kotlin compiler (kotlin-jupyter-kernel $KJK_VERSION from PyPI, ~80 MB, once) into $_kt_dir"
  rm -rf "$_kt_dir" && mkdir -p "$_kt_dir"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps \
    "kotlin-jupyter-kernel==$KJK_VERSION" -d "$_kt_dir"
  (cd "$_kt_dir" && python3 -m zipfile -e kotlin_jupyter_kernel-*.whl . && rm -f kotlin_jupyter_kernel-*.whl)
fi
KOTLIN_STDLIB="$_kt_jars/kotlin-stdlib-2.3.10-RC.jar"
KOTLIN_JSON_CP="$_kt_jars/kotlinx-serialization-core-jvm-1.9.0.jar:$_kt_jars/kotlinx-serialization-json-jvm-1.9.0.jar"
JNA_JAR=/usr/share/java/jna.jar
_kt_compiler_cp="$_kt_jars/kotlin-jupyter-kernel-0.19.0-944-all.jar:$KOTLIN_STDLIB:$_kt_jars/kotlin-reflect-2.3.10-RC.jar:$_kt_jars/annotations-13.0.jar"
kotlinc() {
  java -cp "$_kt_compiler_cp" org.jetbrains.kotlin.cli.jvm.K2JVMCompiler -nowarn -no-stdlib -no-reflect "$@"
}
