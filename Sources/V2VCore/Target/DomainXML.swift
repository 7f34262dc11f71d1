import V2VModel

/// Builds the libvirt domain XML of a ``TargetVM`` (pure; validated against libvirt's schema in tests).
///
/// Decisions: `<domain type='kvm'>` with `<cpu mode='host-model'>` under KVM; under TCG `type='qemu'` with
/// `<cpu mode='maximum'>` (libvirt ≥ 7.1 maps it to qemu's `-cpu max`; host-model and host-passthrough
/// need KVM). UEFI uses firmware auto-selection (`<os firmware='efi'>`) with the secure-boot feature stated
/// either way, so libvirt never picks a Secure Boot build for a guest that did not use it. VNC listens on
/// 127.0.0.1 through a `<listen type='address'>` child (the form libvirt itself writes).
public enum DomainXML {
  /// The namespace of v2v's own `<metadata>` child.
  public static let v2vNamespace = "http://v2v.invalid/xmlns/domain/1.0"
  /// libosinfo's metadata namespace (read by virt-manager, virt-install, cockpit).
  public static let libosinfoNamespace = "http://libosinfo.org/xmlns/libvirt/domain/1.0"

  /// How the guest's CPU is presented.
  public enum CPUMode: Sendable, Equatable {
    /// The host CPU's model and features, migratable (KVM only).
    case hostModel
    /// The host CPU as it is (KVM only).
    case hostPassthrough
    /// Everything the accelerator can offer (qemu `-cpu max`; works under TCG and KVM).
    case maximum
    /// A named qemu CPU model (`qemu64`, `Skylake-Client`).
    case custom(String)
  }

  /// Rendering choices that are not part of the machine itself.
  public struct Options: Sendable, Equatable {
    /// KVM gives `type='kvm'`, TCG `type='qemu'`.
    public var accelerator: Accelerator
    /// The CPU mode; nil picks host-model under KVM and maximum under TCG.
    public var cpuMode: CPUMode?
    /// Address VNC listens on; nil for no graphics device.
    public var vncListen: String?

    /// Creates options.
    public init(
      accelerator: Accelerator = .kvm, cpuMode: CPUMode? = nil, vncListen: String? = "127.0.0.1"
    ) {
      self.accelerator = accelerator
      self.cpuMode = cpuMode
      self.vncListen = vncListen
    }

    /// The CPU mode in effect.
    public var effectiveCPUMode: CPUMode { cpuMode ?? (accelerator == .kvm ? .hostModel : .maximum) }
  }

  /// The domain document's root element.
  public static func element(for vm: TargetVM, options: Options = Options()) -> XMLElement {
    XMLElement("domain", [("type", options.accelerator == .kvm ? "kvm" : "qemu")]) {
      XMLElement("name", text: vm.name)
      XMLElement("uuid", text: vm.uuid)
      if let g = vm.genid { XMLElement("genid", text: g) }
      metadata(vm)
      XMLElement("memory", [("unit", "KiB")], text: String(kib(vm.memoryBytes)))
      XMLElement("currentMemory", [("unit", "KiB")], text: String(kib(vm.memoryBytes)))
      XMLElement("vcpu", [("placement", "static")], text: String(vm.vcpus))
      os(vm)
      XMLElement("features") {
        XMLElement("acpi")
        XMLElement("apic")
        if vm.hyperv {
          // Windows runs markedly better with these: no false watchdog timeouts, fewer exits on APIC
          // access and on contended spinlocks.
          XMLElement("hyperv", [("mode", "custom")]) {
            XMLElement("relaxed", [("state", "on")])
            XMLElement("vapic", [("state", "on")])
            XMLElement("spinlocks", [("state", "on"), ("retries", "8191")])
          }
        }
        if vm.firmware == .uefi && vm.secureBoot { XMLElement("smm", [("state", "on")]) }
      }
      cpu(vm, mode: options.effectiveCPUMode)
      XMLElement("clock", [("offset", vm.clock.rawValue)]) {
        XMLElement("timer", [("name", "rtc"), ("tickpolicy", "catchup")])
        XMLElement("timer", [("name", "pit"), ("tickpolicy", "delay")])
        XMLElement("timer", [("name", "hpet"), ("present", "no")])
        if vm.hyperv { XMLElement("timer", [("name", "hypervclock"), ("present", "yes")]) }
      }
      XMLElement("on_poweroff", text: "destroy")
      XMLElement("on_reboot", text: "restart")
      XMLElement("on_crash", text: "restart")
      devices(vm, options: options)
    }
  }

  /// The domain document as text (what `virsh define` reads).
  public static func string(for vm: TargetVM, options: Options = Options()) -> String {
    element(for: vm, options: options).serialized()
  }

  /// Bytes → KiB, rounded up.
  static func kib(_ bytes: UInt64) -> UInt64 { (bytes + 1023) / 1024 }

  static func metadata(_ vm: TargetVM) -> XMLElement? {
    let osURI = vm.osinfo.flatMap(OSInfoID.uri(forShortID:))
    guard vm.sourceHypervisor != nil || vm.sourceOrigin != nil || vm.osinfo != nil else { return nil }
    return XMLElement("metadata") {
      XMLElement("v2v:v2v", [("xmlns:v2v", v2vNamespace)]) {
        if vm.sourceHypervisor != nil || vm.sourceOrigin != nil {
          XMLElement(
            "v2v:source",
            (vm.sourceHypervisor.map { [("hypervisor", $0.rawValue)] } ?? [])
              + (vm.sourceOrigin.map { [("origin", $0)] } ?? []))
        }
        if let id = vm.osinfo { XMLElement("v2v:osinfo", text: id) }
      }
      if let osURI {
        XMLElement("libosinfo:libosinfo", [("xmlns:libosinfo", libosinfoNamespace)]) {
          XMLElement("libosinfo:os", [("id", osURI)])
        }
      }
    }
  }

  static func os(_ vm: TargetVM) -> XMLElement {
    let type = XMLElement("type", [("arch", "x86_64"), ("machine", vm.machine.rawValue)], text: "hvm")
    guard vm.firmware == .uefi else { return XMLElement("os", children: [type]) }
    return XMLElement("os", [("firmware", "efi")]) {
      type
      XMLElement("firmware") {
        if vm.secureBoot { XMLElement("feature", [("enabled", "yes"), ("name", "enrolled-keys")]) }
        XMLElement("feature", [("enabled", vm.secureBoot ? "yes" : "no"), ("name", "secure-boot")])
      }
      if vm.secureBoot { XMLElement("loader", [("secure", "yes")]) }
    }
  }

  static func cpu(_ vm: TargetVM, mode: CPUMode) -> XMLElement {
    let topology = vm.cpuTopology.map {
      XMLElement(
        "topology",
        [("sockets", "\($0.sockets)"), ("dies", "1"), ("cores", "\($0.cores)"), ("threads", "\($0.threads)")])
    }
    switch mode {
    case .hostModel: return XMLElement("cpu", [("mode", "host-model"), ("check", "partial")]) { topology }
    case .hostPassthrough: return XMLElement("cpu", [("mode", "host-passthrough"), ("check", "none")]) { topology }
    case .maximum: return XMLElement("cpu", [("mode", "maximum"), ("check", "none")]) { topology }
    case .custom(let model):
      return XMLElement("cpu", [("mode", "custom"), ("match", "exact"), ("check", "none")]) {
        XMLElement("model", [("fallback", "allow")], text: model)
        topology
      }
    }
  }
}
