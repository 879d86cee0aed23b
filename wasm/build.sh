#!/usr/bin/env bash
# Builds the npm packages of waas-wasm: target/npm/node (--target nodejs) and target/npm/web
# (--target web), each with package.json, JS glue, TypeScript declarations and the .wasm.
#
# Route (see WASM.md of the project): Debian's rustc-web toolchain builds std for wasm32 itself
# (-Zbuild-std); rustup cannot add the wasm32 target on these machines. Installs what is missing:
# the apt packages, and wasm-bindgen-cli (the exact version of Cargo.lock) into a tool cache outside
# the repository, ${WAAS_TOOL_CACHE:-$HOME/.cache/waas-tools}. Uses wasm-opt (binaryen) when present.
#
# Cargo builds into ${CARGO_TARGET_DIR:-<repo>/target}; the packages always land in <repo>/target/npm.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
log() { printf '== %s\n' "$*" >&2; }

# 1. Debian packages of the wasm toolchain.
APT_PKGS=(rustc-web cargo-web rust-web-src libstd-rust-web-dev lld-22 binaryen)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]} (apt)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. wasm-bindgen-cli, exactly the version of the wasm-bindgen crate in Cargo.lock.
WB_VERSION="$(awk '$0=="name = \"wasm-bindgen\"" {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)"
[ -n "$WB_VERSION" ] || { echo "wasm-bindgen is not in Cargo.lock" >&2; exit 1; }
TOOLS="${WAAS_TOOL_CACHE:-$HOME/.cache/waas-tools}"
WB_ROOT="$TOOLS/wasm-bindgen-$WB_VERSION"
WASM_BINDGEN="$WB_ROOT/bin/wasm-bindgen"
if ! "$WASM_BINDGEN" --version 2>/dev/null | grep -qF "$WB_VERSION"; then
  log "installing wasm-bindgen-cli $WB_VERSION into $WB_ROOT (about 3 minutes, once)"
  # --locked fails on this registry mirror (a pinned dependency is missing): install without it.
  # Its own target dir, so that an inherited CARGO_TARGET_DIR is not filled with its build.
  CARGO_TARGET_DIR="$TOOLS/build" cargo install wasm-bindgen-cli --version "=$WB_VERSION" \
    --root "$WB_ROOT" --quiet
fi

# 3. The wasm32 build with Debian's toolchain (not rustup's: it has no wasm32 std).
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO=/usr/bin/cargo RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS='--cfg getrandom_backend="wasm_js"'
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$WB_ROOT/bin/wasm-bindgen-test-runner"
# Size matters for a browser download: fat LTO, abort on panic and opt-level "z" for most crates.
# Speed matters where the time goes: level 3 for the elliptic-curve and hash crates (derivation and
# verification), the wasm-bindgen glue, std's allocator and collections, and this crate; level "s"
# for waas-core (level 3 there would be ~40 KiB more gzipped, over the 300 KiB budget). The
# variables WAAS_WASM_OPT_LEVEL, WAAS_WASM_SPEED_EXTRA ("crate ...", level 3) and WAAS_WASM_PKG_OPTS
# ("crate=level ...") override this for experiments. For this build only: native builds keep the
# workspace profile.
export CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_PANIC=abort
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${WAAS_WASM_OPT_LEVEL:-z}"
SPEED=()
for crate in k256 elliptic-curve primeorder sha2 sha3 keccak hmac bip32 \
  ${WAAS_WASM_SPEED_EXTRA:-waas-wasm core alloc std dlmalloc base64 subtle hex wasm-bindgen js-sys}; do
  SPEED+=(--config "profile.release.package.$crate.opt-level=3")
done
for pair in ${WAAS_WASM_PKG_OPTS:-waas-core=s}; do
  SPEED+=(--config "profile.release.package.${pair%%=*}.opt-level=\"${pair#*=}\"")
done
log "cargo build -p waas-wasm --target wasm32-unknown-unknown (Debian rustc-web, -Zbuild-std)"
/usr/bin/cargo build --release --locked -p waas-wasm --target wasm32-unknown-unknown \
  -Zbuild-std=std,panic_abort --target-dir "$TARGET_DIR" "${SPEED[@]}"
WASM="$TARGET_DIR/wasm32-unknown-unknown/release/waas_wasm.wasm"

# 4. wasm-opt (binaryen) on cargo's output, before wasm-bindgen: Debian's binaryen 108 breaks the
#    externref table that wasm-bindgen adds, so it must run on the module without it.
VERSION="$(awk -F'"' '/^version = / {print $2; exit}' Cargo.toml)"
INPUT="$WASM"
if command -v wasm-opt >/dev/null; then
  OPTIMIZED="$(dirname "$WASM")/waas_wasm.opt.wasm"
  if wasm-opt "${WAAS_WASM_OPT_FLAG:--O3}" --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
    --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
    "$WASM" -o "$OPTIMIZED"; then
    INPUT="$OPTIMIZED"
  else
    log "wasm-opt failed; packaging the unoptimized .wasm"
  fi
else
  log "wasm-opt not found (apt binaryen); packaging the unoptimized .wasm"
fi

# 5. JS glue, TypeScript declarations and package.json for Node and for the web.
for kind in node web; do
  out="$ROOT/target/npm/$kind"
  rm -rf "$out"
  mkdir -p "$out"
  case $kind in node) t=nodejs ;; web) t=web ;; esac
  "$WASM_BINDGEN" --target "$t" --out-dir "$out" --out-name waas_wasm "$INPUT"
  # wasm-bindgen's glue copies a string argument into wasm memory without checking that it is a
  # string: a number, object or BigInt there traps inside the allocator ("memory access out of
  # bounds") and null throws a bare TypeError. One check at the top of that copy turns every such
  # call into the package's own error (code INVALID_ARGUMENT) before wasm is entered.
  python3 - "$out/waas_wasm.js" <<'PY'
import sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
anchor = "function passStringToWasm0(arg, malloc, realloc) {\n"
check = (
    "    if (typeof arg !== 'string') {\n"
    "        const error = new Error(`INVALID_ARGUMENT: expected a string, found ${arg === null ? 'null' : typeof arg}`);\n"
    "        error.name = 'WaasError';\n"
    "        error.code = 'INVALID_ARGUMENT';\n"
    "        throw error;\n"
    "    }\n"
)
if text.count(anchor) != 1:
    sys.exit(f"{path}: passStringToWasm0 is not there exactly once; the string check was not added")
open(path, "w", encoding="utf-8").write(text.replace(anchor, anchor + check))
PY
  if [ $kind = node ]; then
    cat >"$out/package.json" <<JSON
{
  "name": "waas-wasm",
  "version": "$VERSION",
  "description": "waas core (wallet-as-a-service) as WebAssembly for Node.js",
  "license": "MIT OR Apache-2.0",
  "main": "waas_wasm.js",
  "types": "waas_wasm.d.ts",
  "files": ["waas_wasm.js", "waas_wasm.d.ts", "waas_wasm_bg.wasm", "waas_wasm_bg.wasm.d.ts"]
}
JSON
  else
    cat >"$out/package.json" <<JSON
{
  "name": "waas-wasm",
  "version": "$VERSION",
  "description": "waas core (wallet-as-a-service) as WebAssembly for browsers (ES module; call the default export init() first)",
  "license": "MIT OR Apache-2.0",
  "type": "module",
  "main": "waas_wasm.js",
  "module": "waas_wasm.js",
  "types": "waas_wasm.d.ts",
  "sideEffects": ["./snippets/*"],
  "files": ["waas_wasm.js", "waas_wasm.d.ts", "waas_wasm_bg.wasm", "waas_wasm_bg.wasm.d.ts"]
}
JSON
  fi
done
raw=$(stat -c %s "$ROOT/target/npm/web/waas_wasm_bg.wasm")
gz=$(gzip -9 -c "$ROOT/target/npm/web/waas_wasm_bg.wasm" | wc -c)
log "waas_wasm_bg.wasm: $raw bytes raw, $gz bytes gzipped (-9)"
echo "$raw $gz" >"$ROOT/target/npm/wasm-size.txt"
