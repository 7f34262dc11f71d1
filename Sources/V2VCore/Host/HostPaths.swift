import V2VModel
import Foundation

/// Where v2v keeps its state on this host.
public struct HostPaths: Sendable {
  /// Persistent data: the embedded libvirt root, converted guests of `-o libvirt` by default.
  public var dataDirectory: String
  /// Re-creatable state: the remembered accelerator probe, fixture images.
  public var cacheDirectory: String

  /// Paths from the environment: `V2V_DATA_DIR` / `XDG_DATA_HOME`, `V2V_CACHE_DIR` / `XDG_CACHE_HOME`.
  public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> HostPaths {
    let home = env["HOME"] ?? NSHomeDirectory()
    let data = env["V2V_DATA_DIR"] ?? ((env["XDG_DATA_HOME"] ?? "\(home)/.local/share") + "/v2v")
    let cache = env["V2V_CACHE_DIR"] ?? ((env["XDG_CACHE_HOME"] ?? "\(home)/.cache") + "/v2v")
    return HostPaths(dataDirectory: data, cacheDirectory: cache)
  }

  /// Creates paths.
  public init(dataDirectory: String, cacheDirectory: String) {
    self.dataDirectory = dataDirectory
    self.cacheDirectory = cacheDirectory
  }

  /// The root of the embedded, daemon-less libvirt QEMU driver.
  public var embeddedLibvirtRoot: String { "\(dataDirectory)/libvirt" }

  /// The default libvirt URI: `qemu:///embed?root=<data>/libvirt`.
  public var defaultLibvirtURI: String { "qemu:///embed?root=\(embeddedLibvirtRoot)" }
}
