import Foundation
import V2VProcess
import V2VCore
import V2VModel

/// Runs the real `v2v` binary, as a user would, and collects what it printed.
public struct V2VRun: Sendable {
  /// Exit status.
  public var status: Int32
  /// Standard output.
  public var stdout: String
  /// Standard error.
  public var stderr: String

  /// Runs `v2v ARGS` with extra environment (e.g. `V2V_DATA_DIR`).
  public static func run(_ args: [String], environment: [String: String] = [:], timeout: Double = 1800) throws -> V2VRun {
    let r = try ProcessRunner.run([RepoPaths.v2vBinary] + args, timeout: timeout, environment: environment)
    return V2VRun(status: r.status, stdout: r.stdout, stderr: r.stderr)
  }

  /// The `result` object of a `--json` run.
  public var jsonResult: [String: Any]? {
    for line in stdout.split(separator: "\n").reversed() {
      guard let data = line.data(using: .utf8), let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        o["event"] as? String == "result"
      else { continue }
      return o["result"] as? [String: Any]
    }
    return nil
  }
}

/// SHA-256 of a file, via sha256sum (for "the source is unchanged" checks on large images).
public func sha256(_ path: String) throws -> String {
  let r = try ProcessRunner.run(["sha256sum", path], timeout: 600)
  return String(r.stdout.prefix(64))
}

/// Validates XML against libvirt's schema with `virt-xml-validate`; returns its complaint, or nil when valid.
public func libvirtSchemaProblem(xml: String, kind: String = "domain") throws -> String? {
  let dir = try TempDir()
  let f = dir.path + "/x.xml"
  try xml.write(toFile: f, atomically: true, encoding: .utf8)
  let r = try ProcessRunner.run(["virt-xml-validate", f, kind], timeout: 60)
  return r.succeeded ? nil : r.stdout + r.stderr
}
