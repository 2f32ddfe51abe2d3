import Core

/// A domain's XML definition, reduced to what the audit needs: identity, security labels,
/// metadata, assigned host devices, and every device qemu emulates for the guest.
/// Built by `DomainXML.parse(_:)`; optional fields are nil when the XML leaves them out.
public struct DomainDefinition: Sendable, Hashable {
    /// `<domain type=...>`: `qemu`, `kvm`, `xen`, `lxc`, `test`...
    public var type: String
    public var name: String
    public var uuid: String?
    /// `<domain id=...>` in live XML of an active domain.
    public var id: Int?
    public var emulator: String?
    public var arch: String?
    public var machine: String?
    /// `<os><type>` text: `hvm`, `exe`...
    public var osType: String?
    /// `<memory>` converted to KiB.
    public var memoryKiB: Int?
    /// `<vcpu>` text (the maximum).
    public var vcpus: Int?
    /// Top-level `<seclabel>` elements, in document order.
    public var seclabels: [SecLabel]
    /// The child elements of `<metadata>`.
    public var metadata: [MetadataElement]
    /// `<hostdev>` elements, plus `<interface type='hostdev'>` (a PCI function given to the guest).
    public var hostdevs: [HostDeviceSpec]
    public var controllers: [Controller]
    public var disks: [Disk]
    public var interfaces: [Interface]
    /// `<video><model type=...>` models.
    public var videos: [String]
    /// `<sound model=...>` models.
    public var sounds: [String]
    public var inputs: [Input]
    /// `<serial>`, `<parallel>`, `<console>` and `<channel>` elements.
    public var chardevs: [CharDevice]
    public var graphics: [Graphics]
    public var shmems: [SharedMemory]
    public var vsock: Vsock?
    public var redirdevs: [Redirdev]
    /// `<smartcard mode=...>` modes: `host`, `host-certificates`, `passthrough`.
    public var smartcards: [String]
    public var watchdogs: [Watchdog]
    public var rngs: [RNG]
    /// `<memballoon model=...>` unless `none`.
    public var memballoon: String?
    /// `<tpm model=...>` models.
    public var tpms: [String]
    /// The `value`s of `<qemu:commandline><qemu:arg>`, in order.
    public var qemuCommandline: [String]
    public var launchSecurity: LaunchSecurity?

    // MARK: - Storage, shared filesystems and memory backing (parsed in DomainXML+Storage.swift)

    /// Every `<disk>` with its source, format, sharing, SCSI passthrough and per-disk labels.
    public var storageDisks: [StorageDisk] = []
    /// `<filesystem>` elements: host directories shared with the guest (9p, virtiofs).
    public var filesystems: [Filesystem] = []
    /// `<memoryBacking>`; nil when absent.
    public var memoryBacking: MemoryBacking?
    /// `<memory dumpCore=...>`: `on`/`off`, nil when not set (qemu.conf's `dump_guest_core` applies).
    public var memoryDumpCore: String?
    /// `<cpu><numa><cell memAccess='shared'>` cells.
    public var sharedNUMACells: Int = 0

    public init(type: String, name: String) {
        self.type = type
        self.name = name
        seclabels = []; metadata = []; hostdevs = []; controllers = []; disks = []; interfaces = []
        videos = []; sounds = []; inputs = []; chardevs = []; graphics = []; shmems = []; redirdevs = []
        smartcards = []; watchdogs = []; rngs = []; tpms = []; qemuCommandline = []
    }

    /// True when qemu runs this domain (`qemu` or `kvm` type), whatever driver listed it.
    public var isQemu: Bool { type == "qemu" || type == "kvm" }

    /// `<seclabel type= model= relabel=>` with its `<label>`, `<imagelabel>`, `<baselabel>`.
    public struct SecLabel: Sendable, Hashable {
        /// `selinux`, `apparmor`, `dac`, `none`; nil when the element names no model.
        public var model: String?
        /// `dynamic`, `static` or `none`.
        public var type: String?
        /// The attribute, or libvirt's default when absent (yes for dynamic, no otherwise).
        public var relabel: Bool
        public var label: String?
        public var imagelabel: String?
        public var baselabel: String?
        public init(model: String?, type: String?, relabel: Bool, label: String? = nil,
                    imagelabel: String? = nil, baselabel: String? = nil) {
            self.model = model; self.type = type; self.relabel = relabel
            self.label = label; self.imagelabel = imagelabel; self.baselabel = baselabel
        }
    }

    /// One child element of `<metadata>`, as written.
    public struct MetadataElement: Sendable, Hashable {
        /// The element's namespace URI, nil when it has none.
        public var namespace: String?
        /// The local name (`profile` for `<virtaudit:profile>`).
        public var name: String
        public var attributes: [String: String]
        /// The element's text content (all descendant text, trimmed).
        public var text: String
        public init(namespace: String?, name: String, attributes: [String: String], text: String) {
            self.namespace = namespace; self.name = name; self.attributes = attributes; self.text = text
        }
    }

    public struct Controller: Sendable, Hashable {
        /// `ide`, `fdc`, `sata`, `scsi`, `usb`, `virtio-serial`, `ccid`, `pci`, `xenbus`...
        public var type: String
        public var model: String?
        public var index: Int?
        public init(type: String, model: String? = nil, index: Int? = nil) {
            self.type = type; self.model = model; self.index = index
        }
    }

    public struct Disk: Sendable, Hashable {
        /// `disk`, `cdrom`, `floppy`, `lun`.
        public var device: String
        /// `<target bus=...>`: `ide`, `sata`, `virtio`, `scsi`, `fdc`, `usb`, `sd`...
        public var bus: String?
        /// `<target dev=...>`: `vda`, `hdc`...
        public var target: String?
        public init(device: String, bus: String? = nil, target: String? = nil) {
            self.device = device; self.bus = bus; self.target = target
        }
    }

    public struct Interface: Sendable, Hashable {
        /// `network`, `bridge`, `user`, `direct`, `hostdev`, `vhostuser`...
        public var type: String
        /// `<model type=...>`: `virtio`, `e1000`, `rtl8139`...
        public var model: String?
        public init(type: String, model: String? = nil) { self.type = type; self.model = model }
    }

    public struct Input: Sendable, Hashable {
        /// `tablet`, `mouse`, `keyboard`, `passthrough`, `evdev`.
        public var type: String
        /// `usb`, `ps2`, `virtio`, `xen`...
        public var bus: String?
        public init(type: String, bus: String? = nil) { self.type = type; self.bus = bus }
    }

    /// A character device: the guest-side device (`kind` + target) and its host-side backend (`type`).
    public struct CharDevice: Sendable, Hashable {
        /// `serial`, `parallel`, `console` or `channel`.
        public var kind: String
        /// Host backend: `pty`, `file`, `unix`, `tcp`, `udp`, `dev`, `pipe`, `null`, `vc`, `spicevmc`...
        public var type: String
        /// `<target type=...>`: `isa-serial`, `virtio`, `serial`, `guestfwd`...
        public var targetType: String?
        /// `<target name=...>` of a channel: `org.qemu.guest_agent.0`.
        public var targetName: String?
        /// The host side: `<source path=...>`, or `host:service` for tcp/udp.
        public var source: String?
        public init(kind: String, type: String, targetType: String? = nil, targetName: String? = nil, source: String? = nil) {
            self.kind = kind; self.type = type; self.targetType = targetType; self.targetName = targetName; self.source = source
        }
    }

    public struct Graphics: Sendable, Hashable {
        /// `vnc`, `spice`, `rdp`, `sdl`, `egl-headless`, `dbus`.
        public var type: String
        /// `address`, `network`, `socket` or `none`; nil when the XML names no listen.
        public var listenType: String?
        /// The listen address, network name or socket path.
        public var listen: String?
        public init(type: String, listenType: String? = nil, listen: String? = nil) {
            self.type = type; self.listenType = listenType; self.listen = listen
        }
    }

    public struct SharedMemory: Sendable, Hashable {
        public var name: String
        /// `ivshmem`, `ivshmem-plain`, `ivshmem-doorbell`.
        public var model: String?
        public var sizeBytes: Int?
        /// `<server path=...>` of an ivshmem-doorbell.
        public var serverPath: String?
        public init(name: String, model: String? = nil, sizeBytes: Int? = nil, serverPath: String? = nil) {
            self.name = name; self.model = model; self.sizeBytes = sizeBytes; self.serverPath = serverPath
        }
    }

    public struct Vsock: Sendable, Hashable {
        public var model: String?
        /// `<cid address=...>`; nil when auto-assigned and not yet known.
        public var cid: Int?
        public var autoCID: Bool
        public init(model: String? = nil, cid: Int? = nil, autoCID: Bool = false) {
            self.model = model; self.cid = cid; self.autoCID = autoCID
        }
    }

    public struct Redirdev: Sendable, Hashable {
        public var bus: String?
        /// `spicevmc`, `tcp`.
        public var type: String
        public init(bus: String? = nil, type: String) { self.bus = bus; self.type = type }
    }

    public struct Watchdog: Sendable, Hashable {
        /// `i6300esb`, `ib700`, `diag288`, `itco`.
        public var model: String
        public var action: String?
        public init(model: String, action: String? = nil) { self.model = model; self.action = action }
    }

    public struct RNG: Sendable, Hashable {
        public var model: String
        /// `<backend model=...>`: `random`, `egd`, `builtin`.
        public var backend: String?
        /// The backend's device path, or `host:service` for egd over tcp/udp.
        public var source: String?
        public init(model: String, backend: String? = nil, source: String? = nil) {
            self.model = model; self.backend = backend; self.source = source
        }
    }

    /// `<launchSecurity type=...>`.
    public struct LaunchSecurity: Sendable, Hashable {
        /// `sev`, `sev-snp`, `tdx`, `s390-pv`.
        public var type: String
        /// `<policy>` text as written, `0x0003`.
        public var policy: String?
        public init(type: String, policy: String? = nil) { self.type = type; self.policy = policy }

        /// The policy as a number (hex with `0x`, else decimal).
        public var policyValue: UInt64? {
            guard let p = policy?.trimmingWhitespace(), !p.isEmpty else { return nil }
            if p.lowercased().hasPrefix("0x") { return UInt64(p.dropFirst(2), radix: 16) }
            return UInt64(p)
        }

        /// Whether the policy lets the host debug (read) guest memory: SEV bit 0 (NODBG) clear,
        /// SEV-SNP bit 19 (DEBUG) set, TDX bit 0 (DEBUG) set. nil for other types or no policy.
        public var debugAllowed: Bool? {
            guard let v = policyValue else { return nil }
            switch type {
            case "sev": return v & 0x1 == 0
            case "sev-snp": return v & (1 << 19) != 0
            case "tdx": return v & 0x1 != 0
            default: return nil
            }
        }
    }
}
