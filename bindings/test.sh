#!/usr/bin/env bash
# Builds both bindings and runs their suites; installs what a fresh machine lacks.
#   1. wasm/build.sh            -> target/npm/waas-wasm/ and its `npm pack` tarball in target/npm/
#   2. bindings/build.sh --check -> target/bindings/{python,kotlin,swift}, the wheel in target/wheels,
#      the jar in target/bindings/kotlin; Kotlin/Swift freshness of bindings/generated
#   3. Node suite (node --test wasm/tests/) against the tarball installed into a temporary project
#      (require and import): every tests/vectors file, and random inputs compared with the native
#      `waas` CLI
#   4. Python suite (bindings/tests, unittest) against the wheel installed into a fresh virtualenv
#      (pip install --no-index): every vector file, and random inputs compared with the native `waas`
#      CLI; it fails unless `waas` is imported from that virtualenv's site-packages
#   5. Kotlin suite (bindings/kotlin-test.sh) against the jar on the JVM: every vector file, then
#      examples/kotlin compiled and run
#   6. examples/node (require, import, and typed.ts through `tsc --strict --noEmit`) in that
#      temporary project, and examples/python with the virtualenv of step 4, run as a new user would
#   7. the dashboard: examples/dashboard/dist (embedded by the host) rebuilt and compared, then in
#      headless chromium (examples/dashboard/e2e): the tools page on the package installed from the
#      tarball, and the operator dashboard served by a live `waas serve` (screenshots in
#      target/dashboard/)
# Exits non-zero when any step fails. Honors CARGO_TARGET_DIR for the cargo builds.
# WAAS_BINDINGS_STEPS (space-separated) runs only some steps, e.g. "build python kotlin" (steps 2, 4,
# 5); names: wasm build node python kotlin examples dashboard. Default: all of them.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
log() { printf '\n== %s\n' "$*" >&2; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
ALL_STEPS="wasm build node python kotlin examples dashboard"
STEPS=" ${WAAS_BINDINGS_STEPS:-$ALL_STEPS} "
for s in $STEPS; do
  [[ " $ALL_STEPS " == *" $s "* ]] || { echo "unknown step $s (steps: $ALL_STEPS)" >&2; exit 2; }
done
step() { [[ "$STEPS" == *" $1 "* ]]; }

APT_PKGS=(rustc-web cargo-web rust-web-src libstd-rust-web-dev lld-22 chromium binaryen)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})) && { step wasm || step dashboard; }; then
  log "apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if step wasm || step node || step examples || step dashboard; then
  command -v node >/dev/null || { echo "node (>= 20) is required" >&2; exit 1; }
fi
# The wheel goes into a fresh virtualenv: Debian's python3 needs python3-venv for that (ensurepip).
if { step python || step examples; } && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  log "apt-get install python3-venv"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi

if step wasm; then
  log "wasm/build.sh"
  wasm/build.sh
fi
if step build; then
  log "bindings/build.sh --check"
  bindings/build.sh --check
fi

# The native CLI that both suites compare with (the debug build: the workspace's `cargo test` has
# usually built it already). With WAAS_CLI set, a missing CLI fails the suites instead of skipping.
if step node || step python; then
  cargo build --locked -q -p waas-host --bin waas --target-dir "${CARGO_TARGET_DIR:-$ROOT/target}"
  export WAAS_CLI="${CARGO_TARGET_DIR:-$ROOT/target}/debug/waas"
fi

# The npm tarball installed into a fresh project, as a user would (offline: it has no dependencies);
# the Node suite, examples/node and the dashboard test load the package from there.
VENV="" NPM_PROJECT=""
trap 'rm -rf ${VENV:+"$VENV"} ${NPM_PROJECT:+"$NPM_PROJECT"}' EXIT
if step node || step examples || step dashboard; then
  TARBALL="$ROOT/target/npm/waas-wasm.tgz"
  [ -f "$TARBALL" ] || { echo "no $TARBALL: run wasm/build.sh" >&2; exit 1; }
  NPM_PROJECT="$(mktemp -d "${TMPDIR:-/tmp}/waas-npm.XXXXXX")"
  log "npm install target/npm/waas-wasm.tgz into a fresh project ($NPM_PROJECT)"
  echo '{ "name": "waas-npm-user", "private": true }' >"$NPM_PROJECT/package.json"
  (cd "$NPM_PROJECT" && npm install "$TARBALL" --no-audit --no-fund --offline --silent)
  export WAAS_NPM_PROJECT="$NPM_PROJECT"
fi

if step node; then
  log "Node suite: node --test wasm/tests/ (vectors, and parity with the native waas CLI)"
  node --test wasm/tests/
fi

# The wheel of step 2, installed into a fresh virtualenv as a user would (no index: it has no
# dependencies); the Python suite and examples/python run with that virtualenv's python, from a
# directory that holds no `waas`, with no PYTHONPATH.
# Step examples without a wheel (and without steps build and python) runs examples/node only, and
# says so.
VERSION="$(awk -F'"' '/^version = / {print $2; exit}' Cargo.toml)"
WHEELS=("$ROOT"/target/wheels/waas-"$VERSION"-*.whl)
PY_EXAMPLE=0
if step python || step build || [ -f "${WHEELS[0]}" ]; then PY_EXAMPLE=1; fi
if step python || { step examples && ((PY_EXAMPLE)); }; then
  [ -f "${WHEELS[0]}" ] || { echo "no target/wheels/waas-$VERSION-*.whl: run bindings/build.sh" >&2; exit 1; }
  ((${#WHEELS[@]} == 1)) || { echo "several wheels: ${WHEELS[*]}" >&2; exit 1; }
  VENV="$(mktemp -d "${TMPDIR:-/tmp}/waas-venv.XXXXXX")"
  log "pip install ${WHEELS[0]#"$ROOT"/} into a fresh virtualenv ($VENV)"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --no-deps "${WHEELS[0]}"
  unset PYTHONPATH
fi
if step python; then
  log "Python suite: bindings/tests (vectors, and parity with the native waas CLI) against the installed wheel"
  (cd "$VENV" && "$VENV/bin/python" - "$ROOT/bindings/tests" <<'PY'
import os, sys, sysconfig, unittest
import waas
site = sysconfig.get_paths()["platlib"]
if not os.path.realpath(waas.__file__).startswith(os.path.realpath(site) + os.sep):
    sys.exit(f"waas comes from {waas.__file__}, not from the virtualenv ({site})")
print(f"waas from {waas.__file__}", file=sys.stderr)
tests = sys.argv[1]
suite = unittest.defaultTestLoader.discover(tests, top_level_dir=tests)
result = unittest.TextTestRunner(verbosity=1).run(suite)
sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)
PY
  )
fi

if step kotlin; then
  log "Kotlin suite: bindings/kotlin-test.sh (against the jar)"
  bindings/kotlin-test.sh
fi

if step examples; then
  if ((PY_EXAMPLE)); then
    log "examples/python (the installed wheel)"
    (cd "$VENV" && "$VENV/bin/python" "$ROOT/examples/python/example.py")
  else
    log "examples/python NOT RUN: no target/wheels/waas-$VERSION-*.whl (steps build python make it)"
  fi
  log "examples/node: require, import, and TypeScript (tsc --strict) against the installed package"
  cp examples/node/example.js examples/node/example.mjs examples/node/typed.ts "$NPM_PROJECT/"
  (cd "$NPM_PROJECT" && node example.js && node example.mjs)
  # TypeScript from the npm registry into the tool cache (never a dependency of the package).
  TS_VERSION=5.9.3
  TS_DIR="${WAAS_TOOL_CACHE:-$HOME/.cache/waas-tools}/typescript-$TS_VERSION"
  [ -x "$TS_DIR/node_modules/.bin/tsc" ] ||
    npm install --prefix "$TS_DIR" "typescript@$TS_VERSION" --no-audit --no-fund --silent
  TSC=("$TS_DIR/node_modules/.bin/tsc" --strict --noEmit --target es2022)
  cp "$NPM_PROJECT/typed.ts" "$NPM_PROJECT/typed.mts"
  (cd "$NPM_PROJECT" &&
    "${TSC[@]}" --module nodenext --moduleResolution nodenext typed.ts &&   # CommonJS: require's types
    "${TSC[@]}" --module nodenext --moduleResolution nodenext typed.mts &&  # ES module: import's types
    "${TSC[@]}" --module esnext --moduleResolution bundler typed.ts)        # a bundler's view
  echo "tsc --strict: typed.ts accepted (CommonJS, ES module, bundler)"
fi

if step dashboard; then
  log "dashboard: examples/dashboard/build.sh --check (dist/, which the host embeds, is what the sources build)"
  examples/dashboard/build.sh --check
  cargo build --locked -q -p waas-host --bin waas --target-dir "${CARGO_TARGET_DIR:-$ROOT/target}"
  export WAAS_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/waas"
  log "dashboard in headless chromium: the tools page, and /dashboard/ against a live host"
  (cd examples/dashboard/e2e && npm ci --no-audit --no-fund --silent && node --test)
  echo "screenshots: target/dashboard/*.png"
fi

log "bindings/test.sh: every step passed"
