#!/usr/bin/env bash
# Builds the operator dashboard into examples/dashboard/dist/, the files the host embeds and
# serves at /dashboard/ (committed, so that `cargo build` needs no Node and no wasm toolchain):
#   - src/*.ts compiled by TypeScript (tsc --strict; ES modules, no bundler) to dist/*.js
#   - static/* (the pages, styles and the tools page) copied as they are
#   - the web build of the npm package (target/npm/waas-wasm/web: its glue and .wasm) in dist/wasm/
# The package comes from wasm/build.sh (run when target/npm/waas-wasm is missing, or with
# --wasm). TypeScript comes from the npm registry into the tool cache
# ${WAAS_TOOL_CACHE:-$HOME/.cache/waas-tools}, never into the repository.
#   --check   build into a temporary folder and fail when it differs from dist/ (CI runs this
#             after wasm/build.sh: the committed files are what the sources and the core give)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CHECK=0 WASM=0
for arg in "$@"; do
  case "$arg" in
    --check) CHECK=1 ;;
    --wasm) WASM=1 ;;
    *) echo "usage: $0 [--check] [--wasm]" >&2; exit 2 ;;
  esac
done
PKG="$ROOT/target/npm/waas-wasm"
if ((WASM)) || [ ! -f "$PKG/web/waas_wasm_bg.wasm" ]; then
  "$ROOT/wasm/build.sh"
fi
TS_VERSION=5.9.3
TS_DIR="${WAAS_TOOL_CACHE:-$HOME/.cache/waas-tools}/typescript-$TS_VERSION"
[ -x "$TS_DIR/node_modules/.bin/tsc" ] ||
  npm install --prefix "$TS_DIR" "typescript@$TS_VERSION" --no-audit --no-fund --silent

OUT="$HERE/dist"
if ((CHECK)); then OUT="$(mktemp -d "${TMPDIR:-/tmp}/waas-dashboard.XXXXXX")"; trap 'rm -rf "$OUT"' EXIT; fi
rm -rf "$OUT.new" && mkdir -p "$OUT.new/wasm"
"$TS_DIR/node_modules/.bin/tsc" -p "$HERE/tsconfig.json" --outDir "$OUT.new"
cp "$HERE"/static/* "$OUT.new/"
cp "$PKG/web/index.js" "$PKG/web/waas_wasm.js" "$PKG/web/waas_wasm_bg.wasm" "$OUT.new/wasm/"
rm -rf "$OUT" && mv "$OUT.new" "$OUT"

if ((CHECK)); then
  if ! diff -r "$OUT" "$HERE/dist" >/dev/null; then
    diff -rq "$OUT" "$HERE/dist" >&2 || true
    echo "examples/dashboard/dist is not what the sources build: run examples/dashboard/build.sh and commit dist/" >&2
    exit 1
  fi
  echo "examples/dashboard/dist is up to date"
else
  echo "built $(find "$OUT" -type f | wc -l) files into ${OUT#"$ROOT"/}"
fi
