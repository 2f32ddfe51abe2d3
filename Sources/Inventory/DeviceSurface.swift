/// One device qemu emulates for the guest, with the verdict on whether it is legacy surface.
public struct EmulatedDevice: Sendable, Hashable {
    /// `controller`, `disk`, `video`, `sound`, `input`, `serial`, `parallel`, `console`, `channel`,
    /// `nic`, `shmem`, `vsock`, `watchdog`, `rng`, `redirdev`, `smartcard`, `tpm`, `memballoon`.
    public var kind: String
    public var model: String?
    public var bus: String?
    /// Old or unneeded device model whose job a paravirtual device (or nothing) does, and whose
    /// emulation code has a record of guest-reachable bugs. See Docs/facts/surface.md.
    public var legacy: Bool
    /// The short name a legacy device goes by in `surface.legacyDevices` (`cirrus-vga`); nil otherwise.
    public var name: String?
    /// Why it is (or is not) legacy, and what to use instead.
    public var why: String

    public init(kind: String, model: String?, bus: String?, legacy: Bool, name: String?, why: String) {
        self.kind = kind; self.model = model; self.bus = bus; self.legacy = legacy; self.name = name; self.why = why
    }
}

/// Classifies the devices a domain definition asks qemu to emulate. Only devices named in the
/// XML count: machine-type built-ins that libvirt does not list are not guessed. PCI/PCIe
/// topology controllers (`pci-root`, `pcie-root-port`...) are plumbing and are left out, as are
/// host devices (`<hostdev>`, which Devices audits) and display backends (`<graphics>`, listed
/// apart in `surface.graphics`).
public enum DeviceSurface {
    public static func devices(_ def: DomainDefinition) -> [EmulatedDevice] {
        var out: [EmulatedDevice] = []
        func add(_ kind: String, _ model: String?, _ bus: String?, legacy name: String?, _ why: String) {
            out.append(EmulatedDevice(kind: kind, model: model, bus: bus, legacy: name != nil, name: name, why: why))
        }

        for c in def.controllers {
            switch c.type {
            case "ide":
                add("controller", c.model ?? "ide", nil, legacy: "ide-controller",
                    "PIIX/ICH IDE emulation: an ATA/ATAPI state machine from the 1990s with guest-triggered overflows (CVE-2015-5154); use virtio-blk or virtio-scsi disks")
            case "fdc":
                add("controller", "fdc", nil, legacy: "floppy-controller",
                    "qemu's floppy controller is where VENOM (CVE-2015-3456) lived; a server guest needs no floppy")
            case "usb":
                guard let m = c.model else {
                    add("controller", nil, "usb", legacy: nil,
                        "USB controller with no model: libvirt picks the machine's default when it starts the domain; the live XML names it")
                    continue
                }
                if m == "none" { continue }
                if m.contains("uhci") || m.contains("ohci") || m.contains("ehci") {
                    let family = m.contains("uhci") ? "usb-uhci" : m.contains("ohci") ? "usb-ohci" : "usb-ehci"
                    add("controller", m, "usb", legacy: family,
                        "USB 1.x/2.0 host controller emulation walks guest-built schedules (CVE-2020-25084 ehci, CVE-2020-25624 ohci); use qemu-xhci, or model='none' when the guest needs no USB")
                } else {
                    add("controller", m, "usb", legacy: nil, "xHCI: the current USB controller model")
                }
            case "scsi":
                let m = c.model
                if let m, ["lsilogic", "lsisas1068", "lsisas1078", "buslogic", "vmpvscsi", "am53c974", "dc390", "ncr53c90"].contains(m) {
                    add("controller", m, "scsi", legacy: "scsi-" + m,
                        "register-level SCSI HBA emulation (LSI, BusLogic, PVSCSI) with a bug record (lsi53c895a: CVE-2023-0330); use model='virtio-scsi'")
                } else {
                    add("controller", m, "scsi", legacy: nil,
                        m == nil ? "SCSI controller with no model: libvirt picks the default when it starts the domain"
                                 : "paravirtual or platform SCSI controller")
                }
            case "sata":
                add("controller", c.model ?? "ich9-ahci", "sata", legacy: nil, "AHCI: emulated but maintained; virtio-blk is smaller")
            case "virtio-serial":
                add("controller", "virtio-serial", "virtio", legacy: nil, "paravirtual (bus for <channel> and virtio consoles)")
            case "ccid":
                add("controller", "ccid", "usb", legacy: nil, "USB CCID bus for <smartcard>; the smartcard itself is counted")
            default:
                continue  // pci, pcie, xenbus, virtio-mmio, isa...: topology
            }
        }

        for d in def.disks {
            let bus = d.bus
            if d.device == "floppy" || bus == "fdc" {
                add("disk", d.device, bus, legacy: "floppy", "floppy drive on qemu's floppy controller (VENOM, CVE-2015-3456)")
            } else if bus == "ide" {
                add("disk", d.device, bus, legacy: d.device == "cdrom" ? "ide-cdrom" : "ide-disk",
                    "disk on the IDE/ATAPI emulation (see ide-controller); use bus='virtio', or bus='scsi' on virtio-scsi (also for CD-ROMs)")
            } else if bus == "usb" {
                add("disk", d.device, bus, legacy: "usb-storage", "USB mass-storage emulation puts block I/O behind the USB stack; use virtio-blk")
            } else if bus == "sd" {
                add("disk", d.device, bus, legacy: "sd-card", "SD card controller emulation; use virtio-blk")
            } else {
                add("disk", d.device, bus, legacy: nil, bus == "virtio" ? "paravirtual" : "maintained disk bus")
            }
        }

        for n in def.interfaces where n.type != "hostdev" {
            guard let m = n.model else {
                add("nic", nil, nil, legacy: nil, "interface with no model: the driver picks one when it starts the domain")
                continue
            }
            if m.hasPrefix("virtio") {
                add("nic", m, "virtio", legacy: nil, "paravirtual")
            } else if ["rtl8139", "e1000", "e1000e", "ne2k_pci", "ne2k_isa", "pcnet", "i82551", "i82557b", "i82559er", "vmxnet3", "usb-net"].contains(m) {
                add("nic", m, nil, legacy: "nic-" + m,
                    "emulated NIC hardware with a long bug record (rtl8139: CVE-2015-5165, e1000: CVE-2021-20257) and slower than virtio-net; use <model type='virtio'/>")
            } else {
                add("nic", m, nil, legacy: nil, "platform NIC model")
            }
        }

        for v in def.videos where v != "none" {
            switch v {
            case "cirrus":
                add("video", v, nil, legacy: "cirrus-vga",
                    "Cirrus CLGD 54xx emulation with guest-controlled blits and repeated heap overflows (CVE-2017-2615, CVE-2017-2620); qemu advises against it; use virtio, bochs or vga")
            case "vmvga":
                add("video", v, nil, legacy: "vmware-svga",
                    "VMware SVGA emulation with guest-triggered out-of-bounds accesses (CVE-2016-4454); use virtio")
            default:
                add("video", v, nil, legacy: nil, v == "virtio" ? "paravirtual" : "simple framebuffer or maintained display model")
            }
        }

        for s in def.sounds {
            add("sound", s, nil, legacy: "sound-" + s,
                "a server guest needs no audio; sound card emulation walks guest DMA descriptor lists (intel-hda: CVE-2021-3611); remove <sound>")
        }

        for i in def.inputs {
            switch (i.type, i.bus) {
            case ("tablet", "usb"), ("mouse", "usb"), ("keyboard", "usb"):
                add("input", i.type, "usb", legacy: "usb-" + i.type,
                    "USB HID emulation keeps a USB controller and device stack reachable from the guest for console pointing; use bus='virtio', or drop it on headless guests")
            case ("mouse", "ps2"), ("keyboard", "ps2"):
                add("input", i.type, "ps2", legacy: "ps2-" + i.type,
                    "i8042 PS/2 emulation; built into i440fx/q35 machines, turned off with <features><ps2 state='off'/></features> where the machine type allows it, plus a virtio input")
            default:
                add("input", i.type, i.bus, legacy: nil, i.bus == "virtio" ? "paravirtual" : "input device")
            }
        }

        let platformSerial: Set<String> = ["system-serial", "sclp-serial", "spapr-vio-serial", "isa-debug"]
        for c in def.chardevs {
            switch c.kind {
            case "serial":
                if let t = c.targetType, platformSerial.contains(t) {
                    add("serial", t, nil, legacy: nil, "the platform's built-in console UART")
                } else {
                    add("serial", c.targetType ?? "isa-serial", nil, legacy: "serial-" + c.type,
                        "emulated UART (16550A) wired to a host \(c.type)\(hostSideNote(c.type)); use a virtio console (<console type='pty'><target type='virtio'/>) when a console is needed")
                }
            case "parallel":
                add("parallel", c.targetType ?? "isa-parallel", nil, legacy: "parallel-" + c.type,
                    "ISA parallel port emulation wired to a host \(c.type)\(hostSideNote(c.type)); nothing on a VM needs it; remove <parallel>")
            case "console":
                // A console with target serial (or none) is the first <serial> again, not a new device.
                guard let t = c.targetType, t != "serial" else { continue }
                add("console", t, t == "virtio" ? "virtio" : nil, legacy: nil, t == "virtio" ? "paravirtual console" : "platform console")
            case "channel":
                add("channel", c.targetType ?? "virtio", c.targetType == "virtio" ? "virtio" : nil, legacy: nil,
                    c.targetType == "guestfwd" ? "user-network forward from the guest to a host socket"
                                               : "virtio-serial port to a host \(c.type)")
            default:
                continue
            }
        }

        for s in def.shmems {
            if s.model == "ivshmem" {
                add("shmem", s.model, nil, legacy: "ivshmem",
                    "the original ivshmem device is deprecated in qemu; use ivshmem-plain or ivshmem-doorbell, or no shared memory")
            } else {
                add("shmem", s.model ?? "ivshmem-plain", nil, legacy: nil, "memory shared with the host and other VMs named '\(s.name)' (see surface.shmem)")
            }
        }

        if let v = def.vsock {
            add("vsock", v.model ?? "virtio", "virtio", legacy: nil, "virtio-vsock: a socket channel between host and guest")
        }
        for w in def.watchdogs {
            if w.model == "ib700" {
                add("watchdog", w.model, nil, legacy: "watchdog-ib700", "ISA watchdog card; use i6300esb or itco")
            } else {
                add("watchdog", w.model, nil, legacy: nil, "watchdog")
            }
        }
        for r in def.rngs {
            add("rng", r.model, "virtio", legacy: nil,
                r.backend == "egd" ? "virtio-rng fed from an EGD socket on the host" : "paravirtual entropy source")
        }
        for r in def.redirdevs {
            add("redirdev", r.type, r.bus, legacy: "usb-redirection",
                "USB redirection feeds a remote client's USB traffic into qemu's usbredir parser (CVE-2021-3682); remove <redirdev> unless clients need USB")
        }
        for s in def.smartcards {
            add("smartcard", s, "usb", legacy: "smartcard-" + s,
                "CCID smartcard emulation: a USB device stack and a card protocol parser in qemu for a feature servers do not use")
        }
        for t in def.tpms {
            add("tpm", t, nil, legacy: nil, "TPM front end (swtpm or passthrough backend)")
        }
        if let m = def.memballoon {
            add("memballoon", m, m.hasPrefix("virtio") ? "virtio" : nil, legacy: nil, "balloon driver")
        }
        return out
    }

    /// The distinct short names of the legacy devices, in document order.
    public static func legacyNames(_ devices: [EmulatedDevice]) -> [String] {
        var seen: Set<String> = []
        return devices.compactMap { d in
            guard d.legacy, let n = d.name, seen.insert(n).inserted else { return nil }
            return n
        }
    }

    private static func hostSideNote(_ type: String) -> String {
        switch type {
        case "file": return ", so guest-written bytes fill a host file"
        case "pty": return ", a host terminal any local root can attach to"
        case "tcp", "udp": return ", reachable over the network"
        case "dev": return ", a host device node"
        case "pipe": return ", a host named pipe"
        case "unix": return ", a host socket"
        default: return ""
        }
    }
}
