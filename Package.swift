// swift-tools-version: 6.0
import PackageDescription

/// v2v: moves machines between hardware and hypervisors (P2V, V2V, V2P).
/// Dependency direction: model <- readers <- core <- writers <- CLI. See docs/hacking.md.
let package = Package(
  name: "v2v",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "v2v", targets: ["v2v"]),
    .library(name: "V2VCore", targets: ["V2VCore"]),
    .library(name: "V2VJobs", targets: ["V2VJobs"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.0"),
    .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
  ],
  targets: [
    // Pure value types: the one vocabulary every stage speaks.
    .target(name: "V2VModel"),

    // C libraries, via pkg-config, installed by scripts/setup-host.sh.
    .systemLibrary(
      name: "CGuestfs", path: "Sources/CGuestfs", pkgConfig: "libguestfs",
      providers: [.apt(["libguestfs-dev"])]),
    .systemLibrary(
      name: "CLibvirt", path: "Sources/CLibvirt", pkgConfig: "libvirt",
      providers: [.apt(["libvirt-dev"])]),
    .systemLibrary(
      name: "CLibXML2", path: "Sources/CLibXML2", pkgConfig: "libxml-2.0",
      providers: [.apt(["libxml2-dev"])]),
    .systemLibrary(
      name: "CHivex", path: "Sources/CHivex", pkgConfig: "hivex",
      providers: [.apt(["libhivex-dev"])]),
    .systemLibrary(
      name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto",
      providers: [.apt(["libssl-dev"])]),

    // Thin safe wrappers: one module per C library, only what v2v uses.
    .target(name: "Guestfs", dependencies: ["CGuestfs"]),
    .target(name: "Libvirt", dependencies: ["CLibvirt"]),
    .target(name: "LibXML", dependencies: ["CLibXML2"]),
    .target(name: "Hivex", dependencies: ["CHivex"]),

    // The one way v2v starts host programs (swift-subprocess, bridged to synchronous calls).
    .target(name: "V2VProcess", dependencies: [.product(name: "Subprocess", package: "swift-subprocess")]),

    // Source formats -> SourceVM.
    .target(
      name: "V2VReaders",
      dependencies: [
        "V2VModel", "LibXML", "V2VProcess", .product(name: "Logging", package: "swift-log"),
        .product(name: "ZIPFoundation", package: "ZIPFoundation"),
      ]),

    // Pipeline, planning, domain XML, boot verification. No C imports.
    .target(
      name: "V2VCore",
      dependencies: ["V2VModel", "V2VProcess", .product(name: "Logging", package: "swift-log")]),

    // Driver catalogs: which drivers each guest needs and where they come from.
    .target(name: "V2VDrivers", dependencies: ["V2VModel"], path: "Drivers"),

    // Guest-OS converters (Linux families, Windows).
    .target(
      name: "V2VConverters", dependencies: ["V2VCore", "V2VModel", "V2VDrivers", "Hivex", "V2VProcess", .product(name: "Yams", package: "Yams")],
      path: "Converters"),

    // Where our types meet libguestfs.
    .target(name: "V2VGuestfs", dependencies: ["V2VCore", "Guestfs"]),

    // Outputs: libvirt, local, qemu, physical media.
    .target(name: "V2VWriters", dependencies: ["V2VCore", "V2VModel", "Libvirt", "LibXML", "CCrypto"]),

    // One conversion as one library call (reader → pipeline → writer → result); `convert` and `batch` use it.
    .target(
      name: "V2VJobs",
      dependencies: ["V2VModel", "V2VReaders", "V2VCore", "V2VGuestfs", "V2VWriters", "V2VConverters"]),

    // Fleets: `v2v batch` plans, scheduler (one `v2v convert --json` child per machine), state, reports.
    .target(
      name: "V2VBatch",
      dependencies: [
        "V2VModel", "V2VProcess", .product(name: "Yams", package: "Yams"), .product(name: "GRDB", package: "GRDB.swift"),
      ]),

    .executableTarget(
      name: "v2v",
      dependencies: [
        "V2VModel", "V2VReaders", "V2VCore", "V2VGuestfs", "V2VWriters", "V2VJobs", "V2VProcess", "V2VBatch",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ]),

    // Fakes and fixture lookup for tests.
    .target(name: "V2VTestSupport", dependencies: ["V2VCore", "V2VModel", "V2VProcess"]),

    // Fast tier: pure code, no appliance, no qemu (seconds).
    .testTarget(
      name: "UnitTests",
      dependencies: [
        "V2VModel", "V2VReaders", "V2VCore", "V2VConverters", "V2VDrivers", "V2VTestSupport", "V2VWriters", "V2VJobs",
        "V2VProcess", "Hivex", "V2VBatch",
      ]),
    // Against the real C libraries (libguestfs appliance, libvirt embed, libxml2).
    .testTarget(
      name: "LibraryTests",
      dependencies: ["Guestfs", "Libvirt", "LibXML", "Hivex", "V2VGuestfs", "V2VWriters", "V2VTestSupport", "V2VProcess"]),
    // Real guests: fixtures built by Fixtures/, converted by the real binary, booted under qemu.
    .testTarget(
      name: "RealGuestTests",
      dependencies: ["V2VCore", "V2VModel", "V2VTestSupport", "Libvirt", "V2VProcess", "Guestfs", "V2VGuestfs", "Hivex"]),
  ]
)
