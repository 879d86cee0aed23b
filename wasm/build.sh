#!/usr/bin/env bash
# Builds the npm package waas-wasm and packs it: target/npm/waas-wasm/ (the package folder) and
# target/npm/waas-wasm-VERSION.tgz (`npm pack`; also copied to target/npm/waas-wasm.tgz). One
# package for Node (CommonJS `require` and ES module `import`) and for browsers and bundlers (ES
# module with the .wasm as an asset), with TypeScript declarations; layout in docs/PACKAGES.md.
#
# Two routes to wasm32-unknown-unknown:
#   - rustup's target, when it is installed (`rustup target add wasm32-unknown-unknown`): a plain
#     cargo build with the toolchain in use;
#   - otherwise Debian's rustc-web toolchain, which builds std for wasm32 itself (-Zbuild-std);
#     rustup cannot add the wasm32 target on these machines. Its apt packages are installed when
#     missing.
# Either way it installs wasm-bindgen-cli (the exact version of Cargo.lock) into a tool cache
# outside the repository, ${WAAS_TOOL_CACHE:-$HOME/.cache/waas-tools}, and uses wasm-opt
# (binaryen) when present.
#
# Cargo builds into ${CARGO_TARGET_DIR:-<repo>/target}; the package always lands in <repo>/target/npm.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
log() { printf '== %s\n' "$*" >&2; }

# 1. The route, and for Debian's the apt packages of its toolchain.
# (The list is read whole before grep: with pipefail, `grep -q` leaving early could fail the pipe.)
if command -v rustup >/dev/null && grep -qx wasm32-unknown-unknown <<<"$(rustup target list --installed 2>/dev/null)"; then
  ROUTE=rustup
  APT_PKGS=()
else
  ROUTE=debian
  APT_PKGS=(rustc-web cargo-web rust-web-src libstd-rust-web-dev lld-22 binaryen)
fi
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
command -v npm >/dev/null || { echo "npm is required (it packs the package)" >&2; exit 1; }

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

# 3. The wasm32 build: rustup's target as it is, or Debian's toolchain (rustup's has no wasm32 std).
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BUILD=(cargo build)
if [ "$ROUTE" = debian ]; then
  export CARGO=/usr/bin/cargo RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
  export RUSTC_BOOTSTRAP=1
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22
  BUILD=(/usr/bin/cargo build -Zbuild-std=std,panic_abort)
fi
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
log "cargo build -p waas-wasm --target wasm32-unknown-unknown (route: $ROUTE)"
"${BUILD[@]}" --release --locked -p waas-wasm --target wasm32-unknown-unknown \
  --target-dir "$TARGET_DIR" "${SPEED[@]}"
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

# 5. The package folder target/npm/waas-wasm:
#      node/waas_wasm.js     wasm-bindgen --target nodejs (CommonJS); loads ../web/waas_wasm_bg.wasm
#      node/index.cjs        `require` entry: the glue plus the typed layer (wasm/js/typed.js)
#      node/index.mjs        `import` entry in Node: the same module's exports as ES module names
#      web/waas_wasm.js      wasm-bindgen --target web (ES module; init() fetches the .wasm beside it
#                            through new URL(..., import.meta.url), which bundlers take as an asset)
#      web/index.js          browser/bundler entry: the web glue plus the typed layer
#      web/waas_wasm_bg.wasm the one .wasm of the package
#      index.d.ts, index.d.mts  wasm/js/index.d.ts with ErrorCode from core/src/error.rs
#      package.json, README.md, LICENSE-MIT, LICENSE-APACHE
VERSION="$(awk -F'"' '/^version = / {print $2; exit}' Cargo.toml)"
REPOSITORY="$(awk -F'"' '/^repository = / {print $2; exit}' Cargo.toml)"
[ -n "$VERSION" ] && [ -n "$REPOSITORY" ] || { echo "no version/repository in Cargo.toml" >&2; exit 1; }
NPM="$ROOT/target/npm"
PKG="$NPM/waas-wasm"
rm -rf "$PKG" "$NPM/node" "$NPM/web" "$NPM"/waas-wasm*.tgz
mkdir -p "$PKG"
for kind in node web; do
  case $kind in node) t=nodejs ;; web) t=web ;; esac
  "$WASM_BINDGEN" --target "$t" --no-typescript --out-dir "$PKG/$kind" --out-name waas_wasm "$INPUT"
done
rm "$PKG/node/waas_wasm_bg.wasm"
# Edits of wasm-bindgen's glue, each checked to apply exactly once:
#  - a string argument is copied into wasm memory without a check that it is a string: a number,
#    object or BigInt there traps inside the allocator ("memory access out of bounds") and null
#    throws a bare TypeError. One check at the top of that copy turns every such call into the
#    package's own error (code INVALID_ARGUMENT) before wasm is entered;
#  - the Node glue reads the web folder's .wasm, so that the package holds one copy.
python3 - "$PKG/node/waas_wasm.js" "$PKG/web/waas_wasm.js" <<'PY'
import sys
anchor = "function passStringToWasm0(arg, malloc, realloc) {\n"
check = (
    "    if (typeof arg !== 'string') {\n"
    "        const error = new Error(`INVALID_ARGUMENT: expected a string, found ${arg === null ? 'null' : typeof arg}`);\n"
    "        error.name = 'WaasError';\n"
    "        error.code = 'INVALID_ARGUMENT';\n"
    "        throw error;\n"
    "    }\n"
)
def edit(path, old, new, why):
    text = open(path, encoding="utf-8").read()
    if text.count(old) != 1:
        sys.exit(f"{path}: {old!r} is not there exactly once; {why} was not done")
    open(path, "w", encoding="utf-8").write(text.replace(old, new))
for path in sys.argv[1:]:
    edit(path, anchor, anchor + check, "the string check")
edit(sys.argv[1], "`${__dirname}/waas_wasm_bg.wasm`", "`${__dirname}/../web/waas_wasm_bg.wasm`", "the shared .wasm")
PY
TYPED="$(cat wasm/js/typed.js)"
TYPED_NAMES="replayLedger, replayLedgerText, reserveReport, auditJournal, checkEnvelope, checkEnvelopeText, isWaasError"
cat >"$PKG/node/index.cjs" <<JS
'use strict';
// waas-wasm for Node, CommonJS: require('waas-wasm'). Generated by wasm/build.sh.
const raw = require('./waas_wasm.js');

$TYPED

/** Nothing to load in Node (the module is instantiated on require); there for code shared with browsers. */
async function init() {}
function initSync() {}

module.exports = { ...raw, $TYPED_NAMES, initSync, default: init };
// TypeScript's and bundlers' CommonJS interop: \`import init from 'waas-wasm'\` takes .default.
Object.defineProperty(module.exports, '__esModule', { value: true });
JS
# Node's import of a CommonJS module sees only the names it can find by reading the source; the
# ES module entry names every export itself.
NAMES="$(node -e 'console.log(Object.keys(require(process.argv[1])).filter((n) => n !== "default").sort().join(", "))' "$PKG/node/index.cjs")"
cat >"$PKG/node/index.mjs" <<JS
// waas-wasm for Node, ES module: import ... from 'waas-wasm'. Generated by wasm/build.sh.
import waas from './index.cjs';

export default waas.default;
export const { $NAMES } = waas;
JS
cat >"$PKG/web/index.js" <<JS
// waas-wasm for browsers and bundlers (ES module): call the default export, init(), once first.
// Generated by wasm/build.sh.
import * as raw from './waas_wasm.js';

export * from './waas_wasm.js';
export { default } from './waas_wasm.js';

$TYPED

export { $TYPED_NAMES };
JS
echo '{ "type": "module" }' >"$PKG/web/package.json"
# The error codes of the core, in its order, as a TypeScript union.
CODES="$(awk '/pub const fn as_str\(self\)/ {on=1; next} on && /^    }/ {exit} on && /=> "/ {match($0, /"[A-Z_]+"/); print substr($0, RSTART, RLENGTH)}' core/src/error.rs)"
[ "$(wc -l <<<"$CODES")" -ge 30 ] || { echo "found only these error codes in core/src/error.rs: $CODES" >&2; exit 1; }
python3 - wasm/js/index.d.ts "$PKG/index.d.ts" "$(sed 's/^/  | /' <<<"$CODES")" <<'PY'
import sys
src, dst, union = sys.argv[1:]
text = open(src, encoding="utf-8").read()
if text.count(" __ERROR_CODES__") != 1:
    sys.exit(f"{src}: no single __ERROR_CODES__ placeholder")
open(dst, "w", encoding="utf-8").write(text.replace(" __ERROR_CODES__", "\n" + union))
PY
cp "$PKG/index.d.ts" "$PKG/index.d.mts"
cp wasm/README.md LICENSE-MIT LICENSE-APACHE "$PKG/"
cat >"$PKG/package.json" <<JSON
{
  "name": "waas-wasm",
  "version": "$VERSION",
  "description": "waas core (wallet-as-a-service) as WebAssembly: deposit addresses, address checks, amounts, webhooks, ledger replay; for Node and browsers",
  "license": "MIT OR Apache-2.0",
  "repository": { "type": "git", "url": "$REPOSITORY" },
  "keywords": ["wallet", "webassembly", "bip32", "ethereum", "tron", "webhooks"],
  "main": "./node/index.cjs",
  "module": "./web/index.js",
  "types": "./index.d.ts",
  "exports": {
    ".": {
      "node": {
        "import": { "types": "./index.d.mts", "default": "./node/index.mjs" },
        "require": { "types": "./index.d.ts", "default": "./node/index.cjs" }
      },
      "browser": { "types": "./index.d.mts", "default": "./web/index.js" },
      "default": { "types": "./index.d.mts", "default": "./web/index.js" }
    },
    "./waas_wasm_bg.wasm": "./web/waas_wasm_bg.wasm",
    "./package.json": "./package.json"
  },
  "files": ["node/", "web/", "index.d.ts", "index.d.mts", "README.md", "LICENSE-MIT", "LICENSE-APACHE"],
  "sideEffects": ["./web/snippets/*"],
  "engines": { "node": ">=18" }
}
JSON

# 6. The tarball (npm pack: what npm publish would upload; it needs no network).
TGZ="$(cd "$PKG" && npm pack --silent --pack-destination "$NPM" | tail -n 1)"
[ -f "$NPM/$TGZ" ] || { echo "npm pack left no tarball" >&2; exit 1; }
cp "$NPM/$TGZ" "$NPM/waas-wasm.tgz"
raw=$(stat -c %s "$PKG/web/waas_wasm_bg.wasm")
gz=$(gzip -9 -c "$PKG/web/waas_wasm_bg.wasm" | wc -c)
log "waas_wasm_bg.wasm: $raw bytes raw, $gz bytes gzipped (-9)"
log "npm package: target/npm/waas-wasm/, tarball target/npm/$TGZ ($(stat -c %s "$NPM/$TGZ") bytes; copy: target/npm/waas-wasm.tgz)"
echo "$raw $gz" >"$NPM/wasm-size.txt"
