import Foundation
import Yams

/// `v2v batch emit kubernetes PLAN -o DIR`: the plan as Kubernetes objects.
///
/// - `configmap.yaml`: a ConfigMap holding the plan text;
/// - `job-wave-N.yaml`: one Indexed Job per wave (apply them in order, waiting for each): one completion
///   index per machine of the wave, `parallelism` = the plan's `concurrency`; each pod copies the plan to the
///   shared state volume and runs `v2v batch run PLAN --wave N --index $JOB_COMPLETION_INDEX`, which writes
///   `PLAN.results/NAME.json` there (no shared SQLite: docs/batch.md). Exit codes of deterministic failures
///   (docs/exit-codes.md) fail their index at once (`podFailurePolicy` FailIndex); transient ones are
///   retried inside the pod, and a pod lost to a node gets one more try (`backoffLimitPerIndex: 1`);
/// - `Containerfile`: the `v2v` binary on Debian 12 with the packages it runs.
///
/// Volumes: the state claim at `/batch`, the sources claim read-only at the sources' common folder, and the
/// outputs claim at each file output's `outputStorage` (sub-path = that path), so pods on any node see the
/// same paths as the plan.
public struct KubernetesEmitter {
  /// What to emit.
  public struct Settings: Sendable {
    public var image = "localhost/v2v:latest"
    public var namespace: String?
    public var stateClaim = "v2v-batch-state"
    public var sourcesClaim = "v2v-sources"
    public var outputsClaim = "v2v-outputs"
    /// Per-pod resources. nil memory: sized from the measured peak (``Sizing``), raised for a wave with
    /// `verifyBoot` machines (the boot test's guest).
    public var cpuRequest = "1"
    public var memoryRequest: String?
    public var memoryLimit: String?
    public init() {}
  }

  /// Pod memory, from measurement rather than guesses.
  public enum Sizing {
    /// The largest RSS of one conversion (its `v2v convert` and every descendant: the libguestfs appliance's
    /// qemu under TCG, qemu-img, nbdkit), sampled every 0.2 s by Benchmarks/batch-throughput.sh on the 2-core
    /// Debian 12 test host on 2026-12-02: 1082 MiB (phony Server 2019, 8 conversions at concurrency 1 and 2;
    /// the appliance's qemu is most of it). docs/batch.md, "Throughput".
    public static let measuredConversionPeakMiB = 1082
    /// The boot test's guest gets its own memory, capped at 2 GiB (BootVerifier), plus qemu's own; it runs
    /// after the appliance is gone, so a `verifyBoot` pod needs the larger of the two, not their sum.
    public static let bootTestPeakMiB = 2048 + 256
    /// Request: the peak plus a quarter (sampling misses short peaks; page cache of the copy), in 256 MiB
    /// steps. Limit: twice the request, so a bigger guest's appliance work is throttled, not OOM-killed.
    public static func request(verifyBoot: Bool) -> Int {
      let peak = max(measuredConversionPeakMiB, verifyBoot ? bootTestPeakMiB : 0)
      return (peak + peak / 4 + 255) / 256 * 256
    }
    public static func limit(verifyBoot: Bool) -> Int { 2 * request(verifyBoot: verifyBoot) }
    /// `1536Mi`, or `2Gi` when whole.
    public static func quantity(_ mib: Int) -> String { mib % 1024 == 0 ? "\(mib / 1024)Gi" : "\(mib)Mi" }
  }

  public let plan: BatchPlan
  public let planText: String
  public let settings: Settings

  public init(plan: BatchPlan, planText: String, settings: Settings = Settings()) {
    self.plan = plan
    self.planText = planText
    self.settings = settings
  }

  /// A DNS-1123 label from the plan's file name.
  public var baseName: String {
    let stem = (plan.stem as NSString).lastPathComponent.lowercased()
    var s = String(stem.map { $0.isLetter && $0.isASCII || $0.isNumber ? $0 : "-" })
    while s.contains("--") { s = s.replacingOccurrences(of: "--", with: "-") }
    s = s.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
    return "v2v-" + String((s.isEmpty ? "plan" : s).prefix(40)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
  }

  /// File name → content.
  public func files() throws -> [(name: String, content: String)] {
    var out: [(String, String)] = [("configmap.yaml", try yaml(configMap)), ("Containerfile", Self.containerfile)]
    for wave in plan.waves { out.append(("job-wave-\(wave).yaml", try yaml(job(wave: wave)))) }
    return out
  }

  /// Writes ``files()`` into `directory` (created); returns their paths.
  @discardableResult
  public func write(to directory: String) throws -> [String] {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return try files().map { f in
      let p = directory + "/" + f.name
      try f.content.write(toFile: p, atomically: true, encoding: .utf8)
      return p
    }
  }

  /// The plan text a `configmap.yaml` holds (`data: plan.yaml`).
  public static func planText(configMap: String) -> String? {
    guard let object = try? Yams.load(yaml: configMap) as? [String: Any] else { return nil }
    return (object["data"] as? [String: Any])?["plan.yaml"] as? String
  }

  func yaml(_ object: [String: Any]) throws -> String { try Yams.dump(object: object, sortKeys: true) }

  var labels: [String: Any] { ["app.kubernetes.io/name": "v2v", "app.kubernetes.io/instance": baseName] }

  func metadata(_ name: String, extra: [String: Any] = [:]) -> [String: Any] {
    var m: [String: Any] = ["name": name, "labels": labels.merging(extra) { $1 }]
    if let ns = settings.namespace { m["namespace"] = ns }
    return m
  }

  var configMap: [String: Any] {
    ["apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(baseName + "-plan"), "data": ["plan.yaml": planText]]
  }

  /// The plan's name inside the pods (on the state volume).
  var podPlanPath: String { "/batch/" + (plan.absolutePath as NSString).lastPathComponent }

  /// The folder every source path lies under (mounted from the sources claim).
  var sourcesRoot: String {
    let dirs = plan.machines.flatMap(\.sources).filter { $0.hasPrefix("/") }.map { ($0 as NSString).deletingLastPathComponent }
    guard var common = dirs.first?.split(separator: "/").map(String.init) else { return "/sources" }
    for d in dirs.dropFirst() {
      let parts = d.split(separator: "/").map(String.init)
      common = Array(zip(common, parts).prefix { $0 == $1 }.map(\.0))
    }
    return common.isEmpty ? "/sources" : "/" + common.joined(separator: "/")
  }

  /// The distinct file-output folders (local, qemu).
  var outputDirectories: [String] {
    Array(Set(plan.machines.filter { ["local", "qemu"].contains($0.outputKind) }.compactMap(\.outputStorage))).sorted()
  }

  func job(wave: Int) -> [String: Any] {
    let count = plan.machines.filter { $0.wave == wave }.count
    let boots = plan.machines.contains { $0.wave == wave && $0.verifyBoot }
    let script = """
      set -e
      tmp="\(podPlanPath).$$.tmp"
      cp /config/plan.yaml "$tmp" && mv -f "$tmp" "\(podPlanPath)"
      exec v2v batch run "\(podPlanPath)" --wave \(wave) --index "$JOB_COMPLETION_INDEX"
      """
    var mounts: [[String: Any]] = [
      ["name": "plan", "mountPath": "/config", "readOnly": true],
      ["name": "state", "mountPath": "/batch"],
      ["name": "sources", "mountPath": sourcesRoot, "readOnly": true],
    ]
    for dir in outputDirectories {
      mounts.append(["name": "outputs", "mountPath": dir, "subPath": String(dir.drop { $0 == "/" })])
    }
    let container: [String: Any] = [
      "name": "v2v",
      "image": settings.image,
      "command": ["/bin/sh", "-c"],
      "args": [script],
      "env": [["name": "LIBGUESTFS_BACKEND", "value": "direct"], ["name": "TMPDIR", "value": "/work"]],
      "resources": [
        "requests": ["cpu": settings.cpuRequest, "memory": settings.memoryRequest ?? Sizing.quantity(Sizing.request(verifyBoot: boots))],
        "limits": ["memory": settings.memoryLimit ?? Sizing.quantity(Sizing.limit(verifyBoot: boots))],
      ],
      "volumeMounts": mounts + [["name": "work", "mountPath": "/work"]],
    ]
    let volumes: [[String: Any]] = [
      ["name": "plan", "configMap": ["name": baseName + "-plan"]],
      ["name": "state", "persistentVolumeClaim": ["claimName": settings.stateClaim]],
      ["name": "sources", "persistentVolumeClaim": ["claimName": settings.sourcesClaim, "readOnly": true]],
      ["name": "outputs", "persistentVolumeClaim": ["claimName": settings.outputsClaim]],
      ["name": "work", "emptyDir": [String: Any]()],
    ]
    let waveLabel = ["v2v.example.org/wave": String(wave)]
    return [
      "apiVersion": "batch/v1",
      "kind": "Job",
      "metadata": metadata("\(baseName)-wave-\(wave)", extra: waveLabel),
      "spec": [
        "completionMode": "Indexed",
        "completions": count,
        "parallelism": min(plan.concurrency, count),
        "backoffLimitPerIndex": 1,
        "maxFailedIndexes": count,
        "podFailurePolicy": [
          "rules": [
            [
              "action": "FailIndex",
              "onExitCodes": ["containerName": "v2v", "operator": "In", "values": [1, 3, 4, 5, 6, 7, 8, 64]],
            ],
            ["action": "Ignore", "onPodConditions": [["type": "DisruptionTarget"]]],
          ]
        ],
        "template": [
          "metadata": ["labels": labels.merging(waveLabel) { $1 }],
          "spec": [
            "restartPolicy": "Never",
            "containers": [container],
            "volumes": volumes,
          ] as [String: Any],
        ] as [String: Any],
      ] as [String: Any],
    ]
  }

  /// The image: v2v built on Debian 12 and the packages it runs with (scripts/setup-host.sh's runtime half).
  public static let containerfile = """
    # v2v for `v2v batch` pods (docs/batch.md). Build from the repository root:
    #   podman build -f k8s/Containerfile -t localhost/v2v:latest .
    FROM docker.io/library/swift:6.1-bookworm AS build
    RUN apt-get update -q && apt-get install -y -q --no-install-recommends \\
          libguestfs-dev libvirt-dev libxml2-dev libhivex-dev libssl-dev libsqlite3-dev pkg-config \\
        && rm -rf /var/lib/apt/lists/*
    WORKDIR /src
    COPY . .
    RUN swift build -c release --product v2v --static-swift-stdlib \\
        && install -D "$(swift build -c release --show-bin-path)/v2v" /out/v2v

    FROM docker.io/library/debian:12-slim
    RUN apt-get update -q && apt-get install -y -q --no-install-recommends \\
          libguestfs-tools libguestfs0 linux-image-amd64 \\
          libvirt0 libvirt-daemon libvirt-daemon-driver-qemu \\
          libxml2 libxml2-utils libhivex0 libssl3 libsqlite3-0 \\
          qemu-utils qemu-system-x86 nbdkit libnbd-bin ovmf \\
          openssh-client xorriso ca-certificates \\
        && rm -rf /var/lib/apt/lists/*
    COPY --from=build /out/v2v /usr/local/bin/v2v
    ENV LIBGUESTFS_BACKEND=direct
    ENTRYPOINT ["/usr/local/bin/v2v"]

    """
}
