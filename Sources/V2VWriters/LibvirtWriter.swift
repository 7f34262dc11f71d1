import Foundation
import LibXML
import Libvirt
import V2VCore
import V2VModel

/// `-o libvirt [-oc URI] [-os POOL|DIR]`: disks placed in a storage pool's directory (or a directory), and
/// the domain defined through the libvirt API. The default URI is the embedded, daemon-less
/// `qemu:///embed?root=<data dir>/libvirt`, with disks in `<data dir>/images`.
public final class LibvirtWriter: OutputWriter {
  /// The connection URI.
  public let uri: String
  /// `-os`: a storage pool name, or a directory path; nil for the default.
  public let storage: String?
  /// Directory for disks when neither a pool nor a directory is named (the embedded default).
  public let defaultDirectory: String
  private var connection: Connection?
  public var kind: String { "libvirt" }

  /// Creates a writer.
  public init(uri: String, storage: String?, defaultDirectory: String) {
    self.uri = uri
    self.storage = storage
    self.defaultDirectory = defaultDirectory
  }

  func connect() throws -> Connection {
    if let connection { return connection }
    do {
      if let root = LibvirtEmbed.root(of: uri) { try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true) }
      let c = try Connection(uri: uri)
      connection = c
      return c
    } catch let e as LibvirtError {
      throw OutputError.libvirt("cannot connect to \(uri): \(e.message)")
    }
  }

  public func diskDirectory() throws -> String {
    let c = try connect()
    if let storage, storage.hasPrefix("/") {
      try OutputChecks.writableDirectory(storage)
      return storage
    }
    let poolName = storage ?? (LibvirtEmbed.root(of: uri) == nil ? "default" : nil)
    if let poolName {
      do {
        guard let pool = try c.storagePool(named: poolName) else {
          throw OutputError.libvirt("storage pool '\(poolName)' not found on \(uri) (name a pool or a directory with -os)")
        }
        let doc = try XMLDocument(string: try pool.xml())
        guard let path = try doc.xpath("/pool/target/path").first?.text, path.hasPrefix("/") else {
          throw OutputError.libvirt("storage pool '\(poolName)' is not a directory pool")
        }
        try OutputChecks.writableDirectory(path)
        return path
      } catch let e as LibvirtError {
        throw OutputError.libvirt(e.message)
      }
    }
    try FileManager.default.createDirectory(atPath: defaultDirectory, withIntermediateDirectories: true)
    return defaultDirectory
  }

  public func metadataFiles(_ target: TargetVM) -> [String] { [] }

  public func checkConflicts(_ target: TargetVM, overwrite: Bool) throws {
    try OutputChecks.noConflicts(target.disks.map(\.path), overwrite: overwrite)
    let exists: Bool
    do { exists = try connect().domain(named: target.name) != nil } catch let e as LibvirtError {
      throw OutputError.libvirt(e.message)
    }
    if exists && !overwrite { throw OutputError.exists("libvirt domain '\(target.name)' on \(uri)") }
  }

  public func commit(_ target: TargetVM, domainXML: String, overwrite: Bool) throws -> [String] {
    let c = try connect()
    do {
      if overwrite, let old = try c.domain(named: target.name) { try old.undefine() }
      try c.defineDomain(xml: domainXML)
      if let storage, !storage.hasPrefix("/"), let pool = try c.storagePool(named: storage) { try? pool.refresh() }
    } catch let e as LibvirtError {
      throw OutputError.libvirt("defining domain '\(target.name)': \(e.message)")
    }
    return target.disks.map(\.path) + ["libvirt domain '\(target.name)' on \(uri)"]
  }

  /// The domain XML libvirt stored (after defaults were filled in), for checks and reports.
  public func definedXML(name: String) throws -> String? { try connect().domain(named: name)?.xml() }
}
