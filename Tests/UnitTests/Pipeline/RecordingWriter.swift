import Foundation
import V2VCore
import V2VModel

/// A writer that records the phases the pipeline calls, writes its disks as plain files in a directory,
/// and can be told to fail in one phase.
final class RecordingWriter: OutputWriter {
  enum Phase: String, Equatable { case plan, open, finalize, rollback }

  let directory: String
  var failIn: Phase?
  private(set) var calls: [Phase] = []
  private(set) var opened: [DiskDestination] = []
  var kind: OutputKind { .local }

  init(directory: String, failIn: Phase? = nil) {
    self.directory = directory
    self.failIn = failIn
  }

  struct Injected: Error, Equatable, CustomStringConvertible {
    var phase: Phase
    var description: String { "injected failure in \(phase.rawValue)" }
  }

  private func enter(_ p: Phase) throws {
    calls.append(p)
    if failIn == p { throw Injected(phase: p) }
  }

  func plan(_ target: TargetVM, request: OutputRequest) throws -> OutputPlan {
    try enter(.plan)
    return OutputPlan(
      diskPaths: target.disks.indices.map { "\(directory)/disk\($0).\(request.format.rawValue)" }, format: request.format)
  }

  func open(_ plan: OutputPlan) throws -> [DiskDestination] {
    try enter(.open)
    opened = plan.diskPaths.map { DiskDestination(path: $0 + ".partial", format: plan.format) }
    return opened
  }

  func finalize(_ target: TargetVM, domainXML: String) throws -> [String] {
    try enter(.finalize)
    return opened.map(\.path)
  }

  func rollback() {
    calls.append(.rollback)
    for d in opened { try? FileManager.default.removeItem(atPath: d.path) }
  }
}
