import V2VModel

/// Settles the final ``TargetVM`` after conversion, from what was planned before the guest was opened, the
/// platform the user asked for, what the converter reports the guest can use, and what inspection found.
/// Pure: the one place these three meet.
///
/// - Disk bus: the platform's when the guest can boot from it, else the guest's best bus, with a warning
///   (a Windows guest whose viostor could not be installed gets SATA). Device names follow the bus
///   (`vdX` on virtio-blk, `sdX` on virtio-scsi and SATA); CD-ROMs on SATA are numbered after SATA disks.
/// - NIC model: the platform's when the guest has its driver, else the guest's best, with a warning.
/// - Video: the guest's best when the converter states one, else the planned one.
/// - Clock, RNG and balloon devices: as the guest can use them.
/// - Firmware: the user's override, else the source's, else what inspection found (an EFI system partition
///   means UEFI), else BIOS with a warning.
public enum TargetSettler {
  /// `target` with one NIC per MAC in `macs` when the source described no NICs (a physical source: the
  /// converter reports the MACs the guest's configuration is bound to). Each connects where a NIC without a
  /// source network goes: the bare `--network`/`--bridge` default, else libvirt's network `default`. Its
  /// model is settled by ``settle(_:platform:capabilities:inspection:)`` like any other NIC's.
  public static func addingNICs(_ target: TargetVM, macs: [String], plan: PlanOptions) -> TargetVM {
    guard target.nics.isEmpty, !macs.isEmpty else { return target }
    let connection = (try? NetworkMapper(mappings: plan.networkMappings, fallback: plan.defaultConnection))?.connection(for: NIC())
      ?? plan.defaultConnection
    var t = target
    t.nics = macs.map { TargetNIC(mac: $0, model: .virtio, connection: connection) }
    return t
  }

  /// The final target and the warnings about what was changed from the request.
  public static func settle(
    _ planned: TargetVM, platform: TargetPlatform, capabilities: GuestCapabilities, inspection: GuestInspection?
  ) -> (target: TargetVM, warnings: [String]) {
    var t = planned
    var warnings: [String] = []

    if let fw = platform.requestedFirmware {
      t.firmware = fw
    } else if t.firmware == .unknown {
      if let found = inspection?.firmware, found != .unknown {
        t.firmware = found
      } else {
        warnings.append("the source's firmware is unknown and the disks do not tell; assuming BIOS")
        t.firmware = .bios
      }
    }
    if t.secureBoot && t.firmware != .uefi {
      warnings.append("Secure Boot needs UEFI firmware; Secure Boot dropped")
      t.secureBoot = false
    }

    guard case .kvm(let kvm) = platform else {
      // Physical hardware: what a test boot (and the user's mental model) should assume is a plain PC: disks
      // on AHCI named sdX, an Intel NIC, VGA, and none of the paravirtual devices.
      for i in t.disks.indices {
        t.disks[i].bus = .sata
        t.disks[i].dev = "sd" + DeviceNames.letters(i)
      }
      for i in t.nics.indices { t.nics[i].model = .e1000 }
      t.video = .vga
      t.clock = capabilities.clock
      t.virtioRNG = false
      t.memoryBalloon = false
      if t.osinfo == nil { t.osinfo = inspection?.osinfoID }
      return (t, warnings)
    }
    t.machine = kvm.machine

    var bus = kvm.diskBus
    if !capabilities.blockBuses.contains(bus) {
      if let best = capabilities.blockBuses.first {
        warnings.append(
          "the guest cannot boot from \(bus.rawValue) disks (no driver installed); using \(best.rawValue) instead")
        bus = best
      }
    }
    for i in t.disks.indices {
      t.disks[i].bus = bus.libvirtBus
      t.disks[i].dev = bus.namePrefix + DeviceNames.letters(i)
    }
    // SATA CD-ROMs share the sd namespace with SATA and SCSI disks in libvirt's target names.
    var cd = bus == .virtioBlk ? 0 : t.disks.count
    for i in t.removableMedia.indices where t.removableMedia[i].bus == .sata {
      t.removableMedia[i].dev = "sd" + DeviceNames.letters(cd)
      cd += 1
    }

    var nic = kvm.nicModel
    if !t.nics.isEmpty && !capabilities.nicModels.contains(nic), let best = capabilities.nicModels.first {
      warnings.append("the guest has no \(nic.rawValue) network driver; its NICs are \(best.rawValue) instead")
      nic = best
    }
    for i in t.nics.indices { t.nics[i].model = nic }

    if let v = capabilities.video { t.video = v }
    t.hyperv = capabilities.hyperv
    t.clock = capabilities.clock
    t.virtioRNG = capabilities.virtioRNG
    t.memoryBalloon = capabilities.virtioBalloon
    if t.osinfo == nil { t.osinfo = inspection?.osinfoID }
    return (t, warnings)
  }
}
