import Foundation
import V2VBatch
import V2VTestSupport

/// A fake `v2v convert --json` for scheduler tests: a shell script that prints JSON lines like the real one,
/// sleeps, writes a disk then the XML (`-o local`'s order), and exits with a code chosen per machine.
///
/// The behaviour comes from its arguments: the source's file name is `NAME@key=value@….vmx` with
/// `read=S` (seconds copying the disk, default 0.3), `after=S` (seconds after `Writing metadata`, default 0),
/// `codes=C1,C2,…` (exit code of attempt 1, 2, …; the last repeats; default 0). It counts its attempts in
/// `OS/.fake-NAME.count` and appends `START`/`END` lines with times to `OS/.fake-NAME.trace`.
enum FakeConverter {
  static let script = #"""
    #!/bin/bash
    # argv: convert -i KIND SOURCE [options] -on NAME --json
    src="$4"; os=""; on=""; boot=0
    while [ $# -gt 0 ]; do
      case "$1" in
        -os) os="$2"; shift ;;
        -on) on="$2"; shift ;;
        --verify-boot) boot=1 ;;
      esac
      shift
    done
    base=$(basename "$src"); base="${base%.*}"
    read_s=0.3; after_s=0; codes="0"
    IFS='@' read -ra parts <<< "$base"
    for p in "${parts[@]:1}"; do
      case "$p" in
        read=*) read_s="${p#read=}" ;;
        after=*) after_s="${p#after=}" ;;
        codes=*) codes="${p#codes=}" ;;
      esac
    done
    cnt="$os/.fake-$on.count"
    n=$(( $(cat "$cnt" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$cnt"
    IFS=',' read -ra list <<< "$codes"
    if [ "$n" -le "${#list[@]}" ]; then code="${list[$((n-1))]}"; else code="${list[-1]}"; fi
    echo "START $n $(date +%s.%N) smp=${V2V_APPLIANCE_SMP:-unset}" >> "$os/.fake-$on.trace"
    stage() { printf '{"event":"stage","job":"job-fake","stage":"%s","t":0}\n' "$1"; }
    stage "Reading the source (vmx)"
    printf '{"event":"progress","fraction":0,"job":"job-fake","label":"x","t":0,"totalBytes":1}\n'
    if [ "$code" != 0 ] && [ "$code" != 8 ]; then
      sleep 0.1
      echo "v2v: error: fake failure $code of $on (attempt $n)" >&2
      echo "END $n $(date +%s.%N)" >> "$os/.fake-$on.trace"
      exit "$code"
    fi
    stage "Copying disk 1/1 (1.0 MiB, raw)"
    head -c 65536 /dev/zero > "$os/$on-sda"
    sleep "$read_s"
    head -c 65536 /dev/zero >> "$os/$on-sda"
    stage "Writing metadata"
    echo "<domain><name>$on</name></domain>" > "$os/$on.xml"
    sleep "$after_s"
    passed=true
    if [ "$boot" = 1 ] || [ "$code" = 8 ]; then
      stage "Verifying the guest boots (virtio-blk, TCG)"
      if [ "$code" = 8 ]; then passed=false; fi
    fi
    bootjson=""
    if [ "$boot" = 1 ] || [ "$code" = 8 ]; then bootjson=",\"boot\":{\"passed\":$passed,\"outcome\":\"booted\",\"seconds\":1}"; fi
    printf '{"event":"result","job":"job-fake","result":{"name":"%s","output":"local","outputBytes":131072,"artifacts":["%s","%s"],"stages":[{"stage":"Reading the source (vmx)","seconds":0.1},{"stage":"Copying disk 1/1 (1.0 MiB, raw)","seconds":%s},{"stage":"Writing metadata","seconds":%s}]%s},"t":1}\n' \
      "$on" "$os/$on-sda" "$os/$on.xml" "$read_s" "$after_s" "$bootjson"
    echo "END $n $(date +%s.%N)" >> "$os/.fake-$on.trace"
    if [ "$code" = 8 ]; then echo "v2v: error: the converted guest did not boot" >&2; exit 8; fi
    exit 0
    """#

  /// Writes the script into `dir` and returns its path.
  static func install(in dir: String) throws -> String {
    let path = dir + "/fake-v2v"
    try script.write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o755)
    return path
  }

  /// How many times the fake ran for output name `name` in `outputDir`.
  static func attempts(_ name: String, outputDir: String) -> Int {
    Int(((try? String(contentsOfFile: "\(outputDir)/.fake-\(name).count", encoding: .utf8)) ?? "0").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
  }
}

/// A folder with a fake converter, an output folder, and plans written into it.
final class BatchSandbox {
  let temp: TempDir
  let converter: String
  var root: String { temp.path }
  var out: String { root + "/out" }

  init() throws {
    temp = try TempDir(prefix: "v2v-batch")
    converter = try FakeConverter.install(in: temp.path)
    try FileManager.default.createDirectory(atPath: root + "/out", withIntermediateDirectories: true)
  }

  /// A source path on `host` with fake behaviour, e.g. `source("a", host: "ds1", "read=0.5", "codes=1,0")`.
  func source(_ name: String, host: String = "ds1", _ behaviour: String...) -> String {
    "\(root)/\(host)/\(([name] + behaviour).joined(separator: "@")).vmx"
  }

  /// Writes `plan.yaml` (or `file`) and loads it.
  func plan(_ yaml: String, file: String = "plan.yaml") throws -> BatchPlan {
    let path = root + "/" + file
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    return try BatchPlan.load(path: path)
  }

  /// A plan over `machines` (`(name, source, extra yaml)`) with local output into ``out``.
  func planText(concurrency: Int = 1, perSourceHost: Int? = nil, retries: Int = 2, retryDelay: Double = 0.1, machines: [(String, String, String)]) -> String {
    var y = """
      defaults:
        output: local
        outputStorage: \(out)
      concurrency: \(concurrency)
      retries: \(retries)
      retryDelay: \(retryDelay)

      """
    if let perSourceHost { y += "perSourceHost: \(perSourceHost)\n" }
    y += "machines:\n"
    for (name, source, extra) in machines {
      y += "  - name: \(name)\n    input: vmx\n    source: \(source)\n"
      if !extra.isEmpty { y += extra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n" }
    }
    return y
  }

  func runner(_ plan: BatchPlan, wave: Int? = nil, index: Int? = nil) -> (BatchRunner, LogLines) {
    var o = RunOptions(binary: converter, wave: wave, index: index)
    o.pollInterval = 0.05
    o.stopGrace = 5
    let r = BatchRunner(plan: plan, options: o)
    let lines = LogLines()
    r.log = { lines.append($0) }
    return (r, lines)
  }
}

/// Log lines collected from the runner's threads.
final class LogLines: @unchecked Sendable {
  private let lock = NSLock()
  private var items: [String] = []
  func append(_ s: String) { lock.withLock { items.append(s) } }
  var all: [String] { lock.withLock { items } }
}

/// The largest number of intervals open at once (an end at the same instant as a start does not overlap).
func maxOverlap(_ intervals: [(Double, Double)]) -> Int {
  var events: [(time: Double, delta: Int)] = []
  for (start, end) in intervals {
    events.append((start, 1))
    events.append((end, -1))
  }
  events.sort { a, b in a.time < b.time || (a.time == b.time && a.delta < b.delta) }
  var open = 0
  var best = 0
  for (_, d) in events {
    open += d
    best = max(best, open)
  }
  return best
}
