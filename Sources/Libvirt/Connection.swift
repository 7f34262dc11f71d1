import CLibvirt
import Foundation

/// A connection to a libvirt hypervisor driver (`virConnectPtr`).
///
/// `qemu:///embed?root=DIR` runs the real QEMU driver in-process with no daemon; `qemu:///system` or a remote
/// URI talks to a libvirtd. Closed in `deinit` (`virConnectClose`).
public final class Connection {
  let ptr: virConnectPtr

  /// Opens `uri` (`virConnectOpen`).
  public init(uri: String) throws {
    _ = eventLoopRunning
    v2v_virt_silence_errors()
    virResetLastError()
    guard let c = virConnectOpen(uri) else { throw LibvirtError.last("virConnectOpen(\(uri))") }
    ptr = c
  }

  deinit { virConnectClose(ptr) }

  /// The libvirt library version as `major.minor.micro` (`virConnectGetLibVersion`).
  public func libVersion() throws -> String {
    var v: UInt = 0
    guard virConnectGetLibVersion(ptr, &v) == 0 else { throw LibvirtError.last("virConnectGetLibVersion") }
    return "\(v / 1_000_000).\(v / 1000 % 1000).\(v % 1000)"
  }

  /// Defines (persists, does not start) a domain from XML (`virDomainDefineXML`).
  @discardableResult
  public func defineDomain(xml: String) throws -> Domain {
    guard let d = virDomainDefineXML(ptr, xml) else { throw LibvirtError.last("virDomainDefineXML") }
    return Domain(d)
  }

  /// Looks a domain up by name (`virDomainLookupByName`); nil when there is none.
  public func domain(named name: String) throws -> Domain? {
    if let d = virDomainLookupByName(ptr, name) { return Domain(d) }
    let e = LibvirtError.last("virDomainLookupByName(\(name))")
    if e.isNoDomain { return nil }
    throw e
  }

  /// Looks a storage pool up by name (`virStoragePoolLookupByName`); nil when there is none.
  public func storagePool(named name: String) throws -> StoragePool? {
    if let p = virStoragePoolLookupByName(ptr, name) { return StoragePool(p) }
    let e = LibvirtError.last("virStoragePoolLookupByName(\(name))")
    if e.isNoStoragePool { return nil }
    throw e
  }
}

/// A libvirt domain (`virDomainPtr`), freed in `deinit` (`virDomainFree`).
public final class Domain {
  let ptr: virDomainPtr
  init(_ p: virDomainPtr) { ptr = p }
  deinit { virDomainFree(ptr) }

  /// The domain's name (`virDomainGetName`).
  public var name: String { virDomainGetName(ptr).map { String(cString: $0) } ?? "" }

  /// The domain's XML (`virDomainGetXMLDesc`).
  public func xml() throws -> String {
    guard let s = virDomainGetXMLDesc(ptr, 0) else { throw LibvirtError.last("virDomainGetXMLDesc") }
    defer { free(s) }
    return String(cString: s)
  }

  /// Undefines the domain, its NVRAM file included (`virDomainUndefineFlags` with
  /// `VIR_DOMAIN_UNDEFINE_NVRAM`).
  public func undefine() throws {
    let flags = UInt32(VIR_DOMAIN_UNDEFINE_NVRAM.rawValue)
    guard virDomainUndefineFlags(ptr, flags) == 0 else { throw LibvirtError.last("virDomainUndefineFlags") }
  }
}

/// A libvirt storage pool (`virStoragePoolPtr`), freed in `deinit` (`virStoragePoolFree`).
public final class StoragePool {
  let ptr: virStoragePoolPtr
  init(_ p: virStoragePoolPtr) { ptr = p }
  deinit { virStoragePoolFree(ptr) }

  /// The pool's XML (`virStoragePoolGetXMLDesc`); its `<target><path>` is where volumes live.
  public func xml() throws -> String {
    guard let s = virStoragePoolGetXMLDesc(ptr, 0) else { throw LibvirtError.last("virStoragePoolGetXMLDesc") }
    defer { free(s) }
    return String(cString: s)
  }

  /// Rescans the pool so new files appear as volumes (`virStoragePoolRefresh`).
  public func refresh() throws {
    guard virStoragePoolRefresh(ptr, 0) == 0 else { throw LibvirtError.last("virStoragePoolRefresh") }
  }
}

/// libvirt's default event loop (`virEventRegisterDefaultImpl`), run forever on a background thread.
/// The embedded QEMU driver needs one to monitor its qemu processes; it is started once, on first use.
private let eventLoopRunning: Bool = {
  guard virEventRegisterDefaultImpl() == 0 else { return false }
  let t = Thread {
    while true { _ = virEventRunDefaultImpl() }
  }
  t.name = "libvirt-event-loop"
  t.start()
  return true
}()
