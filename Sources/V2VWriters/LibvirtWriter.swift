import Foundation
import LibXML
import Libvirt
import V2VCore
import V2VModel

/// `-o libvirt [-oc URI] [-os POOL|DIR]`: disks placed in a storage pool's directory (or a directory), and
/// the domain defined through the libvirt API. The default URI is the embedded, daemon-less
/// `qemu:///embed?root=<data dir>/libvirt`, with disks in `<data dir>/images`.
///
/// The embedded driver can be opened with only one root per process: a process running several jobs must
/// give them all the same `-oc` (or talk to other roots through `virsh`).
public final class LibvirtWriter: OutputWriter {
  /// The connection URI.
  public let uri: String
  /// `-os`: a storage pool name, or a directory path; nil for the default.
  public let storage: String?
  /// Directory for disks when neither a pool nor a directory is named (the embedded default).
  public let defaultDirectory: String
  private var connection: Connection?
  private let staging = FileStaging()
  private var defined: String?
  private var replaced: String?
  public var kind: OutputKind { .libvirt }

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

  /// The directory disks go to: `-os DIR`, the target path of pool `-os POOL` (or `default` on a
  /// non-embedded URI), or the embedded default.
  func diskDirectory() throws -> String {
    let c = try connect()
    if let storage, storage.hasPrefix("/") { return storage }
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
        return path
      } catch let e as LibvirtError {
        throw OutputError.libvirt(e.message)
      }
    }
    try FileManager.default.createDirectory(atPath: defaultDirectory, withIntermediateDirectories: true)
    return defaultDirectory
  }

  public func plan(_ target: TargetVM, request: OutputRequest) throws -> OutputPlan {
    let plan = try staging.plan(target, in: try diskDirectory(), metadata: [], request: request)
    let exists: Bool
    do { exists = try connect().domain(named: target.name) != nil } catch let e as LibvirtError {
      throw OutputError.libvirt(e.message)
    }
    if exists && !request.overwrite { throw OutputError.exists("libvirt domain '\(target.name)' on \(uri)") }
    return plan
  }

  public func open(_ plan: OutputPlan) throws -> [DiskDestination] { staging.open(plan) }

  public func finalize(_ target: TargetVM, domainXML: String) throws -> [String] {
    try staging.commitDisks()
    let c = try connect()
    do {
      if let old = try c.domain(named: target.name) {
        replaced = try old.xml()
        try old.undefine()
      }
      _ = try c.defineDomain(xml: domainXML)
      defined = target.name
      if let storage, !storage.hasPrefix("/"), let pool = try c.storagePool(named: storage) { try? pool.refresh() }
    } catch let e as LibvirtError {
      throw OutputError.libvirt("defining domain '\(target.name)': \(e.message)")
    }
    staging.done()
    defined = nil
    replaced = nil
    return target.disks.map(\.path) + ["libvirt domain '\(target.name)' on \(uri)"]
  }

  public func rollback() {
    staging.rollback()
    guard let c = connection else { return }
    if let name = defined, let d = try? c.domain(named: name) { try? d.undefine() }
    if let old = replaced { _ = try? c.defineDomain(xml: old) }
    defined = nil
    replaced = nil
  }
}
