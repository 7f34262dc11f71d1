import Foundation
import Testing
import V2VBatch

@Suite("UnitTests.Batch plan parsing and argv")
struct BatchPlanTests {
  static let issuePlan = """
    defaults:
      output: local
      outputStorage: /srv/converted
      outputFormat: qcow2
      verifyBoot: false
    concurrency: 2
    perSourceHost: 1
    retries: 2
    machines:
      - name: web01
        input: vmx
        source: /mnt/ds1/web01/web01.vmx
        sourceHost: ds1
        wave: 1
        options: {verifyBoot: true}
      - name: db01
        input: ova
        source: /mnt/ds2/db01.ova
        wave: 2
        options:
          outputName: db01-kvm
          network: [lan:br-lan, dmz:br-dmz]
          blockDriver: virtio-scsi
    """

  func parse(_ text: String) throws(PlanIssues) -> BatchPlan { try BatchPlan.parse(text, path: "fleet.yaml") }

  /// The issues of a bad plan, as `LINE: problem` strings.
  func issues(_ text: String) -> [PlanIssue] {
    do {
      _ = try parse(text)
      return []
    } catch {
      return error.issues
    }
  }

  @Test("the issue's plan parses: limits, waves, hosts, defaults merged with overrides")
  func parsesIssuePlan() throws {
    let plan = try parse(Self.issuePlan)
    #expect(plan.concurrency == 2)
    #expect(plan.perSourceHost == 1)
    #expect(plan.retries == 2)
    #expect(plan.machines.map(\.name) == ["web01", "db01"])
    #expect(plan.machines[0].sourceHost == "ds1")
    #expect(plan.machines[1].sourceHost == "/mnt/ds2")  // default: the source's directory
    #expect(plan.machines.map(\.wave) == [1, 2])
    #expect(plan.machines[0].options["verifyBoot"] == .bool(true))
    #expect(plan.machines[1].options["verifyBoot"] == .bool(false))
    #expect(plan.machines[1].options["outputFormat"] == .string("qcow2"))
    #expect(plan.machines[0].line == 10)
    #expect(plan.statePath.hasSuffix("/fleet.state.sqlite"))
    #expect(plan.resultsDirectory.hasSuffix("/fleet.results"))
  }

  @Test("argv: defaults then overrides, in option order, the output name defaulting to the machine's")
  func argvMapping() throws {
    let plan = try parse(Self.issuePlan)
    #expect(
      ConvertOptions.argv(for: plan.machines[0]) == [
        "convert", "-i", "vmx", "/mnt/ds1/web01/web01.vmx", "-o", "local", "-os", "/srv/converted", "-on", "web01",
        "-of", "qcow2", "--verify-boot", "--json",
      ])
    #expect(
      ConvertOptions.argv(for: plan.machines[1]) == [
        "convert", "-i", "ova", "/mnt/ds2/db01.ova", "-o", "local", "-os", "/srv/converted", "-on", "db01-kvm",
        "-of", "qcow2", "--network", "lan:br-lan", "--network", "dmz:br-dmz", "--block-driver", "virtio-scsi", "--json",
      ])
  }

  @Test("argv: every option kind (flags, numbers, integers, physical disk lists)")
  func argvKinds() throws {
    let plan = try parse(
      """
      machines:
        - name: p1
          input: physical
          source: [/dev/sdb, /dev/sdc]
          options: {output: physical, outputStorage: "/dev/sdx,/dev/sdy", grow: true, force: false, bootTimeout: 90.5,
                    memory: 4096, vcpus: 2, firmware: uefi, allowEmulated: true, accel: tcg, bridge: br0}
      """)
    #expect(
      ConvertOptions.argv(for: plan.machines[0]) == [
        "convert", "-i", "physical", "/dev/sdb", "/dev/sdc", "-o", "physical", "-os", "/dev/sdx,/dev/sdy", "-on", "p1",
        "--bridge", "br0", "--firmware", "uefi", "--grow", "--allow-emulated", "--accel", "tcg", "--boot-timeout", "90.5",
        "--memory", "4096", "--vcpus", "2", "--json",
      ])
    #expect(plan.machines[0].sourceHost == "/dev")
  }

  @Test("every validation error names the file, the line and the problem", arguments: [
    // (plan, line, words the problem must contain)
    ("concurrency: 2\nmachinez: []\nmachines:\n  - {name: a, input: vmx, source: /a.vmx}\n", 2, ["unknown plan key 'machinez'", "did you mean 'machines'"]),
    ("machines:\n  - {name: a, input: vmx, source: /a.vmx}\n  - {name: a, input: vmx, source: /b.vmx}\n", 3, ["duplicate machine name 'a'", "line 2"]),
    ("machines:\n  - name: a\n    input: vmdk\n    source: /a.vmx\n", 3, ["bad input kind 'vmdk'", "vmx, ova, xen, libvirtxml, physical"]),
    ("machines:\n  - name: a\n    input: vmx\n", 2, ["machine 'a': missing `source`"]),
    ("concurrency: 0\nmachines:\n  - {name: a, input: vmx, source: /a.vmx}\n", 1, ["concurrency must be at least 1"]),
    ("machines:\n  - name: a\n    input: vmx\n    source: /a.vmx\n    options:\n      verifyboot: true\n", 6, ["unknown option 'verifyboot'", "did you mean 'verifyBoot'"]),
    ("machines:\n  - name: a\n    input: vmx\n    source: /a.vmx\n    options: {verifyBoot: maybe}\n", 5, ["verifyBoot: expected true or false, got 'maybe'"]),
    ("defaults:\n  outputFormat: vmdk\nmachines:\n  - {name: a, input: vmx, source: /a.vmx}\n", 2, ["outputFormat: expected one of raw, qcow2"]),
    ("concurrency: two\nmachines:\n  - {name: a, input: vmx, source: /a.vmx}\n", 1, ["concurrency: expected an integer, got 'two'"]),
    ("machines:\n  - name: a\n    input: vmx\n    source: /a.vmx\n    wave: [1]\n", 5, ["wave: expected an integer"]),
    ("machines:\n  - name: a\n    input: vmx\n    source: /a.vmx\n    options: {json: true}\n", 5, ["unknown option 'json'", "the batch sets it"]),
    ("defaults: {output: local}\nmachines:\n  - {name: a, input: vmx, source: /a.vmx}\n", 3, ["output local needs outputStorage"]),
    ("machines:\n  - name: a\n    input: vmx\n    source: /a.vmx\n    colour: red\n", 5, ["unknown machine key 'colour'"]),
    ("machines:\n  - name: ../x\n    input: vmx\n    source: /a.vmx\n", 2, ["machines[0].name"]),
    ("machines:\n  - name: a\n    input: vmx\n    source: [/a.vmx, /b.vmx]\n", 4, ["a list of disks is only for input physical"]),
    ("machines: [\n  {name: a\n", 3, ["not valid YAML"]),
  ] as [(String, Int, [String])])
  func validationErrors(text: String, line: Int, words: [String]) {
    let found = issues(text)
    #expect(found.count == 1, "\(found)")
    guard let issue = found.first else { return }
    #expect(issue.file == "fleet.yaml")
    #expect(issue.line == line, "\(issue)")
    for w in words { #expect(issue.problem.contains(w), "\(issue)") }
    #expect(issue.description.hasPrefix("fleet.yaml:\(line): "))
    #expect(!issue.description.contains("\n"))
  }

  @Test("all the problems of a plan are reported at once, each on its own line")
  func allIssuesAtOnce() {
    let found = issues(
      """
      concurrency: 0
      retries: -1
      machines:
        - name: a
          input: vmdk
          source: /a.vmx
        - name: b
          input: vmx
      """)
    #expect(found.map(\.line) == [1, 2, 5, 7])
  }

  @Test("selection: --wave and --index pick in plan order; a bad index is refused")
  func selection() throws {
    let plan = try parse(Self.issuePlan)
    #expect(try plan.select(wave: nil, index: 1).map(\.name) == ["db01"])
    #expect(try plan.select(wave: 2, index: 0).map(\.name) == ["db01"])
    #expect(try plan.select(wave: 1, index: nil).map(\.name) == ["web01"])
    #expect(throws: PlanIssue.self) { try plan.select(wave: nil, index: 2) }
    #expect(throws: PlanIssue.self) { try plan.select(wave: 7, index: nil) }
  }
}
