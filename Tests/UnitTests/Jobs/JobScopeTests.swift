import Foundation
import Testing
import V2VCore
import V2VJobs
import V2VModel
import V2VProcess
import V2VTestSupport

/// Cancellation is scoped to one job: its children and partial outputs, nobody else's.
@Suite("job scope", .offPool)
struct JobScopeTests {
  static func alive(_ pid: Int32) -> Bool {
    // A zombie still answers kill(0); read its state.
    guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    return !stat.contains(") Z ")
  }

  @Test("cancel kills the job's own children and removes its own paths; another job is untouched")
  func cancelIsScoped() throws {
    let dir = try TempDir()
    let a = JobScope(id: "job-a")
    let b = JobScope(id: "job-b")
    let fileA = dir.path + "/a.v2v-part"
    let fileB = dir.path + "/b.v2v-part"
    _ = FileManager.default.createFile(atPath: fileA, contents: Data("a".utf8))
    _ = FileManager.default.createFile(atPath: fileB, contents: Data("b".utf8))
    let pa = try a.run { () throws -> RunningProcess in
      JobScope.current?.removeOnCancel(fileA)
      return try ProcessRunner.start(["sleep", "60"])
    }
    let pb = try b.run { () throws -> RunningProcess in
      JobScope.current?.removeOnCancel(fileB)
      return try ProcessRunner.start(["sleep", "60"])
    }
    defer {
      pa.terminate(grace: 0)
      pb.terminate(grace: 0)
    }
    #expect(Self.alive(pa.pid) && Self.alive(pb.pid))
    a.cancel()
    let deadline = Date().addingTimeInterval(5)
    while Self.alive(pa.pid) && Date() < deadline { usleep(50_000) }
    #expect(!Self.alive(pa.pid), "job a's child was killed")
    #expect(Self.alive(pb.pid), "job b's child lives on")
    #expect(!FileManager.default.fileExists(atPath: fileA))
    #expect(FileManager.default.fileExists(atPath: fileB))
    #expect(a.isCancelled && !b.isCancelled)
    #expect(throws: JobCancelled.self) { try a.checkCancelled() }
  }

  @Test("a finished path is forgotten: cancelling afterwards keeps it")
  func forget() throws {
    let dir = try TempDir()
    let s = JobScope(id: "job-c")
    let f = dir.path + "/done"
    _ = FileManager.default.createFile(atPath: f, contents: nil)
    s.removeOnCancel(f)
    s.forget(f)
    s.cancel()
    #expect(FileManager.default.fileExists(atPath: f))
  }

  @Test("a job classifies its failure and names itself on every event")
  func jobErrors() throws {
    let dir = try TempDir()
    let events = RecordingEventSink()
    let job = ConversionJob(
      JobRequest(input: InputSpec(format: .vmx, locations: [dir.path + "/missing.vmx"]), output: .local(directory: dir.path)),
      id: "job-x")
    do {
      _ = try job.run(events: events)
      Issue.record("a missing source must fail")
    } catch {
      #expect(error.exitClass == .sourceInvalid)
      #expect(error.message.contains("missing.vmx"))
    }
    #expect(!events.jobs.isEmpty && events.jobs.allSatisfy { $0 == "job-x" })
    #expect(!JobRegistry.shared.active.contains { $0.id == "job-x" }, "the job left the registry")
  }
}
