import Foundation
import V2VModel

/// Why an INF file cannot be used.
public enum InfFileError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file is not a driver INF (no `[Version]` section).
  case notAnINF(file: String, problem: String)
  /// The INF has no models section for the architecture (it is a driver for another one).
  case noModels(file: String, arch: Architecture, decorations: [String])

  /// The file concerned.
  public var file: String {
    switch self {
    case .notAnINF(let file, _), .noModels(let file, _, _): return file
    }
  }

  /// The problem, without the file.
  public var problem: String {
    switch self {
    case .notAnINF(_, let problem): return "not a driver INF: \(problem)"
    case .noModels(_, let arch, let decorations):
      let found = decorations.isEmpty ? "none" : decorations.joined(separator: ", ")
      return "no models for \(arch.rawValue) (model sections for: \(found))"
    }
  }

  /// One line naming the file and the problem.
  public var description: String { "\(file): \(problem)" }
}

/// A Windows driver INF, read for what a converter needs: which devices it drives, which services it
/// installs, its class and version. Not an INF interpreter: it follows `[Manufacturer]` to the models
/// sections for one architecture, and each model's install section to its `.Services` section; nothing
/// else (no `Include=`/`Needs=`, no registry or file sections).
///
/// Syntax handled: UTF-16 (LE or BE, with BOM) and UTF-8 (with or without BOM; other bytes are read as
/// Latin-1, for old ANSI INFs); `;` comments outside quotes; a `\` ending a line continues it; quoted values
/// (`""` is a quote); `%key%` substituted from `[Strings]` (`%%` is `%`); section, key and `%key%` names
/// are case-insensitive; a section given twice is one section.
public struct InfFile: Sendable, Equatable {
  /// One device line of a models section: `%Desc% = install-section, hw-id, compatible-id…`.
  public struct Model: Sendable, Equatable {
    /// The device description, with `%strings%` substituted.
    public var description: String
    /// The install section it names (undecorated, as written).
    public var installSection: String
    /// Its hardware id and compatible ids, in order.
    public var hardwareIDs: [String]

    /// Creates a model.
    public init(description: String, installSection: String, hardwareIDs: [String]) {
      self.description = description
      self.installSection = installSection
      self.hardwareIDs = hardwareIDs
    }
  }

  /// The file name, for messages (`viostor.inf`).
  public var fileName: String
  /// `Provider`, substituted (`Red Hat, Inc.`).
  public var provider: String?
  /// `Class` (`SCSIAdapter`).
  public var className: String?
  /// `ClassGuid` as written (`{4D36E97B-E325-11CE-BFC1-08002BE10318}`).
  public var classGUID: String?
  /// `CatalogFile.NT<arch>` when given, else `CatalogFile.NT`, else `CatalogFile`.
  public var catalogFile: String?
  /// The date of `DriverVer` (`08/11/2023`).
  public var driverDate: String?
  /// The version of `DriverVer` (`100.94.104.24000`).
  public var driverVersion: String?
  /// The models for the architecture asked for, from every models section that applies to it (any OS
  /// version: `NTamd64`, `NTamd64.6.1`, `NTamd64.10.0...22000`, and the undecorated section).
  public var models: [Model]
  /// The `AddService` names of the models' install sections, in order, without repeats.
  public var services: [String]

  /// Parses `bytes` (the contents of `fileName`) for `arch`. Throws ``InfFileError``.
  public init(fileName: String, bytes: [UInt8], arch: Architecture) throws {
    self.fileName = fileName
    let doc = InfDocument(text: InfDocument.decode(bytes))
    guard let version = doc.section("Version") else {
      throw InfFileError.notAnINF(file: fileName, problem: "no [Version] section")
    }
    let archToken = InfDocument.archToken(arch)
    provider = doc.value(of: "Provider", in: version)
    className = doc.value(of: "Class", in: version)
    classGUID = doc.value(of: "ClassGuid", in: version)
    catalogFile =
      archToken.flatMap { doc.value(of: "CatalogFile.NT\($0)", in: version) } ?? doc.value(of: "CatalogFile.NT", in: version)
      ?? doc.value(of: "CatalogFile", in: version)
    if let ver = doc.entries(of: "DriverVer", in: version).first {
      driverDate = ver.count > 0 && !ver[0].isEmpty ? ver[0] : nil
      driverVersion = ver.count > 1 && !ver[1].isEmpty ? ver[1] : nil
    }

    // [Manufacturer]: %Mfg% = Models, NTamd64, NTamd64.10.0...22000 — one models section per decoration.
    var sectionNames: [String] = []
    var allDecorations: [String] = []
    for line in doc.section("Manufacturer")?.lines ?? [] where line.key != nil {
      let fields = doc.fields(line.value)
      guard let base = fields.first, !base.isEmpty else { continue }
      let decorations = fields.dropFirst().filter { !$0.isEmpty }
      allDecorations += decorations
      if decorations.isEmpty {
        sectionNames.append(base)
        continue
      }
      for d in decorations where InfDocument.decoration(d, matches: archToken) { sectionNames.append("\(base).\(d)") }
      // The undecorated section, when the INF also has one, applies to every architecture.
      if doc.section(base) != nil { sectionNames.append(base) }
    }
    var models: [Model] = []
    for name in sectionNames {
      for line in doc.section(name)?.lines ?? [] {
        guard let key = line.key else { continue }
        let fields = doc.fields(line.value)
        guard let install = fields.first, !install.isEmpty else { continue }
        let model = Model(
          description: doc.substitute(key), installSection: install,
          hardwareIDs: fields.dropFirst().filter { !$0.isEmpty })
        if !models.contains(model) { models.append(model) }
      }
    }
    guard !models.isEmpty else {
      throw InfFileError.noModels(file: fileName, arch: arch, decorations: allDecorations)
    }
    self.models = models

    // Windows installs from the most specific install section present: X.NT<arch>, then X.NT, then X;
    // its services are in that name + .Services.
    var services: [String] = []
    for install in models.map(\.installSection) {
      let candidates = (archToken.map { ["\(install).NT\($0)"] } ?? []) + ["\(install).NT", install]
      // (A missing install section with a .Services section still names its services.)
      guard
        let actual = candidates.first(where: { doc.section($0) != nil })
          ?? candidates.first(where: { doc.section("\($0).Services") != nil })
      else { continue }
      for line in doc.section("\(actual).Services")?.lines ?? [] where line.key?.caseInsensitiveCompare("AddService") == .orderedSame {
        guard let name = doc.fields(line.value).first, !name.isEmpty else { continue }
        if !services.contains(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) { services.append(name) }
      }
    }
    self.services = services
  }

  /// Reads `path` and parses it (the file name is its last component).
  public init(path: String, arch: Architecture) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw InfFileError.notAnINF(file: path, problem: "cannot be read")
    }
    try self.init(fileName: (path as NSString).lastPathComponent, bytes: [UInt8](data), arch: arch)
  }

  /// Whether a model of this INF matches the hardware id `id` (case-insensitive, as Windows compares).
  public func matches(hardwareID id: String) -> Bool {
    models.contains { $0.hardwareIDs.contains { $0.caseInsensitiveCompare(id) == .orderedSame } }
  }
}

/// An INF as sections of lines, before any interpretation.
struct InfDocument {
  /// One line: `key = value`, or a bare value.
  struct Line {
    var key: String?
    var value: String
  }

  /// A section's lines (every occurrence of the section, in order).
  struct Section {
    var lines: [Line] = []
  }

  /// Sections by lowercased name.
  var sections: [String: Section] = [:]
  /// `[Strings]` by lowercased key, then language-specific `[Strings.xxxx]` for keys `[Strings]` lacks.
  var strings: [String: String] = [:]

  /// Decodes by BOM: UTF-16LE, UTF-16BE, UTF-8; without one UTF-8, or Latin-1 when that fails.
  static func decode(_ bytes: [UInt8]) -> String {
    if bytes.starts(with: [0xFF, 0xFE]) {
      return String(decoding: utf16(bytes.dropFirst(2), bigEndian: false), as: UTF16.self)
    }
    if bytes.starts(with: [0xFE, 0xFF]) {
      return String(decoding: utf16(bytes.dropFirst(2), bigEndian: true), as: UTF16.self)
    }
    let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
    if let s = String(validating: body, as: UTF8.self) { return s }
    return String(body.map { Character(Unicode.Scalar($0)) })
  }

  static func utf16(_ bytes: ArraySlice<UInt8>, bigEndian: Bool) -> [UInt16] {
    var units: [UInt16] = []
    units.reserveCapacity(bytes.count / 2)
    var i = bytes.startIndex
    while i + 1 < bytes.endIndex {
      let a = UInt16(bytes[i]), b = UInt16(bytes[i + 1])
      units.append(bigEndian ? a << 8 | b : b << 8 | a)
      i += 2
    }
    return units
  }

  /// The INF architecture token for `arch` (`amd64`), nil for architectures Windows has none for.
  static func archToken(_ arch: Architecture) -> String? {
    switch arch {
    case .x86_64: return "amd64"
    case .i386: return "x86"
    case .aarch64: return "arm64"
    case .armv7l: return "arm"
    default: return nil
    }
  }

  /// Whether a `[Manufacturer]` decoration (`NTamd64.10.0...22000`, `NT.6.1`, `NTx86`) applies to `arch`:
  /// its architecture part is `arch`, or it has none.
  static func decoration(_ decoration: String, matches arch: String?) -> Bool {
    let platform = decoration.split(separator: ".", omittingEmptySubsequences: false).first.map(String.init) ?? ""
    guard platform.lowercased().hasPrefix("nt") else { return false }
    let token = platform.dropFirst(2).lowercased()
    return token.isEmpty || token == arch
  }

  init(text: String) {
    var current: String?
    for raw in Self.logicalLines(text) {
      let line = Self.stripComment(raw).trimmingCharacters(in: .whitespaces)
      if line.isEmpty { continue }
      if line.hasPrefix("[") {
        let name = line.dropFirst().prefix { $0 != "]" }.trimmingCharacters(in: .whitespaces).lowercased()
        current = name
        if sections[name] == nil { sections[name] = Section() }
        continue
      }
      guard let name = current else { continue }  // text before the first section
      sections[name]?.lines.append(Self.split(line))
    }
    // [Strings] first; localized [Strings.0409] etc. only fill in what it lacks.
    let stringSections = sections.keys.filter { $0 == "strings" || $0.hasPrefix("strings.") }.sorted {
      ($0 == "strings" ? 0 : 1, $0) < ($1 == "strings" ? 0 : 1, $1)
    }
    for name in stringSections {
      for line in sections[name]?.lines ?? [] {
        guard let key = line.key?.lowercased(), strings[key] == nil else { continue }
        strings[key] = Self.unquote(line.value).replacingOccurrences(of: "%%", with: "%")
      }
    }
  }

  /// Lines joined where one ends in `\` (outside a comment), split on CR, LF or CRLF.
  static func logicalLines(_ text: String) -> [String] {
    var out: [String] = []
    var pending = ""
    for physical in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
      let content = stripComment(String(physical))
      let trimmed = content.trimmingCharacters(in: .whitespaces)
      if trimmed.hasSuffix("\\") {
        pending += String(trimmed.dropLast())
        continue
      }
      out.append(pending + content)
      pending = ""
    }
    if !pending.isEmpty { out.append(pending) }
    return out
  }

  /// The line up to a `;` that is not inside quotes.
  static func stripComment(_ line: String) -> String {
    var inQuotes = false
    for i in line.indices {
      let c = line[i]
      if c == "\"" { inQuotes.toggle() } else if c == ";" && !inQuotes { return String(line[..<i]) }
    }
    return line
  }

  /// `key = value` at the first `=` outside quotes; a line without one is a bare value.
  static func split(_ line: String) -> Line {
    var inQuotes = false
    for i in line.indices {
      let c = line[i]
      if c == "\"" { inQuotes.toggle() } else if c == "=" && !inQuotes {
        let key = unquote(String(line[..<i]).trimmingCharacters(in: .whitespaces))
        return Line(key: key, value: String(line[line.index(after: i)...]).trimmingCharacters(in: .whitespaces))
      }
    }
    return Line(key: nil, value: line)
  }

  /// A field without its surrounding whitespace and quotes (`""` inside quotes is one quote).
  static func unquote(_ field: String) -> String {
    var out = ""
    var inQuotes = false
    let chars = Array(field.trimmingCharacters(in: .whitespaces))
    var i = 0
    while i < chars.count {
      let c = chars[i]
      if c == "\"" {
        if inQuotes && i + 1 < chars.count && chars[i + 1] == "\"" {
          out.append("\"")
          i += 2
          continue
        }
        inQuotes.toggle()
      } else {
        out.append(c)
      }
      i += 1
    }
    return out
  }

  /// `%key%` replaced by its `[Strings]` value (unknown keys stay as written), `%%` by `%`.
  func substitute(_ text: String) -> String {
    guard text.contains("%") else { return text }
    var out = ""
    var rest = Substring(text)
    while let start = rest.firstIndex(of: "%") {
      out += rest[..<start]
      let after = rest[rest.index(after: start)...]
      guard let end = after.firstIndex(of: "%") else {
        out += rest[start...]
        return out
      }
      let key = after[..<end]
      if key.isEmpty {
        out += "%"
      } else if let value = strings[key.lowercased()] {
        out += value
      } else {
        out += "%\(key)%"
      }
      rest = after[after.index(after: end)...]
    }
    return out + rest
  }

  /// A value's comma-separated fields, each unquoted and substituted (commas inside quotes stay).
  func fields(_ value: String) -> [String] {
    var fields: [String] = []
    var current = ""
    var inQuotes = false
    for c in value {
      if c == "\"" { inQuotes.toggle() }
      if c == "," && !inQuotes {
        fields.append(current)
        current = ""
      } else {
        current.append(c)
      }
    }
    fields.append(current)
    return fields.map { substitute(Self.unquote($0)) }
  }

  /// The section named `name` (case-insensitive).
  func section(_ name: String) -> Section? { sections[name.lowercased()] }

  /// The fields of every `key = …` line of `section` (case-insensitive key).
  func entries(of key: String, in section: Section) -> [[String]] {
    section.lines.filter { $0.key?.caseInsensitiveCompare(key) == .orderedSame }.map { fields($0.value) }
  }

  /// The whole value of the first `key = …` line, substituted; nil when absent or empty.
  func value(of key: String, in section: Section) -> String? {
    guard let line = section.lines.first(where: { $0.key?.caseInsensitiveCompare(key) == .orderedSame }) else {
      return nil
    }
    let v = substitute(Self.unquote(line.value))
    return v.isEmpty ? nil : v
  }
}
