#!/usr/bin/env bash
# Installs the local EVM node for tests/evm.rs: ganache 7.9.2 and solc (solcjs) 0.8.28 from npm,
# into ${WAAS_TOOL_CACHE:-$HOME/.cache/waas-tools}/evm. Idempotent: does nothing when both are there.
# Prints the folder on success. Needs node >= 16 and npm (and the npm registry, first time only).
set -euo pipefail
dir="${WAAS_TOOL_CACHE:-$HOME/.cache/waas-tools}/evm"
if [ -x "$dir/node_modules/.bin/ganache" ] && [ -x "$dir/node_modules/.bin/solcjs" ]; then
  echo "$dir"
  exit 0
fi
command -v node >/dev/null || { echo "setup.sh: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "setup.sh: npm is not installed" >&2; exit 1; }
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || echo '{"name":"waas-evm-tools","private":true}' > package.json
npm install --no-audit --no-fund --loglevel=error ganache@7.9.2 solc@0.8.28 >&2
echo "$dir"
