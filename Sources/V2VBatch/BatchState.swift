import Foundation
import GRDB

/// Where a machine is.
public enum MachineStatus: String, Codable, Sendable, CaseIterable {
  case pending, running, succeeded, failed
}

/// One phase of a conversion (a `stage` event of the child) and how long it took.
public struct PhaseTiming: Codable, Sendable, Equatable {
  /// The stage line, e.g. `Copying disk 1/1 (2.0 GiB, qcow2)`.
  public var name: String
  /// Seconds.
  public var seconds: Double

  public init(name: String, seconds: Double) {
    self.name = name
    self.seconds = seconds
  }
}

/// One attempt at converting a machine.
public struct AttemptRecord: Codable, Sendable, Equatable {
  /// 1, 2, …
  public var number: Int
  /// When the child started (seconds since 1970).
  public var startedAt: Double
  /// When it ended; nil while it runs.
  public var endedAt: Double?
  /// When it took its source-host slot and gave it back (it holds it only while the disks are read).
  public var slotFrom: Double
  public var slotUntil: Double?
  /// The child's exit code (nil while it runs).
  public var exitCode: Int32?
  /// The child's process id, and its start time in clock ticks after boot (`/proc/PID/stat` field 22): a
  /// resumed run stops a child a killed run left behind, and never another process that reused the pid.
  public var pid: Int32?
  public var pidStart: String?
  /// The child's stdout (JSON lines) and stderr.
  public var log: String?
}

/// A failure: the exit class (docs/exit-codes.md) and the child's one-line message.
public struct MachineError: Codable, Sendable, Equatable {
  /// The exit code of the class (1 transient, 3-8, 64, 130).
  public var `class`: Int32
  /// `v2v: error:`'s message.
  public var message: String

  public init(class: Int32, message: String) {
    self.class = `class`
    self.message = message
  }
}

/// Everything known about one machine of a plan: a row of the state database, or one `--index` result record.
public struct MachineRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "machine"

  public var name: String
  /// Plan order, from 0.
  public var planIndex: Int
  public var wave: Int
  public var sourceHost: String
  public var status: MachineStatus
  /// Attempts made so far.
  public var attempts: Int
  /// The stage the child is in (while running), or was last in.
  public var phase: String?
  /// The last failure, nil when none (or when the machine succeeded).
  public var errorClass: Int32?
  public var errorMessage: String?
  /// The last attempt's phases, in order.
  public var phases: [PhaseTiming]
  /// What the conversion created (disk paths, `NAME.xml`, a libvirt domain).
  public var outputs: [String]
  /// Bytes allocated by the output disks.
  public var outputBytes: Int64?
  /// `--verify-boot`'s verdict; nil when not asked.
  public var bootVerified: Bool?
  /// The first attempt's start, the last attempt's end (seconds since 1970).
  public var startedAt: Double?
  public var endedAt: Double?
  /// Every attempt.
  public var history: [AttemptRecord]
  /// Last change (seconds since 1970): the newer of a database row and a result record wins a merge.
  public var updatedAt: Double

  /// A fresh, pending record for a plan machine.
  public init(pending machine: PlanMachine) {
    name = machine.name
    planIndex = machine.index
    wave = machine.wave
    sourceHost = machine.sourceHost
    status = .pending
    attempts = 0
    phases = []
    outputs = []
    history = []
    updatedAt = Date().timeIntervalSince1970
  }

  /// The error as the report shows it.
  public var error: MachineError? {
    guard let c = errorClass else { return nil }
    return MachineError(class: c, message: errorMessage ?? "")
  }
}

/// The state of local runs: `PLAN.state.sqlite` (GRDB, WAL), one `machine` row per plan machine.
///
/// Only one `v2v batch run` may use it at a time (``BatchLock``); `status` and `report` read it at any time.
public final class StateStore: Sendable {
  let db: DatabasePool
  /// The database file.
  public let path: String

  /// Opens (creating) the database.
  public init(path: String) throws {
    self.path = path
    var config = Configuration()
    config.busyMode = .timeout(10)
    db = try DatabasePool(path: path, configuration: config)
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.create(table: "machine") { t in
        t.primaryKey("name", .text)
        t.column("planIndex", .integer).notNull()
        t.column("wave", .integer).notNull()
        t.column("sourceHost", .text).notNull()
        t.column("status", .text).notNull()
        t.column("attempts", .integer).notNull()
        t.column("phase", .text)
        t.column("errorClass", .integer)
        t.column("errorMessage", .text)
        t.column("phases", .jsonText).notNull()
        t.column("outputs", .jsonText).notNull()
        t.column("outputBytes", .integer)
        t.column("bootVerified", .boolean)
        t.column("startedAt", .double)
        t.column("endedAt", .double)
        t.column("history", .jsonText).notNull()
        t.column("updatedAt", .double).notNull()
      }
    }
    try migrator.migrate(db)
  }

  /// Opens the database only if it exists (status and report never create one).
  public static func openIfPresent(path: String) throws -> StateStore? {
    FileManager.default.fileExists(atPath: path) ? try StateStore(path: path) : nil
  }

  /// Every row, in plan order.
  public func all() throws -> [MachineRecord] {
    try db.read { try MachineRecord.order(Column("planIndex")).fetchAll($0) }
  }

  /// One row.
  public func record(_ name: String) throws -> MachineRecord? {
    try db.read { try MachineRecord.fetchOne($0, key: name) }
  }

  /// Inserts or replaces a row.
  public func save(_ record: MachineRecord) throws {
    var r = record
    r.updatedAt = Date().timeIntervalSince1970
    try db.write { try r.save($0) }
  }

  /// Adds rows for plan machines it has not seen, and updates the plan facts (index, wave, host) of the rest.
  public func sync(with plan: BatchPlan) throws {
    try db.write { db in
      for m in plan.machines {
        if var r = try MachineRecord.fetchOne(db, key: m.name) {
          r.planIndex = m.index
          r.wave = m.wave
          r.sourceHost = m.sourceHost
          try r.update(db)
        } else {
          try MachineRecord(pending: m).insert(db)
        }
      }
    }
  }
}

/// `PLAN.results/NAME.json`: the record an `--index` run writes for its one machine, instead of the shared
/// database (SQLite's locking is not safe on the network filesystems pods share). Written atomically.
public enum ResultRecords {
  /// Reads every record in `directory` (none when it does not exist).
  public static func all(in directory: String) -> [MachineRecord] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
    return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { read(directory + "/" + $0) }
  }

  /// One machine's record.
  public static func read(directory: String, name: String) -> MachineRecord? { read(directory + "/" + name + ".json") }

  static func read(_ path: String) -> MachineRecord? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return try? JSONDecoder().decode(MachineRecord.self, from: data)
  }

  /// Writes one record (temp file + rename, so a reader never sees half of it).
  public static func write(_ record: MachineRecord, directory: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var r = record
    r.updatedAt = Date().timeIntervalSince1970
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let data = try encoder.encode(r)
    let final = directory + "/" + record.name + ".json"
    let temp = directory + "/." + record.name + ".json.\(getpid()).tmp"
    try data.write(to: URL(fileURLWithPath: temp))
    guard rename(temp, final) == 0 else {
      let e = errno
      try? FileManager.default.removeItem(atPath: temp)
      throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(final): \(String(cString: strerror(e)))"])
    }
  }
}

/// The state of a plan as status and report see it: the database rows and the result records merged (the
/// newer record of a machine wins), every plan machine present (pending when nothing is known).
public enum MergedState {
  /// One record per plan machine, in plan order.
  public static func load(_ plan: BatchPlan) throws -> [MachineRecord] {
    var byName: [String: MachineRecord] = [:]
    if let store = try StateStore.openIfPresent(path: plan.statePath) {
      for r in try store.all() { byName[r.name] = r }
    }
    for r in ResultRecords.all(in: plan.resultsDirectory) {
      if let existing = byName[r.name], existing.updatedAt >= r.updatedAt { continue }
      byName[r.name] = r
    }
    return plan.machines.map { m in
      var r = byName[m.name] ?? MachineRecord(pending: m)
      r.planIndex = m.index
      r.wave = m.wave
      r.sourceHost = m.sourceHost
      return r
    }
  }
}

/// The one `v2v batch run` allowed on a plan at a time: an exclusive `flock` on `PLAN.state.lock`, held for
/// the whole run and released by the kernel when the run ends, even by SIGKILL.
public final class BatchLock {
  let fd: Int32

  /// Takes the lock or throws, naming the holder.
  public init(path: String) throws(BatchError) {
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw BatchError(.hostNotReady, "\(path): cannot open: \(String(cString: strerror(errno)))") }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
      close(fd)
      throw BatchError(.usage, "\(path): another `v2v batch run` is using this plan (pid \(holder))")
    }
    _ = ftruncate(fd, 0)
    let pid = "\(getpid())\n"
    _ = pid.withCString { write(fd, $0, strlen($0)) }
  }

  deinit { close(fd) }

  /// Whether a `v2v batch run` holds the lock at `path` now (a shared `flock` probe; never blocks).
  public static func isHeld(path: String) -> Bool {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    if flock(fd, LOCK_SH | LOCK_NB) == 0 {
      _ = flock(fd, LOCK_UN)
      return false
    }
    return errno == EWOULDBLOCK
  }
}
