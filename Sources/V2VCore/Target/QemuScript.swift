import V2VModel

/// `-o qemu -os DIR`: a bash script `NAME.sh` that boots the converted guest with `qemu-system-x86_64`
/// directly (no libvirt). Pure string generation; the writer saves it with mode 0755.
///
/// The script tries KVM then TCG (`accel=${V2V_ACCEL:-kvm:tcg}`) with `-cpu ${V2V_CPU:-max}`, puts the
/// serial console and the qemu monitor on the terminal (`-serial mon:stdio -nographic`), gives every NIC
/// qemu user networking with the source MAC, and passes its own arguments on to qemu. A UEFI guest gets OVMF from pflash and its own
/// copy of the variable store, made from the template next to the disks on first run.
public enum QemuScript {
  /// Firmware paths (Debian's `ovmf` package by default).
  public struct Options: Sendable, Equatable {
    /// UEFI firmware and variable-store templates.
    public var ovmf: OVMFPaths
    /// Where the guest's variable store lives; nil: next to the first disk.
    public var varsDirectory: String?
    /// `V2V_ACCEL`'s default: `kvm:tcg`, or `tcg` when the host's KVM probe failed.
    public var defaultAccelerators: String
    /// `V2V_CPU`'s default: `max` (all the accelerator offers; on some nested-KVM hosts `-cpu max` and
    /// `-cpu host` abort with "failed to set MSR 0x10a", and `V2V_CPU=max,arch-capabilities=off` helps).
    public var defaultCPU: String

    /// Creates options.
    public init(
      ovmf: OVMFPaths = .debian, varsDirectory: String? = nil, defaultAccelerators: String = "kvm:tcg",
      defaultCPU: String = "max"
    ) {
      self.ovmf = ovmf
      self.varsDirectory = varsDirectory
      self.defaultAccelerators = defaultAccelerators
      self.defaultCPU = defaultCPU
    }
  }

  /// The script's file name: `NAME.sh`.
  public static func fileName(for vm: TargetVM) -> String { "\(vm.name).sh" }

  /// The guest's UEFI variable store: `NAME-VARS.fd` in ``Options/varsDirectory`` or the first disk's directory.
  public static func varsPath(for vm: TargetVM, options: Options = Options()) -> String {
    let dir = options.varsDirectory ?? vm.disks.first.map { directory(of: $0.path) } ?? "."
    return dir + "/\(vm.name)-VARS.fd"
  }

  /// The script text.
  public static func script(for vm: TargetVM, options: Options = Options()) -> String {
    let q = ShellQuote.quote
    let opt = ShellQuote.qemuValue
    var lines: [String] = [
      "#!/bin/bash",
      "# Boots \(vm.name), converted by v2v, with qemu (no libvirt).",
      "#   V2V_ACCEL  accelerators to try in order (default \(options.defaultAccelerators))",
      "#   V2V_CPU    qemu -cpu value (default \(options.defaultCPU))",
      "#   arguments  are passed on to qemu (e.g. -snapshot, -display gtk)",
      "# Serial console and qemu monitor share this terminal: Ctrl-A X quits, Ctrl-A C toggles the monitor.",
      "set -euo pipefail",
      "",
    ]
    var machine = "\(vm.machine.rawValue),accel=\"${V2V_ACCEL:-\(options.defaultAccelerators)}\""
    var args: [String] = []
    if vm.firmware == .uefi {
      let secure = vm.secureBoot
      lines += [
        "vars=\(q(varsPath(for: vm, options: options)))",
        "if [ ! -f \"$vars\" ]; then",
        "  cp \(q(secure ? options.ovmf.secureVarsTemplate : options.ovmf.varsTemplate)) \"$vars\"",
        "fi",
        "",
      ]
      if secure {
        machine += ",smm=on"
        args.append("-global driver=cfi.pflash01,property=secure,value=on")
      }
      args.append(
        "-drive "
          + q("if=pflash,format=raw,unit=0,readonly=on,file=" + opt(secure ? options.ovmf.secureCode : options.ovmf.code))
      )
      args.append("-drive \"if=pflash,format=raw,unit=1,file=${vars//,/,,}\"")
    }
    var smp = "\(vm.vcpus)"
    if let t = vm.cpuTopology { smp += ",sockets=\(t.sockets),cores=\(t.cores),threads=\(t.threads)" }
    args =
      [
        "-name " + q(opt(vm.name)), "-machine " + machine,
        // Windows: the Hyper-V enlightenments the domain XML gives it (qemu accepts them under TCG too).
        "-cpu \"${V2V_CPU:-\(options.defaultCPU)\(vm.hyperv ? ",hv-relaxed,hv-vapic,hv-spinlocks=0x1fff,hv-time" : "")}\"",
        "-m \((vm.memoryBytes + (1 << 20) - 1) >> 20)", "-smp " + smp, "-uuid " + q(vm.uuid),
      ] + args
    if vm.disks.contains(where: { $0.bus == .scsi }) { args.append("-device virtio-scsi-pci,id=scsi0") }
    var sataPorts = 0
    for (i, d) in vm.disks.enumerated() {
      let drive = "file=\(opt(d.path)),format=\(d.format.rawValue),if=none,id=disk\(i),discard=unmap"
      let boot = d.bootOrder.map { ",bootindex=\($0)" } ?? ""
      let device: String
      switch d.bus {
      case .scsi: device = "scsi-hd,drive=disk\(i),bus=scsi0.0,scsi-id=\(i)"
      case .sata:
        // q35's built-in AHCI controller: qemu calls its ports ide.0 … ide.5.
        device = "ide-hd,drive=disk\(i),bus=ide.\(sataPorts)"
        sataPorts += 1
      default: device = "virtio-blk-pci,drive=disk\(i)"
      }
      args.append("-drive \(q(drive)) -device \(device)\(boot)")
    }
    args += removableArgs(vm.removableMedia, firstSATAPort: sataPorts)
    for (i, n) in vm.nics.enumerated() {
      let mac = n.mac.map { ",mac=\($0)" } ?? ""
      args.append("-netdev user,id=net\(i) -device \(n.model.qemuDevice),netdev=net\(i)\(mac)")
    }
    switch vm.video {
    case .virtio: args.append("-vga none -device virtio-vga")
    case .qxl, .cirrus: args.append("-vga \(vm.video.rawValue)")
    case .vga, .bochs: args.append("-vga std")
    }
    if vm.virtioRNG { args.append("-device virtio-rng-pci") }
    if vm.memoryBalloon { args.append("-device virtio-balloon-pci") }
    if vm.clock == .localtime { args.append("-rtc base=localtime") }
    if vm.hyperv {
      // Windows has no serial console: a tablet and a local VNC display (127.0.0.1:5900) instead.
      args += ["-device qemu-xhci -device usb-tablet", "-serial mon:stdio -display none -vnc 127.0.0.1:0", "\"$@\""]
    } else {
      args += ["-serial mon:stdio -nographic", "\"$@\""]
    }
    lines.append("exec qemu-system-x86_64 \\")
    for (i, a) in args.enumerated() { lines.append("  " + a + (i == args.count - 1 ? "" : " \\")) }
    return lines.joined(separator: "\n") + "\n"
  }

  /// CD-ROMs on the q35 AHCI ports (`ide.N` is qemu's name for SATA port N), floppies on an ISA controller.
  static func removableArgs(_ media: [TargetRemovable], firstSATAPort: Int = 0) -> [String] {
    var args: [String] = []
    var cd = 0
    var port = firstSATAPort
    var fd = 0
    for m in media {
      let file = m.path.map { ",format=raw,file=" + ShellQuote.qemuValue($0) } ?? ""
      switch m.kind {
      case .cdrom:
        args.append(
          "-drive " + ShellQuote.quote("if=none,id=cd\(cd),media=cdrom,readonly=on" + file)
            + " -device ide-cd,drive=cd\(cd),bus=ide.\(port)")
        cd += 1
        port += 1
      case .floppy:
        if fd == 0 { args.append("-device isa-fdc,id=fdc0") }
        args.append(
          "-drive " + ShellQuote.quote("if=none,id=fd\(fd)" + file) + " -device floppy,unit=\(fd),drive=fd\(fd)")
        fd += 1
      }
    }
    return args
  }

  private static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }
}
