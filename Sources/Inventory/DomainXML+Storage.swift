import Core

extension DomainDefinition {
    /// One `<disk>`: what host resource backs it and how the guest may use it.
    public struct StorageDisk: Sendable, Hashable {
        /// `disk`, `cdrom`, `floppy`, `lun`.
        public var device: String
        public var bus: String?
        public var target: String?
        /// `<disk type=...>`: `file`, `block`, `network`, `volume`, `dir`, `nvme`, `vhostuser`.
        public var sourceType: String
        /// The host side: `<source file|dev|dir>`, `protocol://host[:port]/name` for network,
        /// `pool/volume` for a volume, the PCI address for nvme, the socket for vhostuser.
        /// nil for an empty cdrom/floppy.
        public var path: String?
        /// `<source protocol=...>` of a network disk: `nbd`, `iscsi`, `rbd`, `gluster`, `http`...
        public var networkProtocol: String?
        /// `<driver type=...>`: `raw`, `qcow2`...; nil when absent (the format is probed).
        public var format: String?
        public var driverName: String?
        public var readonly: Bool
        public var shareable: Bool
        public var transient: Bool
        /// `rawio='yes'` (only meaningful on a `lun`): qemu gets CAP_SYS_RAWIO.
        public var rawio: Bool
        /// `sgio=...`: `filtered` or `unfiltered` (SG_IO commands passed unfiltered to the device).
        public var sgio: String?
        /// `<source><reservations enabled='yes'>`: the guest issues SCSI persistent reservations.
        public var reservations: Bool
        /// `<reservations managed=...>`: libvirt runs qemu-pr-helper; nil when not given or disabled.
        public var reservationsManaged: Bool?
        /// `<backingStore>` chain, outermost first (each layer's path and format).
        public var backingChain: [BackingLayer]
        /// `<source><seclabel>` overrides for this disk.
        public var seclabels: [DiskSecLabel]

        public init(device: String, sourceType: String) {
            self.device = device
            self.sourceType = sourceType
            readonly = false; shareable = false; transient = false; rawio = false; reservations = false
            backingChain = []; seclabels = []
        }
    }

    public struct BackingLayer: Sendable, Hashable {
        public var type: String
        public var path: String?
        public var format: String?
        public init(type: String, path: String? = nil, format: String? = nil) {
            self.type = type; self.path = path; self.format = format
        }
    }

    /// `<source><seclabel model= relabel=><label>`.
    public struct DiskSecLabel: Sendable, Hashable {
        /// `selinux`, `dac`, `apparmor`, `none`; nil when not written.
        public var model: String?
        /// The `relabel` attribute; nil when absent (the domain's setting applies).
        public var relabel: Bool?
        public var label: String?
        public init(model: String?, relabel: Bool?, label: String?) {
            self.model = model; self.relabel = relabel; self.label = label
        }
    }

    /// One `<filesystem>`: a host directory (or file/block/ram) exported into the guest.
    public struct Filesystem: Sendable, Hashable {
        /// `<filesystem type=...>`: `mount` (a host directory), `file`, `block`, `ram`, `bind`, `template`, `volume`.
        public var type: String
        /// `<driver type=...>`: `path` (9p, the default for mount), `handle`, `virtiofs`, `loop`, `nbd`, `ploop`.
        public var driver: String?
        /// `9p` or `virtiofs` for a qemu mount; nil otherwise.
        public var transport: String?
        /// `accessmode=...` (libvirt default `passthrough`): `passthrough`, `mapped`, `squash`.
        public var accessmode: String
        /// `<source dir|file|dev|name>`.
        public var source: String?
        /// `<target dir>`: the mount tag the guest sees.
        public var target: String?
        public var readonly: Bool
        public init(type: String, accessmode: String) {
            self.type = type; self.accessmode = accessmode; readonly = false
        }
    }

    /// `<memoryBacking>`.
    public struct MemoryBacking: Sendable, Hashable {
        public var hugepages: Bool
        /// `<nosharepages/>`: KSM may not merge this guest's pages.
        public var nosharepages: Bool
        /// `<locked/>`: guest memory is locked in host RAM (mlock).
        public var locked: Bool
        /// `<source type=...>`: `anonymous`, `file`, `memfd`; nil when absent (anonymous).
        public var sourceType: String?
        /// `<access mode=...>`: `shared` or `private`; nil when absent (private).
        public var accessMode: String?
        public var allocation: String?
        public var discard: Bool
        public init() { hugepages = false; nosharepages = false; locked = false; discard = false }
    }
}

extension DomainXML {
    /// Disks (source, format, sharing, SCSI passthrough, backing chain, per-disk labels),
    /// `<filesystem>` shares, `<memoryBacking>`, `<memory dumpCore>` and shared NUMA cells.
    static func parseStorage(_ root: XMLTree, into def: inout DomainDefinition) throws(DomainXMLError) {
        if let m = root.child("memory") { def.memoryDumpCore = m.attr("dumpCore") }
        if let mb = root.child("memoryBacking") { def.memoryBacking = memoryBacking(mb) }
        if let cells = root.child("cpu")?.child("numa")?.children(named: "cell") {
            def.sharedNUMACells = cells.filter { $0.attr("memAccess") == "shared" }.count
        }
        guard let devices = root.child("devices") else { return }
        for e in devices.children where e.namespace == nil {
            switch e.name {
            case "disk": def.storageDisks.append(storageDisk(e))
            case "filesystem": def.filesystems.append(filesystem(e))
            default: continue
            }
        }
    }

    static func storageDisk(_ e: XMLTree) -> DomainDefinition.StorageDisk {
        let type = e.attr("type") ?? "file"
        var d = DomainDefinition.StorageDisk(device: e.attr("device") ?? "disk", sourceType: type)
        let target = e.child("target")
        d.bus = target?.attr("bus")
        d.target = target?.attr("dev")
        let source = e.child("source")
        d.path = source.flatMap { sourcePath(type: type, $0) }
        d.networkProtocol = type == "network" ? source?.attr("protocol") : nil
        let driver = e.child("driver")
        d.format = present(driver?.attr("type"))
        d.driverName = driver?.attr("name")
        d.readonly = e.child("readonly") != nil
        d.shareable = e.child("shareable") != nil
        d.transient = e.child("transient") != nil
        d.rawio = e.attr("rawio") == "yes"
        d.sgio = e.attr("sgio")
        if let r = source?.child("reservations") {
            d.reservations = (r.attr("enabled") ?? "yes") == "yes"
            if d.reservations, let m = r.attr("managed") { d.reservationsManaged = m == "yes" }
        }
        for s in source?.children(named: "seclabel") ?? [] {
            d.seclabels.append(.init(model: s.attr("model"), relabel: s.attr("relabel").map { $0 == "yes" },
                                     label: present(s.child("label")?.value)))
        }
        // <backingStore type=...><format type=.../><source .../><backingStore .../></backingStore>,
        // nested; an empty <backingStore/> ends the chain. Bounded against deep nesting.
        var next = e.child("backingStore")
        while let b = next, d.backingChain.count < 64 {
            guard let t = b.attr("type") else { break }
            d.backingChain.append(.init(type: t, path: b.child("source").flatMap { sourcePath(type: t, $0) },
                                        format: present(b.child("format")?.attr("type"))))
            next = b.child("backingStore")
        }
        return d
    }

    static func sourcePath(type: String, _ s: XMLTree) -> String? {
        switch type {
        case "file": return present(s.attr("file"))
        case "block": return present(s.attr("dev"))
        case "dir": return present(s.attr("dir"))
        case "volume":
            guard let v = present(s.attr("volume")) else { return nil }
            return (s.attr("pool").map { $0 + "/" } ?? "") + v
        case "network":
            let proto = s.attr("protocol") ?? "network"
            let host = s.child("host")
            var authority = host?.attr("name") ?? host?.attr("socket") ?? ""
            if let port = host?.attr("port") { authority += ":" + port }
            return proto + "://" + authority + "/" + (s.attr("name") ?? "")
        case "nvme":
            return s.child("address").flatMap { try? pciAddress($0) }.map { "nvme:" + $0 }
        case "vhostuser":
            return present(s.attr("path"))
        default:
            return present(s.attr("file") ?? s.attr("dev") ?? s.attr("dir"))
        }
    }

    static func filesystem(_ e: XMLTree) -> DomainDefinition.Filesystem {
        let type = e.attr("type") ?? "mount"
        var fs = DomainDefinition.Filesystem(type: type, accessmode: e.attr("accessmode") ?? "passthrough")
        fs.driver = e.child("driver")?.attr("type")
        if type == "mount" { fs.transport = fs.driver == "virtiofs" ? "virtiofs" : "9p" }
        let s = e.child("source")
        fs.source = present(s?.attr("dir") ?? s?.attr("file") ?? s?.attr("dev") ?? s?.attr("name") ?? s?.attr("socket"))
        fs.target = e.child("target")?.attr("dir")
        fs.readonly = e.child("readonly") != nil
        return fs
    }

    static func memoryBacking(_ mb: XMLTree) -> DomainDefinition.MemoryBacking {
        var m = DomainDefinition.MemoryBacking()
        m.hugepages = mb.child("hugepages") != nil
        m.nosharepages = mb.child("nosharepages") != nil
        m.locked = mb.child("locked") != nil
        m.sourceType = mb.child("source")?.attr("type")
        m.accessMode = mb.child("access")?.attr("mode")
        m.allocation = mb.child("allocation")?.attr("mode")
        m.discard = mb.child("discard") != nil
        return m
    }

    private static func present(_ s: String?) -> String? {
        guard let s, !s.isEmpty else { return nil }
        return s
    }
}
