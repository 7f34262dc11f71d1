import Foundation
import V2VProcess
import Testing
import V2VCore
import V2VModel
import V2VTestSupport

@Suite("qemu boot script", .offPool)
struct QemuScriptTests {
  typealias C = TargetCases

  static let cases: [(name: String, source: SourceVM)] = [
    ("bios-single-disk", C.biosSource), ("uefi-secureboot-two-disks", C.uefiSource),
    ("bridge-network-cdrom-floppy", C.xenSource),
  ]

  @Test("golden and bash -n clean", arguments: cases.map(\.name))
  func golden(_ name: String) throws {
    let source = Self.cases.first { $0.name == name }!.source
    let target = try C.plan(source, C.options(mappings: C.xenMappings)).target
    let script = QemuScript.script(for: target)
    try TargetGolden.check(script, file: name + ".qemu.sh")
    let tmp = try TempDir(prefix: "v2v-qemu-script")
    let path = tmp.path + "/" + QemuScript.fileName(for: target)
    try script.write(toFile: path, atomically: true, encoding: .utf8)
    let r = try ProcessRunner.run(["bash", "-n", path], timeout: 30)
    #expect(r.succeeded, "bash -n: \(r.stderr)")
  }

  @Test("the script's words are what qemu gets: quoting survives spaces, quotes and commas")
  func quoting() throws {
    var target = try C.plan(C.biosSource, C.options("it's a, test")).target
    target.disks[0].path = "/out dir/it's a, test-sda"
    let script = QemuScript.script(for: target)
    // Replace qemu with a printer of its arguments and run the script for real.
    let tmp = try TempDir(prefix: "v2v-qemu-script")
    let bin = tmp.path + "/bin"
    try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
    try "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n".write(
      toFile: bin + "/qemu-system-x86_64", atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/qemu-system-x86_64")
    try script.write(toFile: tmp.path + "/run.sh", atomically: true, encoding: .utf8)
    let path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    let r = try ProcessRunner.run(
      ["bash", tmp.path + "/run.sh", "-snapshot", "extra arg"], timeout: 30,
      environment: ["PATH": path, "V2V_ACCEL": "tcg", "V2V_CPU": "max,arch-capabilities=off"])
    #expect(r.succeeded, "\(r.stderr)")
    let words = r.stdout.split(separator: "\n").map(String.init)
    #expect(words.contains("it's a,, test"))
    #expect(words.contains("q35,accel=tcg"))
    #expect(words.contains("max,arch-capabilities=off"))
    #expect(words.contains("file=/out dir/it's a,, test-sda,format=raw,if=none,id=disk0,discard=unmap"))
    #expect(words.suffix(2) == ["-snapshot", "extra arg"])
  }

  @Test("a Windows target: Hyper-V enlightenments on the CPU, a local-time RTC, a USB tablet and VNC instead of the serial console")
  func windows() throws {
    var target = try C.plan(C.biosSource, C.options()).target
    target.hyperv = true
    target.clock = .localtime
    let script = QemuScript.script(for: target)
    #expect(script.contains("-cpu \"${V2V_CPU:-max,hv-relaxed,hv-vapic,hv-spinlocks=0x1fff,hv-time}\""))
    #expect(script.contains("-rtc base=localtime"))
    #expect(script.contains("-device qemu-xhci -device usb-tablet"))
    #expect(script.contains("-vnc 127.0.0.1:0") && !script.contains("-nographic"))
    let linux = QemuScript.script(for: try C.plan(C.biosSource, C.options()).target)
    #expect(!linux.contains("hv-relaxed") && !linux.contains("-rtc") && linux.contains("-nographic"))
  }

  @Test("UEFI: pflash code read-only, a per-guest variable store copied on first run; Secure Boot needs SMM")
  func uefi() throws {
    let target = try C.plan(C.uefiSource, C.options()).target
    let script = QemuScript.script(for: target)
    #expect(QemuScript.varsPath(for: target) == "\(C.outputDir)/win2k19-VARS.fd")
    #expect(script.contains("cp /usr/share/OVMF/OVMF_VARS_4M.ms.fd \"$vars\""))
    #expect(script.contains("if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.ms.fd"))
    #expect(script.contains(",smm=on"))
    var plain = target
    plain.secureBoot = false
    let p = QemuScript.script(for: plain, options: QemuScript.Options(varsDirectory: "/nvram"))
    #expect(p.contains("vars=/nvram/win2k19-VARS.fd"))
    #expect(p.contains("OVMF_CODE_4M.fd") && !p.contains("smm=on") && !p.contains(".ms.fd"))
    let bios = QemuScript.script(for: try C.plan(C.biosSource, C.options()).target)
    #expect(!bios.contains("pflash") && !bios.contains("vars="))
    #expect(bios.contains("-machine q35,accel=\"${V2V_ACCEL:-kvm:tcg}\" \\\n  -cpu \"${V2V_CPU:-max}\""))
    let tcg = QemuScript.script(
      for: try C.plan(C.biosSource, C.options()).target,
      options: QemuScript.Options(defaultAccelerators: "tcg", defaultCPU: "qemu64"))
    #expect(tcg.contains("${V2V_ACCEL:-tcg}") && tcg.contains("${V2V_CPU:-qemu64}"))
  }

  @Test(
    "shell quoting",
    arguments: [
      ("plain/path-1.img", "plain/path-1.img"), ("", "''"), ("a b", "'a b'"), ("it's", "'it'\\''s'"),
      ("$HOME", "'$HOME'"), ("a;b", "'a;b'"),
    ])
  func shellQuote(_ input: String, _ expected: String) {
    #expect(ShellQuote.quote(input) == expected)
  }
}
