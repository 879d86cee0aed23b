// swift-tools-version:5.7
// The Swift package of waas: the uniffi-generated Swift (bindings/generated/swift/Waas.swift, module
// `Waas`) over a binary target `WaasFFI`, an XCFramework holding the static library libwaas_ffi.a for
// each Apple platform with WaasFFI.h and its module map.
//
// NOT COMPILED HERE: the machines that build this repository have no Swift toolchain and no Xcode.
// The Swift sources are checked for freshness instead (`bindings/build.sh --check` fails when
// bindings/generated/swift differs from what uniffi generates). See docs/PACKAGES.md.
//
// On a Mac, make the XCFramework first (it is not committed):
//     bindings/swift/build-xcframework.sh     # -> target/xcframework/WaasFFI.xcframework
//     swift build
// A release replaces the local path with the zipped XCFramework attached to the release:
//     .binaryTarget(name: "WaasFFI", url: "https://.../WaasFFI.xcframework.zip",
//                   checksum: "<swift package compute-checksum WaasFFI.xcframework.zip>")
import PackageDescription

let package = Package(
    name: "Waas",
    platforms: [.iOS(.v13), .macOS(.v10_15)],
    products: [
        .library(name: "Waas", targets: ["Waas"]),
    ],
    targets: [
        .target(
            name: "Waas",
            dependencies: ["WaasFFI"],
            path: "bindings/generated/swift",
            exclude: ["WaasFFI.h", "WaasFFI.modulemap"],
            sources: ["Waas.swift"]
        ),
        .binaryTarget(name: "WaasFFI", path: "target/xcframework/WaasFFI.xcframework"),
    ]
)
