import Foundation
import V2VCore
import V2VModel

/// Human output: `[  12.3] Stage` lines with elapsed time, a progress bar on a terminal, warnings always,
/// details with `-v`, nothing but errors with `-q`.
final class HumanReporter: EventSink {
  let start = Date()
  let verbose: Bool
  let quiet: Bool
  let tty = isatty(STDOUT_FILENO) == 1
  private var lastBar = Date.distantPast
  private var barShown = false
  private var barStart = Date()
  private var lastFraction = -1.0

  init(verbose: Bool, quiet: Bool) {
    self.verbose = verbose
    self.quiet = quiet
  }

  var stamp: String { String(format: "[%6.1f]", Date().timeIntervalSince(start)) }

  func emit(_ event: ConversionEvent, job: String) {
    switch event {
    case .stage(let s):
      endBar()
      barStart = Date()
      lastFraction = -1
      if !quiet { Console.out("\(stamp) \(s)") }
    case .progress(let label, let f, let total):
      guard !quiet else { return }
      let now = Date()
      guard f != lastFraction else { return }
      lastFraction = f
      if tty {
        guard now.timeIntervalSince(lastBar) > 0.2 || f >= 1 else { return }
        lastBar = now
        FileHandle.standardOutput.write(Data(("\r" + bar(label, f, total)).utf8))
        barShown = true
      } else if now.timeIntervalSince(lastBar) > 10 || f >= 1 {
        lastBar = now
        Console.out("\(stamp)   \(bar(label, f, total))")
      }
    case .warning(let w):
      endBar()
      Console.err("v2v: warning: \(w)")
    case .detail(let d):
      if verbose && !quiet {
        endBar()
        Console.out("         \(d)")
      }
    }
  }

  func endBar() {
    if barShown { FileHandle.standardOutput.write(Data("\n".utf8)) }
    barShown = false
  }

  /// `disk 1 [#########-----------]  45%  1.8/4.0 GiB  120.5 MiB/s  ETA 18 s`
  func bar(_ label: String, _ f: Double, _ total: UInt64?) -> String {
    let width = 24
    let filled = Int((f * Double(width)).rounded(.down))
    var s = "\(label) [" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    s += String(format: " %3.0f%%", f * 100)
    if let total, total > 0 {
      let done = UInt64(Double(total) * f)
      let secs = max(Date().timeIntervalSince(barStart), 0.001)
      let rate = Double(done) / secs
      s += "  \(ByteFormat.human(done))/\(ByteFormat.human(total))  \(ByteFormat.human(UInt64(rate)))/s"
      if f > 0.01 && f < 1 { s += String(format: "  ETA %.0f s", secs * (1 - f) / f) }
    }
    return s
  }
}

/// `--json`: one JSON object per line (`stage`, `progress`, `warning`, `detail`, then `result`), for automation.
final class JSONReporter: EventSink {
  let start = Date()
  private var lastProgress = Date.distantPast

  func emit(_ event: ConversionEvent, job: String) {
    let t = (Date().timeIntervalSince(start) * 10).rounded() / 10
    switch event {
    case .stage(let s): write(["event": "stage", "t": t, "job": job, "stage": s])
    case .progress(let label, let f, let total):
      let now = Date()
      guard now.timeIntervalSince(lastProgress) > 1 || f >= 1 else { return }
      lastProgress = now
      var o: [String: Any] = ["event": "progress", "t": t, "job": job, "label": label, "fraction": (f * 1000).rounded() / 1000]
      if let total { o["totalBytes"] = total }
      write(o)
    case .warning(let w): write(["event": "warning", "t": t, "job": job, "message": w])
    case .detail(let d): write(["event": "detail", "t": t, "job": job, "message": d])
    }
  }

  func write(_ o: [String: Any]) {
    guard let data = try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
    Console.out(String(decoding: data, as: UTF8.self))
  }

  /// The final `result` line.
  func result<T: Encodable>(_ value: T) {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? enc.encode(value) else { return }
    Console.out(#"{"event":"result","result":"# + String(decoding: data, as: UTF8.self) + "}")
  }
}
