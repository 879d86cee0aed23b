#!/usr/bin/env bash
# Runs every test of waas: format, lints, and all test suites of the workspace.
set -euo pipefail
cd "$(dirname "$0")"
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== function lengths (at most 70 lines, or a written reason)"
python3 tests/tools/function_lengths.py .
echo "== cargo test"
cargo test --workspace --locked
echo "== API contract: Schemathesis on the served OpenAPI document, generated TypeScript and Python clients"
examples/reference-host/api-contract.sh
echo "== bindings: wasm (Node, headless Chromium) and uniffi (Python)"
bindings/test.sh
