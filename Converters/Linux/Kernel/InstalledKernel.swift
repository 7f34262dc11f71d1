import V2VDrivers
import V2VModel

/// A kernel installed in the guest: a `/lib/modules/VER` tree with its `/boot/vmlinuz-VER` image.
public struct InstalledKernel: Sendable, Equatable {
  /// The version string (`6.1.0-26-amd64`, `5.14.0-362.8.1.el9_3.x86_64`).
  public var version: String
  /// Loadable module names (`virtio_blk`; `-` normalised to `_`).
  public var modules: Set<String>
  /// Module names built into the image (from `modules.builtin`).
  public var builtin: Set<String>

  /// Creates a kernel description.
  public init(version: String, modules: Set<String>, builtin: Set<String>) {
    self.version = version
    self.modules = modules
    self.builtin = builtin
  }

  /// Whether the kernel has `module`, loadable or built in.
  public func provides(_ module: String) -> Bool { modules.contains(module) || builtin.contains(module) }

  /// Whether it can find its root disk on `bus` (``DriverCatalog/linuxBootModules(for:)``).
  public func canBoot(on bus: KVMDiskBus) -> Bool { DriverCatalog.linuxBootModules(for: bus).allSatisfy(provides) }

  /// Whether it can drive NICs of `model`.
  public func canDrive(_ model: NICModel) -> Bool { DriverCatalog.linuxNetworkModules(for: model).allSatisfy(provides) }

  /// The KVM disk buses it can boot from, `preferred` first when it can.
  public func bootBuses(preferring preferred: KVMDiskBus) -> [KVMDiskBus] {
    ([preferred] + KVMDiskBus.allCases.filter { $0 != preferred }).filter(canBoot(on:))
  }

  /// The module name of a path in modules.dep / modules.builtin (`kernel/drivers/block/virtio_blk.ko.xz:`
  /// → `virtio_blk`), nil when it does not name a module.
  static func moduleName(ofPath path: Substring) -> String? {
    var p = path
    if p.hasSuffix(":") { p = p.dropLast() }
    let file = p.split(separator: "/").last.map(String.init) ?? ""
    guard let r = file.range(of: ".ko") else { return nil }
    let suffix = file[r.upperBound...]
    guard ["", ".xz", ".zst", ".gz"].contains(String(suffix)) else { return nil }
    return file[..<r.lowerBound].replacingOccurrences(of: "-", with: "_")
  }
}

/// Orders kernel versions the way people read them: runs of digits compare as numbers
/// (`5.14.0-362.el9` is newer than `5.14.0-70.el9`, `6.1.0-10` newer than `6.1.0-9`).
public enum KernelVersionOrder {
  /// Whether `a` is older than `b`.
  public static func older(_ a: String, _ b: String) -> Bool {
    let x = parts(a)
    let y = parts(b)
    for (p, q) in zip(x, y) where p != q {
      switch (p, q) {
      case (.number(let m), .number(let n)): return m < n
      case (.text(let s), .text(let t)): return s < t
      case (.number, .text): return false
      case (.text, .number): return true
      }
    }
    return x.count < y.count
  }

  private enum Part: Equatable {
    case number(Int)
    case text(String)
  }

  private static func parts(_ v: String) -> [Part] {
    var out: [Part] = []
    var current = ""
    var digits = false
    func flush() {
      guard !current.isEmpty else { return }
      out.append(digits ? .number(Int(current) ?? Int.max) : .text(current))
      current = ""
    }
    for c in v {
      if c == "." || c == "-" || c == "_" || c == "+" {
        flush()
        continue
      }
      let isDigit = c.isASCII && c.isNumber
      if !current.isEmpty && isDigit != digits { flush() }
      digits = isDigit
      current.append(c)
    }
    flush()
    return out
  }
}
