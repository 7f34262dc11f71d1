import Foundation
import V2VModel
import V2VProcess

/// Copies the converted overlays to the output with `qemu-img convert`: sparse by default (unallocated and
/// zero blocks are not written), or preallocated.
public struct DiskCopier: Sendable {
  /// Output allocation (`-oa`).
  public var allocation: DiskAllocation

  /// Creates a copier.
  public init(allocation: DiskAllocation = .sparse) { self.allocation = allocation }

  /// The qemu-img command line (exposed for tests and the benchmark).
  public func arguments(from source: String, sourceFormat: String, to destination: DiskDestination) -> [String] {
    let format = destination.format.rawValue
    var a = ["qemu-img", "convert", "-p", "-f", sourceFormat, "-O", format, "-W", "-m", "16"]
    if destination.exists {
      // Onto a destination that must not be created or truncated (a block device, a pre-made volume).
      a.insert("-n", at: 3)
      if allocation == .preallocated { a += ["-S", "0"] }
      return a + [source, destination.path]
    }
    switch (allocation, format) {
    case (.preallocated, "qcow2"): a += ["-o", "preallocation=falloc", "-S", "0"]
    case (.preallocated, _): a += ["-S", "0"]
    case (.sparse, "qcow2"): a += ["-o", "compat=1.1"]
    case (.sparse, _): break
    }
    return a + [source, destination.path]
  }

  /// Copies, reporting progress as a fraction 0…1.
  public func copy(
    from source: String, sourceFormat: String = "qcow2", to destination: DiskDestination,
    progress: (Double) -> Void
  ) throws {
    let argv = arguments(from: source, sourceFormat: sourceFormat, to: destination)
    var lastError = ""
    let status = try ProcessRunner.stream(argv) { chunk, isStderr in
      if isStderr {
        lastError += chunk
        return
      }
      // qemu-img -p prints "    (12.34/100%)\r".
      for piece in chunk.split(whereSeparator: { $0 == "\r" || $0 == "\n" }) {
        guard let open = piece.firstIndex(of: "("), let slash = piece.firstIndex(of: "/"), open < slash,
          let pct = Double(piece[piece.index(after: open)..<slash].trimmingCharacters(in: .whitespaces))
        else { continue }
        progress(pct / 100)
      }
    }
    guard status == 0 else {
      let why = lastError.split(separator: "\n").last.map(String.init) ?? "qemu-img exited with status \(status)"
      throw CopyError(destination: destination.path, message: why)
    }
  }
}

/// Writing an output disk failed.
public struct CopyError: Error, CustomStringConvertible {
  /// The output file.
  public var destination: String
  /// qemu-img's words.
  public var message: String
  public var description: String { "copying to \(destination): \(message)" }
}
