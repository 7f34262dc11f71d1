import Foundation
import V2VModel

/// What a `v2v convert --json` child says, one JSON object per line (docs/convert-json.md): the batch reads
/// its `stage` events (the phase, and when to give back the source-host slot) and its `result`.
public enum ChildEvent: Equatable, Sendable {
  /// A stage began.
  case stage(String)
  /// The last line: what the conversion produced.
  case result(ChildResult)
  /// Anything else (progress, detail, warning) or a line that is not JSON.
  case other

  /// Parses one line.
  public static func parse(_ line: String) -> ChildEvent {
    guard let data = line.data(using: .utf8),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let event = object["event"] as? String
    else { return .other }
    switch event {
    case "stage": return (object["stage"] as? String).map { .stage($0) } ?? .other
    case "result": return .result(ChildResult(object["result"] as? [String: Any] ?? [:]))
    default: return .other
    }
  }

  /// Whether a stage means the source disks have been read: the copy is over (`Writing metadata`), or the
  /// boot test began. The machine then gives back its source-host slot.
  public static func sourceReadDone(_ stage: String) -> Bool {
    stage.hasPrefix("Writing metadata") || stage.hasPrefix("Verifying the guest boots")
  }
}

/// The parts of a child's `result` the batch keeps.
public struct ChildResult: Equatable, Sendable {
  /// `outputBytes`.
  public var outputBytes: Int64?
  /// `boot.passed`, when `--verify-boot` ran.
  public var bootPassed: Bool?
  /// `artifacts`.
  public var artifacts: [String]
  /// `stages`: name and seconds, in order.
  public var stages: [PhaseTiming]

  init(_ r: [String: Any]) {
    outputBytes = (r["outputBytes"] as? NSNumber)?.int64Value
    bootPassed = (r["boot"] as? [String: Any])?["passed"] as? Bool
    artifacts = r["artifacts"] as? [String] ?? []
    stages = (r["stages"] as? [[String: Any]] ?? []).compactMap { s in
      guard let name = s["stage"] as? String, let secs = (s["seconds"] as? NSNumber)?.doubleValue else { return nil }
      return PhaseTiming(name: name, seconds: secs)
    }
  }
}

/// How a child's exit code is taken (docs/exit-codes.md).
public enum ExitVerdict: Equatable, Sendable {
  /// 0.
  case succeeded
  /// 1 (or an unknown code, or a signal): may succeed if tried again.
  case transient
  /// 3, 4, 5, 6, 7, 8, 64: will fail the same way again.
  case deterministic
  /// 130 / 143: SIGINT / SIGTERM.
  case interrupted

  /// The verdict for an exit code.
  public init(exitCode: Int32) {
    switch exitCode {
    case 0: self = .succeeded
    case 130, 143: self = .interrupted
    case let c where ExitClass(rawValue: c).map({ !$0.isTransient && $0 != .interrupted }) ?? false: self = .deterministic
    default: self = .transient
    }
  }

  /// The error class recorded for a failed exit code (an unknown code counts as 1, a generic failure).
  public static func errorClass(_ exitCode: Int32) -> Int32 {
    if exitCode == 143 { return 143 }
    return ExitClass(rawValue: exitCode)?.rawValue ?? ExitClass.failure.rawValue
  }
}

/// Reads the lines appended to a file (a child's stdout) since the last call.
final class LineTailer {
  let path: String
  private var offset: UInt64 = 0
  private var partial = Data()

  init(path: String) { self.path = path }

  /// The complete lines appended since the last call; at `end`, the unterminated last line too.
  func read(end: Bool = false) -> [String] {
    var lines: [String] = []
    if let handle = FileHandle(forReadingAtPath: path) {
      defer { try? handle.close() }
      try? handle.seek(toOffset: offset)
      if let data = try? handle.readToEnd(), !data.isEmpty {
        offset += UInt64(data.count)
        partial.append(data)
      }
    }
    while let nl = partial.firstIndex(of: UInt8(ascii: "\n")) {
      lines.append(String(decoding: partial[partial.startIndex..<nl], as: UTF8.self))
      partial = Data(partial[(nl + 1)...])
    }
    if end && !partial.isEmpty {
      lines.append(String(decoding: partial, as: UTF8.self))
      partial = Data()
    }
    return lines
  }
}

/// The child's one-line error: the message of its last `v2v: error:` line, else its last stderr line.
func childErrorMessage(stderrPath: String, exitCode: Int32) -> String {
  let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
  let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  if let e = lines.last(where: { $0.hasPrefix("v2v: error: ") }) { return String(e.dropFirst("v2v: error: ".count)) }
  if let last = lines.last { return last }
  return "v2v convert exited with code \(exitCode) and said nothing"
}
