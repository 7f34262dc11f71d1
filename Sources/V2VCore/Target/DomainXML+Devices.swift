import V2VModel

extension DomainXML {
  /// `<devices>`: disks, removable media, controllers, NICs, consoles, graphics, video and the virtio extras.
  static func devices(_ vm: TargetVM, options: Options) -> XMLElement {
    XMLElement("devices") {
      for d in vm.disks { disk(d) }
      for m in vm.removableMedia { removable(m) }
      if vm.disks.contains(where: { $0.bus == .scsi }) {
        XMLElement("controller", [("type", "scsi"), ("index", "0"), ("model", "virtio-scsi")])
      }
      if vm.removableMedia.contains(where: { $0.bus == .sata }) || vm.disks.contains(where: { $0.bus == .sata }) {
        XMLElement("controller", [("type", "sata"), ("index", "0")])
      }
      if vm.removableMedia.contains(where: { $0.bus == .fdc }) {
        XMLElement("controller", [("type", "fdc"), ("index", "0")])
      }
      // The USB tablet gives VNC an absolute pointer; it needs a USB controller, stated here rather than
      // left to libvirt's machine-dependent default.
      XMLElement("controller", [("type", "usb"), ("index", "0"), ("model", "qemu-xhci")])
      XMLElement("controller", [("type", "virtio-serial"), ("index", "0")])
      for n in vm.nics { interface(n) }
      XMLElement("serial", [("type", "pty")]) { XMLElement("target", [("port", "0")]) }
      XMLElement("console", [("type", "pty")]) { XMLElement("target", [("type", "serial"), ("port", "0")]) }
      XMLElement("channel", [("type", "unix")]) {
        XMLElement("target", [("type", "virtio"), ("name", "org.qemu.guest_agent.0")])
      }
      XMLElement("input", [("type", "tablet"), ("bus", "usb")])
      if let listen = options.vncListen {
        XMLElement("graphics", [("type", "vnc"), ("port", "-1"), ("autoport", "yes")]) {
          XMLElement("listen", [("type", "address"), ("address", listen)])
        }
      }
      XMLElement("video") { XMLElement("model", [("type", vm.video.rawValue)]) }
      XMLElement("memballoon", [("model", vm.memoryBalloon ? "virtio" : "none")])
      if vm.virtioRNG {
        XMLElement("rng", [("model", "virtio")]) {
          XMLElement("backend", [("model", "random")], text: "/dev/urandom")
        }
      }
    }
  }

  /// A hard disk: `discard='unmap'` so the guest's TRIM keeps sparse images sparse.
  static func disk(_ d: TargetDisk) -> XMLElement {
    XMLElement("disk", [("type", "file"), ("device", "disk")]) {
      XMLElement("driver", [("name", "qemu"), ("type", d.format.rawValue), ("discard", "unmap")])
      XMLElement("source", [("file", d.path)])
      XMLElement("target", [("dev", d.dev), ("bus", d.bus.rawValue)])
      if let order = d.bootOrder { XMLElement("boot", [("order", String(order))]) }
    }
  }

  /// A CD-ROM (read-only) or floppy drive, with its image when there is one.
  static func removable(_ m: TargetRemovable) -> XMLElement {
    XMLElement("disk", [("type", "file"), ("device", m.kind == .cdrom ? "cdrom" : "floppy")]) {
      XMLElement("driver", [("name", "qemu"), ("type", "raw")])
      if let p = m.path { XMLElement("source", [("file", p)]) }
      XMLElement("target", [("dev", m.dev), ("bus", m.bus.rawValue)])
      if m.kind == .cdrom { XMLElement("readonly") }
    }
  }

  /// A NIC on a libvirt network, a host bridge, or qemu user networking.
  static func interface(_ n: TargetNIC) -> XMLElement {
    let type: String
    let source: XMLElement?
    switch n.connection {
    case .network(let name): (type, source) = ("network", XMLElement("source", [("network", name)]))
    case .bridge(let name): (type, source) = ("bridge", XMLElement("source", [("bridge", name)]))
    case .user: (type, source) = ("user", nil)
    }
    return XMLElement("interface", [("type", type)]) {
      if let mac = n.mac { XMLElement("mac", [("address", mac)]) }
      source
      XMLElement("model", [("type", n.model.rawValue)])
    }
  }
}
