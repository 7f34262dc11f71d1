import V2VModel
/// Why a target cannot be planned (a usage error: nothing has been read or written yet).
public enum PlanError: Error, Equatable, CustomStringConvertible {
  /// The target name is unusable; the reason says why.
  case invalidName(String, reason: String)
  /// The source has no hard disks.
  case noDisks
  /// Memory is zero.
  case invalidMemory(UInt64)
  /// vCPU count below one.
  case invalidVCPUs(Int)
  /// A `--network`/`--bridge` argument could not be parsed.
  case badMapping(NetworkMapping.Kind, String, String)
  /// Two `IN:OUT` mappings of one option name the same source.
  case duplicateMapping(NetworkMapping.Kind, String)
  /// Two bare defaults for one option.
  case duplicateDefault(NetworkMapping.Kind, String, String)

  /// One line for the user.
  public var description: String {
    switch self {
    case .invalidName(let n, let why):
      return "invalid output name \(quoted(n)): \(why) (choose another with -on NAME)"
    case .noDisks: return "the source has no hard disks; there is nothing to convert"
    case .invalidMemory(let m): return "invalid memory size \(m) bytes: must be at least 1 MiB"
    case .invalidVCPUs(let n): return "invalid vCPU count \(n): must be at least 1"
    case .badMapping(let k, let arg, let why): return "--\(k.rawValue) \(quoted(arg)): \(why)"
    case .duplicateMapping(let k, let name):
      return "--\(k.rawValue): source \(k.rawValue) \(quoted(name)) is mapped twice"
    case .duplicateDefault(let k, let a, let b):
      return
        "--\(k.rawValue): two defaults given (\(quoted(a)) and \(quoted(b))); use IN:OUT to map one source \(k.rawValue)"
    }
  }

  private func quoted(_ s: String) -> String { "\"\(s)\"" }
}
