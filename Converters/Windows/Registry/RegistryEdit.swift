import Foundation
import Hivex
import V2VCore

/// One change to a registry hive: a value set (its key created when missing) or a key deleted.
public enum RegistryChange: Sendable, Equatable, CustomStringConvertible {
  /// Sets `name` (`""`: the key's default value) under the key at `key` (names below the hive root),
  /// creating the key and its parents when missing.
  case set(key: [String], name: String, value: RegistryValue)
  /// Creates the key (and parents) with no values.
  case createKey([String])
  /// Deletes the key and everything below it (nothing when absent).
  case deleteKey([String])

  /// The key concerned.
  public var key: [String] {
    switch self {
    case .set(let k, _, _), .createKey(let k), .deleteKey(let k): return k
    }
  }

  /// `ControlSet002\Services\viostor: Start = dword:00000000`.
  public var description: String {
    switch self {
    case .set(let k, let n, let v): return "\(k.joined(separator: "\\")): \(n.isEmpty ? "(default)" : n) = \(v)"
    case .createKey(let k): return "\(k.joined(separator: "\\")): key created"
    case .deleteKey(let k): return "\(k.joined(separator: "\\")): key deleted"
    }
  }
}

/// Every change to one hive, applied and committed in ONE hivex session: the hive file is downloaded from
/// the guest into a host scratch directory, opened for writing, changed, committed once and uploaded back.
/// A failure before the upload leaves the guest's hive as it was.
public struct HiveEditOperation: GuestOperation {
  /// The hive's name for reports (`SYSTEM`, `SOFTWARE`).
  public var hive: String
  /// The hive file's guest path, in its real case (`/Windows/System32/config/SYSTEM`).
  public var guestPath: String
  /// The changes, in order.
  public var changes: [RegistryChange]
  /// Host directory for the downloaded copy (the conversion's work directory).
  public var scratch: String

  /// Creates the operation.
  public init(hive: String, guestPath: String, changes: [RegistryChange], scratch: String) {
    self.hive = hive
    self.guestPath = guestPath
    self.changes = changes
    self.scratch = scratch
  }

  public var kind: String { "registry" }

  /// One line per change, `HKLM\SYSTEM\ControlSet002\Services\viostor: Start = dword:00000000`.
  public var detail: String {
    changes.map { "HKLM\\\(hive)\\\($0)" }.joined(separator: "\n")
  }

  public func apply(to session: GuestSession) throws {
    let local = URL(fileURLWithPath: scratch).appendingPathComponent("hive-\(hive)-\(UUID().uuidString.prefix(8))").path
    try session.download(guestPath, toHostPath: local)
    defer { try? FileManager.default.removeItem(atPath: local) }
    let h = try Hive(path: local, writable: true)
    try Self.apply(changes, to: h)
    try h.commit()
    try session.upload(hostPath: local, to: guestPath)
  }

  /// Applies `changes` to an open hive (no commit).
  public static func apply(_ changes: [RegistryChange], to h: Hive) throws {
    for c in changes {
      switch c {
      case .set(let key, let name, let value): try h.setValue(try h.createKey(key), name, value)
      case .createKey(let key): try h.createKey(key)
      case .deleteKey(let key): try h.deleteKey(key)
      }
    }
  }
}

/// A read-only copy of a guest hive, for planning: downloaded once into the scratch directory and opened
/// with hivex. Missing keys and values read as nil.
public final class RegistrySnapshot {
  let hive: Hive
  let localPath: String

  /// Downloads `guestPath` from `session` into `scratch` and opens it.
  public init(session: GuestSession, guestPath: String, scratch: String, name: String) throws {
    localPath = URL(fileURLWithPath: scratch).appendingPathComponent("read-\(name)-\(UUID().uuidString.prefix(8))").path
    try session.download(guestPath, toHostPath: localPath)
    do {
      hive = try Hive(path: localPath)
    } catch {
      try? FileManager.default.removeItem(atPath: localPath)
      throw error
    }
  }

  deinit { try? FileManager.default.removeItem(atPath: localPath) }

  /// A value, nil when the key or value is missing.
  public func value(_ key: [String], _ name: String) -> RegistryValue? { (try? hive.value(at: key, name)) ?? nil }

  /// A string value (REG_SZ or REG_EXPAND_SZ).
  public func string(_ key: [String], _ name: String) -> String? { value(key, name)?.text }

  /// A DWORD or QWORD value.
  public func number(_ key: [String], _ name: String) -> UInt64? { value(key, name)?.number }

  /// Subkey names (empty when the key is missing).
  public func subkeys(_ key: [String]) -> [String] {
    guard let n = (try? hive.node(key)) ?? nil else { return [] }
    return (try? hive.children(n)) ?? []
  }

  /// Whether the key exists.
  public func exists(_ key: [String]) -> Bool { ((try? hive.node(key)) ?? nil) != nil }

  /// Every value of a key, by name (empty when missing).
  public func values(_ key: [String]) -> [(name: String, value: RegistryValue)] {
    guard let n = (try? hive.node(key)) ?? nil else { return [] }
    return (try? hive.values(n)) ?? []
  }
}
