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
    // MARK: - Network, firmware, consoles, resources (parsed in DomainXML+Devices.swift)
    /// `<os firmware=...>`, `<loader>`, `<features><smm>`.
    public var firmware = Firmware()
    /// `<tpm>` elements with their backends (`tpms` keeps only the models).
    public var tpmDevices: [TPM] = []
    /// `<redirfilter><usbdev>` rules, in order.
    public var redirFilters: [RedirFilterRule] = []
    /// `<hostdev type='scsi'>` and `<hostdev type='scsi_host'>`.
    public var scsiHostdevs: [SCSIHostdev] = []
    /// `<memtune>`, `<cputune>`, `<blkiotune>` and the per-disk `<iotune>`.
    public var tuning = Tuning()

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
        /// `<source bridge|network|dev|...>`: the bridge, libvirt network or host device it attaches to.
        public var source: String?
        /// `<source mode=...>` of a `direct` (macvtap) interface: `vepa`, `bridge`, `private`, `passthrough`.
        public var sourceMode: String?
        /// `<filterref filter=...>`: the nwfilter applied to the interface; nil when none.
        public var filter: String?
        /// `<filterref><parameter name= value=>`.
        public var filterParameters: [String: String] = [:]
        /// `trustGuestRxFilters='yes'`: the host accepts the guest's MAC and multicast filter changes.
        public var trustGuestRxFilters: Bool = false
        /// `<script path=...>`: a host script libvirt runs for the interface.
        public var script: String?
        /// `<mac address=...>`.
        public var mac: String?
        /// The PCI address of the host function of a `hostdev` interface (sysfs form).
        public var hostdevAddress: String?
        /// `<target dev=...>`: the host-side device name (vnet0, macvtap0) in live XML.
        public var targetDev: String?
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
        /// SPICE `<clipboard copypaste=...>`; nil when the XML does not say (qemu's default is on).
        public var clipboardCopyPaste: Bool?
        /// SPICE `<filetransfer enable=...>`; nil when the XML does not say (qemu's default is on).
        public var fileTransfer: Bool?
        /// `passwd` attribute present. libvirt writes it only into secure XML (status and config
        /// files), never into the read-only live XML, so nil there.
        public var passwordSet: Bool?
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

// MARK: - Network, firmware, consoles, resources

extension DomainDefinition {
    /// Boot firmware: `<os firmware=...>`, `<os><loader ...>`, `<os><firmware><feature>`, `<features><smm>`.
    public struct Firmware: Sendable, Hashable {
        /// `<os firmware=...>`: `efi` or `bios`; nil when not set (the loader decides).
        public var kind: String?
        /// `<loader type=...>`: `pflash` or `rom`.
        public var loaderType: String?
        /// `<loader>` path.
        public var loader: String?
        /// `<loader secure=...>`.
        public var loaderSecure: Bool?
        /// `<nvram>` path (the UEFI variable store).
        public var nvram: String?
        /// `<os><firmware><feature name= enabled=>`: `secure-boot`, `enrolled-keys`.
        public var features: [String: Bool] = [:]
        /// `<features><smm state=...>`: true for `on` or a bare `<smm/>`; nil when absent.
        public var smm: Bool?
        public init() {}

        /// UEFI: `firmware='efi'`, or a pflash loader, or a loader path naming OVMF/AAVMF/edk2.
        public var isUEFI: Bool {
            if kind == "efi" { return true }
            if kind == "bios" { return false }
            if loaderType == "pflash" { return true }
            guard let l = loader?.lowercased() else { return false }
            return l.contains("ovmf") || l.contains("aavmf") || l.contains("edk2") || l.contains("qemu_efi")
        }

        /// Secure Boot asked for: `<loader secure='yes'>`, or the `secure-boot` firmware feature enabled.
        public var secureBoot: Bool {
            loaderSecure == true || features["secure-boot"] == true
        }
    }

    /// `<tpm model=...><backend type= version=><encryption secret=>`.
    public struct TPM: Sendable, Hashable {
        /// `tpm-tis`, `tpm-crb`, `tpm-spapr`, `spapr-tpm-proxy`.
        public var model: String
        /// `emulator` (swtpm), `passthrough` (the host's TPM), `external` (a swtpm socket).
        public var backend: String?
        /// `<backend version=...>`: `1.2` or `2.0`.
        public var version: String?
        /// `<backend><device path=...>` of a passthrough backend, or the external socket.
        public var device: String?
        /// `<backend><encryption secret=...>`: the libvirt secret encrypting swtpm state.
        public var encryptionSecret: String?
        /// `<backend persistent_state='yes'>`.
        public var persistentState: Bool = false
        public init(model: String) { self.model = model }
    }

    /// One `<redirfilter><usbdev class= vendor= product= version= allow=>` rule; nil fields match any.
    public struct RedirFilterRule: Sendable, Hashable {
        public var usbClass: String?
        public var vendor: String?
        public var product: String?
        public var version: String?
        public var allow: Bool
        public init(usbClass: String? = nil, vendor: String? = nil, product: String? = nil, version: String? = nil, allow: Bool) {
            self.usbClass = usbClass; self.vendor = vendor; self.product = product; self.version = version; self.allow = allow
        }

        /// Matches every device: no class, vendor, product or version given.
        public var matchesAny: Bool { usbClass == nil && vendor == nil && product == nil && version == nil }
    }

    /// `<hostdev mode='subsystem' type='scsi'|'scsi_host'>`.
    public struct SCSIHostdev: Sendable, Hashable {
        /// `scsi` (a host LUN through its sg device) or `scsi_host` (a vhost-scsi target).
        public var type: String
        /// `<source protocol=...>`: `iscsi` for a network LUN; nil for a host adapter.
        public var sourceProtocol: String?
        /// `scsi_host0:0:0:0` (adapter:bus:target:unit), the iSCSI target name, or the vhost wwpn.
        public var source: String
        /// `rawio='yes'`: qemu gets CAP_SYS_RAWIO.
        public var rawio: Bool
        /// `sgio='unfiltered'`.
        public var sgio: String?
        public var readonly: Bool
        public var shareable: Bool
        public init(type: String, sourceProtocol: String? = nil, source: String, rawio: Bool = false, sgio: String? = nil,
                    readonly: Bool = false, shareable: Bool = false) {
            self.type = type; self.sourceProtocol = sourceProtocol; self.source = source; self.rawio = rawio; self.sgio = sgio
            self.readonly = readonly; self.shareable = shareable
        }
    }

    /// Resource limits from the XML (libvirt applies them to the machine cgroup at start).
    public struct Tuning: Sendable, Hashable {
        /// `<memtune><hard_limit>` in KiB.
        public var memoryHardLimitKiB: Int?
        /// `<memtune><soft_limit>` in KiB.
        public var memorySoftLimitKiB: Int?
        /// `<memtune><swap_hard_limit>` in KiB.
        public var swapHardLimitKiB: Int?
        /// `<cputune><shares>`.
        public var cpuShares: Int?
        /// `<cputune><period>`/`<quota>` (per vCPU), `<global_period>`/`<global_quota>` (whole VM),
        /// `<emulator_period>`/`<emulator_quota>`, `<iothread_quota>`: every set value by element name.
        public var cpuLimits: [String: Int] = [:]
        /// `<blkiotune><weight>`.
        public var blkioWeight: Int?
        /// `<blkiotune><device>` entries with a read/write bytes or iops limit.
        public var blkioDeviceLimits: Int = 0
        /// For each `<disk>` (document order), whether its `<iotune>` caps bytes or iops.
        public var diskIOTune: [Bool] = []
        public init() {}

        /// A CPU limit that caps time, not just weight: any quota > 0.
        public var cpuQuotaSet: Bool {
            cpuLimits.contains { k, v in k.hasSuffix("quota") && v > 0 }
        }
    }
}

extension DomainDefinition.LaunchSecurity {
    /// The decoded policy bits (see `Docs/facts/domain.md#confidential`): SEV's NODBG, NOKS, ES,
    /// NOSEND, DOMAIN, SEV (AMD SEV API, guest policy, bits 0-5); SEV-SNP's SMT (16),
    /// MIGRATE_MA (18), DEBUG (19), SINGLE_SOCKET (20) (SNP firmware ABI, guest policy); TDX's
    /// attributes DEBUG (0), SEPT_VE_DISABLE (28), PKS (30), PERFMON (63). Empty for other
    /// types or no policy.
    public var policyBits: [String: Bool] {
        guard let v = policyValue else { return [:] }
        func bit(_ n: UInt64) -> Bool { v & (1 << n) != 0 }
        switch type {
        case "sev":
            return ["NODBG": bit(0), "NOKS": bit(1), "ES": bit(2), "NOSEND": bit(3), "DOMAIN": bit(4), "SEV": bit(5)]
        case "sev-snp":
            return ["SMT": bit(16), "MIGRATE_MA": bit(18), "DEBUG": bit(19), "SINGLE_SOCKET": bit(20)]
        case "tdx":
            return ["DEBUG": bit(0), "SEPT_VE_DISABLE": bit(28), "PKS": bit(30), "PERFMON": bit(63)]
        default:
            return [:]
        }
    }

    /// Whether the vCPU register state is encrypted too: SEV-ES (SEV with policy bit 2), SEV-SNP
    /// TDX and s390 Secure Execution; false for plain SEV; nil for SEV without a readable policy
    /// and unknown types.
    public var registersProtected: Bool? {
        switch type {
        case "sev-snp", "tdx", "s390-pv": return true
        case "sev": return policyBits["ES"]
        default: return nil
        }
    }

    /// The strength of the memory protection, strongest last: `sev` (memory only), `sev-es`
    /// (memory and registers), `sev-snp` / `tdx` (also integrity of the memory mapping). nil
    /// for s390-pv, unknown types and an SEV policy that cannot be read.
    public var level: String? {
        switch type {
        case "sev": return policyBits["ES"].map { $0 ? "sev-es" : "sev" }
        case "sev-snp", "tdx": return type
        default: return nil
        }
    }

    /// Whether the guest may be migrated to another machine or handed a migration agent: SEV
    /// NOSEND clear, SEV-SNP MIGRATE_MA set; nil otherwise.
    public var migrationAllowed: Bool? {
        guard !policyBits.isEmpty else { return nil }
        switch type {
        case "sev": return policyBits["NOSEND"] == false
        case "sev-snp": return policyBits["MIGRATE_MA"] == true
        default: return nil
        }
    }
}
