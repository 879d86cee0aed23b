#!/usr/bin/env bash
# The npm package against ethers 6, @scure/bip32 (+ @noble/hashes keccak_256, EIP-55) and
# standardwebhooks, in one Node process (wasm/bench-peers.mjs). Needs wasm/build.sh to have run.
# The peers, at the versions of wasm/bench-peers/package-lock.json, are installed with `npm ci` into
# target/bench-peers (outside the package); the package's tarball into a temporary project.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PEERS="$ROOT/target/bench-peers"
mkdir -p "$PEERS"
if ! cmp -s wasm/bench-peers/package-lock.json "$PEERS/package-lock.json" || [ ! -d "$PEERS/node_modules" ]; then
  cp wasm/bench-peers/package.json wasm/bench-peers/package-lock.json "$PEERS/"
  (cd "$PEERS" && npm ci --no-audit --no-fund --silent)
fi
WAAS_BENCH_PEERS="$PEERS" node wasm/bench-peers.mjs
