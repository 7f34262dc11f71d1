import CHivex
import Foundation
import Glibc

/// A hivex call failed.
public struct HivexError: Error, Sendable, CustomStringConvertible {
  /// The hivex function that failed (`hivex_open`, …).
  public var function: String
  /// What failed, with the hive file and the key when known.
  public var message: String
  /// errno as hivex left it.
  public var errno: Int32

  /// Creates an error.
  public init(function: String, message: String, errno: Int32 = 0) {
    self.function = function
    self.message = message
    self.errno = errno
  }

  /// `function: message`.
  public var description: String { "\(function): \(message)" }
}

/// A registry value's type and data, as hivex stores it (strings are UTF-16LE in the hive).
public enum RegistryValue: Sendable, Equatable, CustomStringConvertible {
  /// REG_SZ.
  case string(String)
  /// REG_EXPAND_SZ (`%SystemRoot%\inf`).
  case expandString(String)
  /// REG_MULTI_SZ.
  case multiString([String])
  /// REG_DWORD (little-endian).
  case dword(UInt32)
  /// REG_QWORD (little-endian).
  case qword(UInt64)
  /// REG_BINARY.
  case binary([UInt8])
  /// Any other type, raw (`type` is the REG_* number).
  case other(type: UInt32, bytes: [UInt8])

  /// The REG_* type number.
  public var typeNumber: UInt32 {
    switch self {
    case .string: return 1
    case .expandString: return 2
    case .binary: return 3
    case .dword: return 4
    case .multiString: return 7
    case .qword: return 11
    case .other(let t, _): return t
    }
  }

  /// The bytes hivex stores: UTF-16LE with a terminating NUL for strings, NUL-separated and double-NUL
  /// terminated for multi-strings, little-endian integers.
  public var bytes: [UInt8] {
    func utf16(_ s: String) -> [UInt8] { s.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] } }
    switch self {
    case .string(let s), .expandString(let s): return utf16(s) + [0, 0]
    case .multiString(let list): return list.flatMap { utf16($0) + [0, 0] } + [0, 0]
    case .dword(let v): return (0..<4).map { UInt8((v >> (8 * $0)) & 0xff) }
    case .qword(let v): return (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xff) }
    case .binary(let b), .other(_, let b): return b
    }
  }

  /// Decodes hivex's type number and bytes.
  public init(type: UInt32, bytes: [UInt8]) {
    func utf16(_ b: ArraySlice<UInt8>) -> String {
      var units: [UInt16] = []
      var i = b.startIndex
      while i + 1 < b.endIndex {
        let u = UInt16(b[i]) | UInt16(b[i + 1]) << 8
        if u == 0 { break }
        units.append(u)
        i += 2
      }
      return String(decoding: units, as: UTF16.self)
    }
    switch type {
    case 1: self = .string(utf16(bytes[...]))
    case 2: self = .expandString(utf16(bytes[...]))
    case 3: self = .binary(bytes)
    case 4 where bytes.count >= 4:
      self = .dword((0..<4).reduce(0) { $0 | UInt32(bytes[$1]) << (8 * UInt32($1)) })
    case 11 where bytes.count >= 8:
      self = .qword((0..<8).reduce(0) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) })
    case 7:
      var list: [String] = []
      var units: [UInt16] = []
      var i = 0
      while i + 1 < bytes.count {
        let u = UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8
        i += 2
        if u == 0 {
          if units.isEmpty { break }
          list.append(String(decoding: units, as: UTF16.self))
          units = []
        } else {
          units.append(u)
        }
      }
      if !units.isEmpty { list.append(String(decoding: units, as: UTF16.self)) }
      self = .multiString(list)
    default: self = .other(type: type, bytes: bytes)
    }
  }

  /// The value as text, for strings; nil otherwise.
  public var text: String? {
    switch self {
    case .string(let s), .expandString(let s): return s
    default: return nil
    }
  }

  /// The value as a number, for DWORD and QWORD; nil otherwise.
  public var number: UInt64? {
    switch self {
    case .dword(let v): return UInt64(v)
    case .qword(let v): return v
    default: return nil
    }
  }

  /// Regedit-like rendering: `"text"`, `dword:00000001`, `hex:01,ff`.
  public var description: String {
    switch self {
    case .string(let s): return "\"\(s)\""
    case .expandString(let s): return "expand:\"\(s)\""
    case .multiString(let l): return "multi:" + l.map { "\"\($0)\"" }.joined(separator: ",")
    case .dword(let v): return "dword:" + String(format: "%08x", v)
    case .qword(let v): return "qword:" + String(format: "%016llx", v)
    case .binary(let b): return "hex:" + b.map { String(format: "%02x", $0) }.joined(separator: ",")
    case .other(let t, let b): return "hex(\(t)):" + b.map { String(format: "%02x", $0) }.joined(separator: ",")
    }
  }
}

/// One registry hive file opened with hivex (`hive_h`).
///
/// Owns its handle and closes it in `deinit` (`hivex_close`); changes reach the file only through
/// ``commit()``. Keys are addressed by paths of names below the hive's root (`["ControlSet001",
/// "Services"]`), matched case-insensitively as Windows does. Not `Sendable`: one user at a time.
public final class Hive {
  let handle: OpaquePointer
  /// The hive file.
  public let path: String
  /// Whether it was opened for writing.
  public let writable: Bool

  /// Opens a hive file (`hivex_open`), for writing when `writable`.
  public init(path: String, writable: Bool = false) throws {
    errno = 0
    guard let h = hivex_open(path, writable ? HIVEX_OPEN_WRITE : 0) else {
      let e = errno
      throw HivexError(function: "hivex_open", message: "\(path): \(String(cString: strerror(e)))", errno: e)
    }
    handle = h
    self.path = path
    self.writable = writable
  }

  deinit { hivex_close(handle) }

  func fail(_ function: String, _ what: String) -> HivexError {
    let e = errno
    return HivexError(function: function, message: "\(path): \(what): \(String(cString: strerror(e)))", errno: e)
  }

  /// A key handle; 0 is never a valid one.
  public typealias Node = Int

  /// The root key.
  public var root: Node { Node(hivex_root(handle)) }

  /// The key at `path` below the root, nil when some part is missing.
  public func node(_ path: [String]) throws -> Node? {
    var n = root
    for name in path {
      errno = 0
      let c = hivex_node_get_child(handle, hive_node_h(n), name)
      if c == 0 {
        if errno != 0 { throw fail("hivex_node_get_child", "\(path.joined(separator: "\\"))") }
        return nil
      }
      n = Node(c)
    }
    return n
  }

  /// The key's own name.
  public func name(_ node: Node) throws -> String {
    guard let p = hivex_node_name(handle, hive_node_h(node)) else { throw fail("hivex_node_name", "key \(node)") }
    defer { free(p) }
    return String(cString: p)
  }

  /// Names of the key's subkeys.
  public func children(_ node: Node) throws -> [String] {
    guard let list = hivex_node_children(handle, hive_node_h(node)) else { throw fail("hivex_node_children", "key \(node)") }
    defer { free(list) }
    var out: [String] = []
    var i = 0
    while list[i] != 0 {
      out.append(try name(Node(list[i])))
      i += 1
    }
    return out
  }

  /// The key's values, by name (the default value is named ""), in hive order.
  public func values(_ node: Node) throws -> [(name: String, value: RegistryValue)] {
    guard let list = hivex_node_values(handle, hive_node_h(node)) else { throw fail("hivex_node_values", "key \(node)") }
    defer { free(list) }
    var out: [(String, RegistryValue)] = []
    var i = 0
    while list[i] != 0 {
      let v = list[i]
      guard let k = hivex_value_key(handle, v) else { throw fail("hivex_value_key", "key \(node)") }
      let name = String(cString: k)
      free(k)
      out.append((name, try value(handle: v)))
      i += 1
    }
    return out
  }

  func value(handle v: hive_value_h) throws -> RegistryValue {
    var type = hive_type(rawValue: 0)
    var len = 0
    guard let data = hivex_value_value(handle, v, &type, &len) else { throw fail("hivex_value_value", "value") }
    defer { free(data) }
    let bytes = [UInt8](UnsafeRawBufferPointer(start: data, count: len))
    return RegistryValue(type: type.rawValue, bytes: bytes)
  }

  /// One value of a key (case-insensitive name; "" for the default value), nil when absent.
  public func value(_ node: Node, _ name: String) throws -> RegistryValue? {
    errno = 0
    let v = hivex_node_get_value(handle, hive_node_h(node), name)
    if v == 0 {
      if errno != 0 { throw fail("hivex_node_get_value", name) }
      return nil
    }
    return try value(handle: v)
  }

  /// The value `name` of the key at `path`, nil when the key or the value is absent.
  public func value(at path: [String], _ name: String) throws -> RegistryValue? {
    guard let n = try node(path) else { return nil }
    return try value(n, name)
  }

  /// The key at `path`, created with its missing parents (`hivex_node_add_child`).
  @discardableResult
  public func createKey(_ path: [String]) throws -> Node {
    var n = root
    for name in path {
      let c = hivex_node_get_child(handle, hive_node_h(n), name)
      if c != 0 {
        n = Node(c)
        continue
      }
      let added = hivex_node_add_child(handle, hive_node_h(n), name)
      if added == 0 { throw fail("hivex_node_add_child", path.joined(separator: "\\")) }
      n = Node(added)
    }
    return n
  }

  /// Sets (adds or replaces) one value of a key (`hivex_node_set_value`); other values are kept.
  public func setValue(_ node: Node, _ name: String, _ value: RegistryValue) throws {
    let bytes = value.bytes
    let rc: Int32 = name.withCString { key in
      bytes.withUnsafeBufferPointer { buf in
        let data = UnsafeMutablePointer<CChar>.allocate(capacity: max(buf.count, 1))
        defer { data.deallocate() }
        if let base = buf.baseAddress { UnsafeMutableRawPointer(data).copyMemory(from: base, byteCount: buf.count) }
        var v = hive_set_value(
          key: UnsafeMutablePointer(mutating: key), t: hive_type(rawValue: value.typeNumber), len: buf.count, value: data)
        return hivex_node_set_value(handle, hive_node_h(node), &v, 0)
      }
    }
    if rc == -1 { throw fail("hivex_node_set_value", name.isEmpty ? "(default)" : name) }
  }

  /// Deletes a key and everything below it (`hivex_node_delete_child`); nothing when it is absent.
  public func deleteKey(_ path: [String]) throws {
    guard !path.isEmpty, let n = try node(path) else { return }
    if hivex_node_delete_child(handle, hive_node_h(n)) == -1 { throw fail("hivex_node_delete_child", path.joined(separator: "\\")) }
  }

  /// Writes the changes to the hive file (`hivex_commit`), or to `otherPath`.
  public func commit(to otherPath: String? = nil) throws {
    if hivex_commit(handle, otherPath, 0) == -1 { throw fail("hivex_commit", otherPath ?? path) }
  }
}
