import Foundation
import Hivex
import V2VCore
import V2VDrivers
import V2VModel

/// The work left for Windows itself on its first boot on KVM, run by a local Group Policy **startup
/// script**: Windows runs it as SYSTEM at startup, before anyone can log on, with no helper program
/// (virt-v2v needs rhsrvany.exe or pvvxsvc.exe, which Debian does not ship). The script installs the
/// remaining drivers with pnputil, installs the QEMU guest agent, uninstalls VMware Tools, logs to
/// `C:\ProgramData\v2v\firstboot.log`, and then removes itself: the policy files are restored from the copies
/// kept beside the log, its registry entries deleted and the script file deleted.
///
/// Why a startup script: it is a documented mechanism (scripts.ini, gpt.ini) that every Windows edition since
/// 2000 runs as SYSTEM before logon, synchronously by default; a service needs a binary that talks to the
/// service manager (cmd.exe does not, and is killed after 30 s), a scheduled task is stored in an
/// undocumented binary registry form, and RunOnce waits for an administrator to log on. Its weakness: a
/// domain policy can turn local policy off (`DisableLGPOProcessing`); v2v warns when the guest says so.
enum FirstBoot {
  /// The Scripts client-side extension and its editor extension, as gpt.ini lists them.
  static let scriptsExtension = "[{42B5FAAE-6536-11D2-AE5A-0000F87570BE}{40B6664F-4972-11D1-A7CA-0000F87571E3}]"
  static let scriptName = "v2v-firstboot.cmd"

  /// VMware services that fail without VMware's devices, disabled until the uninstall removes them.
  static let vmwareServices = [
    "VMTools", "VGAuthService", "vm3dservice", "vmvss", "VMwareCAFCommAmqpListener", "VMwareCAFManagementAgentHost",
  ]

  static func plan(_ drivers: WindowsDriverSet, guest: WindowsGuest, plan: WindowsPlan) throws {
    let session = guest.session
    let drive = guest.systemDrive
    let winRoot = guest.windowsSystemRoot
    let data = try WindowsPaths.place("/ProgramData/v2v", in: session)
    let keep = data + "/firstboot"
    let why = "first boot on KVM: drivers, guest agent, VMware Tools removal (run once by Windows as SYSTEM)"
    plan.makeDirectory(keep, reason: why)

    // Disable VMware's services now; the uninstall removes them.
    let present = Set(guest.services.map { $0.lowercased() })
    var disabled: [String] = []
    for s in vmwareServices where present.contains(s.lowercased()) {
      let name = guest.services.first { $0.lowercased() == s.lowercased() } ?? s
      plan.system([.set(key: guest.cs("Services", name), name: "Start", value: .dword(4))], reason: "VMware services fail without VMware's virtual hardware; disabled until VMware Tools is uninstalled")
      disabled.append(name)
    }

    // VMware Tools, found through its uninstall entry.
    let tools = guest.installedPrograms.filter { $0.name.lowercased().hasPrefix("vmware tools") }
    var uninstall: [(name: String, product: String)] = []
    for t in tools {
      if let code = productCode(key: t.key, uninstallString: t.uninstallString), t.windowsInstaller || (t.uninstallString ?? "").lowercased().contains("msiexec") {
        uninstall.append((t.name, code))
      } else {
        plan.warn("\(t.name) is installed but not as a Windows Installer product: remove it by hand after the first boot")
      }
    }

    // Files: the agent installer, the script, the policy files (originals kept for the script to restore).
    var agent: String?
    if let msi = drivers.guestAgent {
      let name = URL(fileURLWithPath: msi).lastPathComponent
      plan.upload(msi, to: "\(keep)/\(name)", reason: "the QEMU guest agent, installed at first boot")
      agent = name
    }
    let gp = try WindowsPaths.place("\(guest.systemRoot)/System32/GroupPolicy", in: session)
    let scripts = try WindowsPaths.place("\(gp)/Machine/Scripts", in: session)
    let startup = try WindowsPaths.place("\(scripts)/Startup", in: session)
    plan.makeDirectory(startup, reason: why)
    let gptPath = try WindowsPaths.resolve("\(gp)/gpt.ini", in: session)
    let iniPath = try WindowsPaths.resolve("\(scripts)/scripts.ini", in: session)
    let gptOld = try gptPath.flatMap { try session.readFile($0) }
    let iniOld = try iniPath.flatMap { try session.readFile($0) }
    if let gptOld { plan.write("\(keep)/gpt.ini.orig", gptOld, reason: why, summary: "\(keep)/gpt.ini.orig (the guest's own)") }
    if let iniOld { plan.write("\(keep)/scripts.ini.orig", iniOld, reason: why, summary: "\(keep)/scripts.ini.orig (the guest's own)") }

    let winScripts = winRoot + "\\System32\\GroupPolicy\\Machine\\Scripts"
    let cmdLine = winScripts + "\\Startup\\" + scriptName
    let (ini, index) = scriptsINI(adding: cmdLine, to: iniOld)
    plan.write(gptPath ?? "\(gp)/gpt.ini", Array(gptINI(gptOld).utf8), reason: why, summary: "\(gp)/gpt.ini: the Scripts extension, version raised")
    plan.write(iniPath ?? "\(scripts)/scripts.ini", ini, reason: why, summary: "\(scripts)/scripts.ini: [Startup] \(index)CmdLine=\(cmdLine)")

    // The registry copy of the local policy's startup scripts (Windows refreshes it from scripts.ini too).
    let gpo = ["Microsoft", "Windows", "CurrentVersion", "Group Policy"]
    var regKeys: [String] = []
    for base in [gpo + ["Scripts", "Startup"], gpo + ["State", "Machine", "Scripts", "Startup"]] {
      let existing = guest.software.subkeys(base)
      let local = existing.first { guest.software.string(base + [$0], "GPO-ID") == "LocalGPO" }
      let slot = local ?? String(existing.count)
      let script = String(guest.software.subkeys(base + [slot]).count)
      var c: [RegistryChange] = []
      if local == nil {
        c += [
          .set(key: base + [slot], name: "GPO-ID", value: .string("LocalGPO")),
          .set(key: base + [slot], name: "SOM-ID", value: .string("Local")),
          .set(key: base + [slot], name: "FileSysPath", value: .string(winRoot + "\\System32\\GroupPolicy\\Machine")),
          .set(key: base + [slot], name: "DisplayName", value: .string("Local Group Policy")),
          .set(key: base + [slot], name: "GPOName", value: .string("Local Group Policy")),
          .set(key: base + [slot], name: "PSScriptOrder", value: .dword(1)),
        ]
        regKeys.append((["HKLM\\SOFTWARE"] + base + [slot]).joined(separator: "\\"))
      } else {
        regKeys.append((["HKLM\\SOFTWARE"] + base + [slot, script]).joined(separator: "\\"))
      }
      c += [
        .set(key: base + [slot, script], name: "Script", value: .string(cmdLine)),
        .set(key: base + [slot, script], name: "Parameters", value: .string("")),
        .set(key: base + [slot, script], name: "IsPowershell", value: .dword(0)),
        .set(key: base + [slot, script], name: "ExecTime", value: .binary([UInt8](repeating: 0, count: 16))),
      ]
      plan.software(c, reason: "the startup script that finishes the conversion at first boot")
    }

    let script = firstBootScript(
      release: guest.release, drive: drive, agent: agent, uninstall: uninstall, disabled: disabled,
      gptRestore: gptOld != nil, iniRestore: iniOld != nil, winScripts: winScripts, regKeys: regKeys)
    plan.write("\(startup)/\(scriptName)", Array(script.utf8), reason: why, summary: "\(startup)/\(scriptName): the first-boot script (log: \(drive)\\ProgramData\\v2v\\firstboot.log)")
  }

  /// A Windows Installer product code from the uninstall key's name (`{GUID}`) or its `MsiExec.exe /X{GUID}`.
  static func productCode(key: String, uninstallString: String?) -> String? {
    func guid(_ s: String) -> String? {
      guard let open = s.firstIndex(of: "{"), let close = s[open...].firstIndex(of: "}") else { return nil }
      let g = String(s[open...close])
      return g.count == 38 ? g : nil
    }
    return guid(key) ?? uninstallString.flatMap(guid)
  }

  /// gpt.ini with the Scripts extension listed and the machine version raised (low 16 bits), so Windows
  /// re-reads the local policy at the next start.
  static func gptINI(_ old: [UInt8]?) -> String {
    let text = old.map { String(decoding: $0, as: UTF8.self) } ?? "[General]\r\n"
    var lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    while lines.last == "" { lines.removeLast() }
    if !lines.contains(where: { $0.trimmingCharacters(in: .whitespaces).lowercased() == "[general]" }) { lines.insert("[General]", at: 0) }
    func index(_ key: String) -> Int? {
      lines.firstIndex { $0.split(separator: "=", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } == key.lowercased() }
    }
    func value(_ i: Int) -> String { String(lines[i].split(separator: "=", maxSplits: 1).dropFirst().first ?? "") }
    let general = lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).lowercased() == "[general]" }!
    if let i = index("gPCMachineExtensionNames") {
      let v = value(i)
      if !v.uppercased().contains("42B5FAAE-6536-11D2-AE5A-0000F87570BE") { lines[i] = "gPCMachineExtensionNames=" + scriptsExtension + v }
    } else {
      lines.insert("gPCMachineExtensionNames=" + scriptsExtension, at: general + 1)
    }
    if let i = index("Version") {
      let v = UInt32(value(i).trimmingCharacters(in: .whitespaces)) ?? 0
      lines[i] = "Version=\((v & 0xffff_0000) | ((v & 0xffff) &+ 1) & 0xffff)"
    } else {
      lines.insert("Version=1", at: general + 1)
    }
    return lines.joined(separator: "\r\n") + "\r\n"
  }

  /// scripts.ini (UTF-16LE with a byte-order mark, as Windows writes it) with `cmdLine` appended to
  /// `[Startup]`; returns the bytes and the index used.
  static func scriptsINI(adding cmdLine: String, to old: [UInt8]?) -> ([UInt8], Int) {
    var text = old.map(decodeINI) ?? ""
    text = text.replacingOccurrences(of: "\r\n", with: "\n")
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    while lines.last == "" { lines.removeLast() }
    var start = lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).lowercased() == "[startup]" }
    if start == nil {
      lines.append("[Startup]")
      start = lines.count - 1
    }
    var end = start! + 1
    var used = Set<Int>()
    while end < lines.count, !lines[end].hasPrefix("[") {
      let key = lines[end].split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
      if key.lowercased().hasSuffix("cmdline"), let n = Int(key.dropLast(7)) { used.insert(n) }
      end += 1
    }
    let index = (used.max() ?? -1) + 1
    lines.insert(contentsOf: ["\(index)CmdLine=\(cmdLine)", "\(index)Parameters="], at: end)
    let out = lines.joined(separator: "\r\n") + "\r\n"
    return ([0xff, 0xfe] + out.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }, index)
  }

  /// An INI file's text: UTF-16 with a byte-order mark, else UTF-8.
  static func decodeINI(_ b: [UInt8]) -> String {
    if b.count >= 2, b[0] == 0xff, b[1] == 0xfe {
      let units = stride(from: 2, to: b.count - 1, by: 2).map { UInt16(b[$0]) | UInt16(b[$0 + 1]) << 8 }
      return String(decoding: units, as: UTF16.self)
    }
    return String(decoding: b, as: UTF8.self)
  }

  /// The script (CRLF line ends, plain ASCII: cmd.exe reads it in the OEM code page).
  static func firstBootScript(
    release: WindowsRelease, drive: String, agent: String?, uninstall: [(name: String, product: String)], disabled: [String],
    gptRestore: Bool, iniRestore: Bool, winScripts: String, regKeys: [String]
  ) -> String {
    let dir = "\(drive)\\ProgramData\\v2v"
    var s: [String] = [
      "@echo off",
      "rem v2v first boot on KVM: installs the virtio drivers and the QEMU guest agent, uninstalls VMware Tools,",
      "rem then removes itself. Windows runs it once, as SYSTEM, at startup (a local Group Policy startup script).",
      "setlocal EnableExtensions",
      "set \"V2V=\(dir)\"",
      "set \"LOG=%V2V%\\firstboot.log\"",
      "if exist \"%V2V%\\firstboot.done\" goto cleanup",
      ">>\"%LOG%\" echo [%DATE% %TIME%] v2v first boot on %COMPUTERNAME%: start",
      "",
      "rem 1. Drivers: every virtio driver v2v copied, for the devices KVM gives this machine.",
      ">>\"%LOG%\" echo [%DATE% %TIME%] installing drivers from %SystemRoot%\\Drivers\\VirtIO",
    ]
    if release.major >= 10 && (release.build == 0 || release.build >= 14393) {
      s.append("pnputil /add-driver \"%SystemRoot%\\Drivers\\VirtIO\\*.inf\" /subdirs /install >>\"%LOG%\" 2>&1")
    } else {
      s.append("for /r \"%SystemRoot%\\Drivers\\VirtIO\" %%I in (*.inf) do pnputil -i -a \"%%I\" >>\"%LOG%\" 2>&1")
    }
    s.append(">>\"%LOG%\" echo [%DATE% %TIME%] pnputil exit code %ERRORLEVEL%")
    if let agent {
      s += [
        "",
        "rem 2. The QEMU guest agent (clean shutdown, freeze/thaw for backups, IP addresses for the host).",
        ">>\"%LOG%\" echo [%DATE% %TIME%] installing the QEMU guest agent",
        "msiexec /i \"%V2V%\\firstboot\\\(agent)\" /qn /norestart /l*v \"%V2V%\\qemu-ga-install.log\"",
        ">>\"%LOG%\" echo [%DATE% %TIME%] guest agent installer exit code %ERRORLEVEL% (0 or 3010: installed)",
      ]
    }
    for u in uninstall {
      s += [
        "",
        "rem 3. \(u.name): its services were disabled by v2v; now remove it.",
        ">>\"%LOG%\" echo [%DATE% %TIME%] uninstalling \(u.name) \(u.product)",
        "msiexec /x \(u.product) /qn /norestart REBOOT=ReallySuppress /l*v \"%V2V%\\vmware-tools-uninstall.log\"",
        ">>\"%LOG%\" echo [%DATE% %TIME%] uninstaller exit code %ERRORLEVEL% (0 or 3010: removed)",
      ]
    }
    if !disabled.isEmpty {
      s.append(">>\"%LOG%\" echo [%DATE% %TIME%] VMware services disabled by v2v: \(disabled.joined(separator: " "))")
    }
    s += [
      "",
      "echo done>\"%V2V%\\firstboot.done\"",
      ":cleanup",
      "rem 4. Remove the startup script: the guest's own policy files back, the registry entries, this file.",
    ]
    s.append(
      gptRestore
        ? "copy /y \"%V2V%\\firstboot\\gpt.ini.orig\" \"%SystemRoot%\\System32\\GroupPolicy\\gpt.ini\" >nul"
        : "del /f /q \"%SystemRoot%\\System32\\GroupPolicy\\gpt.ini\" >nul 2>&1")
    s.append(
      iniRestore
        ? "copy /y \"%V2V%\\firstboot\\scripts.ini.orig\" \"\(winScripts)\\scripts.ini\" >nul"
        : "del /f /q /a:h \"\(winScripts)\\scripts.ini\" >nul 2>&1 & del /f /q \"\(winScripts)\\scripts.ini\" >nul 2>&1")
    for k in regKeys { s.append("reg delete \"\(k)\" /f >nul 2>&1") }
    s += [
      ">>\"%LOG%\" echo [%DATE% %TIME%] v2v first boot: finished; this script removes itself",
      "(goto) 2>nul & del \"%~f0\"",
    ]
    return s.joined(separator: "\r\n") + "\r\n"
  }
}
