#!/usr/bin/env bash
# Builds target/xcframework/WaasFFI.xcframework, the binary target of the root Package.swift:
# libwaas_ffi.a (release) for iOS devices, the iOS simulator (arm64 + x86_64) and macOS (arm64 +
# x86_64), each with WaasFFI.h and the module map (as module.modulemap, the name Xcode looks for).
#
# NOT RUN HERE: it needs macOS with Xcode (xcodebuild, lipo) and the Rust targets below
# (rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin
# x86_64-apple-darwin). The Linux machines of this repository have neither; it is a recipe, kept
# next to the package it feeds, and untested.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
[ "$(uname -s)" = Darwin ] || { echo "build-xcframework.sh needs macOS with Xcode" >&2; exit 1; }
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TARGETS=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
for t in "${TARGETS[@]}"; do
  cargo build --release --locked -p waas-ffi --target "$t" --target-dir "$TARGET_DIR"
done
WORK="$TARGET_DIR/xcframework-build"
rm -rf "$WORK" && mkdir -p "$WORK/headers" "$WORK/ios-sim" "$WORK/macos"
cp bindings/generated/swift/WaasFFI.h "$WORK/headers/"
cp bindings/generated/swift/WaasFFI.modulemap "$WORK/headers/module.modulemap"
lipo -create "$TARGET_DIR"/{aarch64-apple-ios-sim,x86_64-apple-ios}/release/libwaas_ffi.a \
  -output "$WORK/ios-sim/libwaas_ffi.a"
lipo -create "$TARGET_DIR"/{aarch64-apple-darwin,x86_64-apple-darwin}/release/libwaas_ffi.a \
  -output "$WORK/macos/libwaas_ffi.a"
OUT="$ROOT/target/xcframework/WaasFFI.xcframework"
rm -rf "$OUT" && mkdir -p "$(dirname "$OUT")"
xcodebuild -create-xcframework \
  -library "$TARGET_DIR/aarch64-apple-ios/release/libwaas_ffi.a" -headers "$WORK/headers" \
  -library "$WORK/ios-sim/libwaas_ffi.a" -headers "$WORK/headers" \
  -library "$WORK/macos/libwaas_ffi.a" -headers "$WORK/headers" \
  -output "$OUT"
echo "$OUT (zip it and run \`swift package compute-checksum\` for a release's binaryTarget(url:checksum:))"
