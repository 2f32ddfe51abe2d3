import Core

/// `storage.*`, `shares.*` and `memory.*`: what of the host a domain's definition hands the guest
/// (disks, shared directories, guest memory), decided from the domain XML alone. The host's view
/// of the same disks (block device kind, live file label, owner) is added by the audit pipeline
/// (`StorageHostFacts`), which reads through the host root.
public enum StorageFacts {
    public static func build(_ def: DomainDefinition, into f: inout FactBuilder) {
        let vmLabel = def.seclabels.first { $0.model == "selinux" }
        let vmContext = (vmLabel?.imagelabel ?? vmLabel?.label).map(SELinuxLabel.init)
        var disks: [JSONValue] = []
        for d in def.storageDisks {
            let forced = d.seclabels.first { ($0.model == nil || $0.model == "selinux") && $0.label != nil }?.label
            var o: [String: JSONValue] = [
                "target": .from(d.target), "device": .string(d.device), "bus": .from(d.bus),
                "sourceType": .string(d.sourceType), "path": .from(d.path), "protocol": .from(d.networkProtocol),
                "local": .bool(isLocal(d)),
                "format": .from(d.format), "formatProbed": .bool(formatProbed(d)),
                "backingChain": .from(d.backingChain.compactMap(\.path)),
                "backingDepth": .int(d.backingChain.count),
                "backingFormatProbed": .bool(d.backingChain.contains { $0.format == nil }),
                "readonly": .bool(d.readonly), "shareable": .bool(d.shareable),
                "sharedWritable": .bool(d.shareable && !d.readonly), "transient": .bool(d.transient),
                "rawio": .bool(d.rawio), "sgio": .from(d.sgio),
                "reservations": .bool(d.reservations), "reservationsManaged": .from(d.reservationsManaged),
                "seclabels": .array(d.seclabels.map { s in
                    .object(["model": .from(s.model), "relabel": .from(s.relabel), "label": .from(s.label)])
                }),
                "macLabellingOff": .bool(macLabellingOff(d)),
                "dacLabellingOff": .bool(dacLabellingOff(d)),
                "forcedLabel": .from(forced),
            ]
            if let forced {
                o["forcedLabelOwnPair"] = .from(ownPair(forced: SELinuxLabel(forced), vm: vmContext, vmLabel: vmLabel))
            } else {
                o["forcedLabelOwnPair"] = .null
            }
            disks.append(.object(o))
        }
        f.set("storage.disks", .array(disks))
        f.set("storage.count", .int(def.storageDisks.count))
        let all = def.storageDisks
        func names(_ keep: (DomainDefinition.StorageDisk) -> Bool) -> JSONValue { .from(all.filter(keep).map(describe)) }
        f.set("storage.rawioDisks", names { $0.rawio })
        f.set("storage.formatProbedDisks", names { formatProbed($0) || $0.backingChain.contains { $0.format == nil } })
        f.set("storage.sharedWritableDisks", names { $0.shareable && !$0.readonly })
        f.set("storage.unmanagedReservations", names { $0.reservations && $0.reservationsManaged == false })
        f.set("storage.macUnlabelledDisks", names(macLabellingOff))
        f.set("storage.dacUnlabelledDisks", names(dacLabellingOff))
        var outside: [String] = []
        var undecided: [String] = []
        for d in all {
            guard let forced = d.seclabels.first(where: { ($0.model == nil || $0.model == "selinux") && $0.label != nil })?.label else { continue }
            switch ownPair(forced: SELinuxLabel(forced), vm: vmContext, vmLabel: vmLabel) {
            case false?: outside.append(describe(d) + " forced " + forced)
            case nil: undecided.append(describe(d))
            default: break
            }
        }
        if undecided.isEmpty {
            f.set("storage.forcedLabelsOutsidePair", .from(outside))
        } else {
            f.setUnknown("storage.forcedLabelsOutsidePair",
                         reason: "the domain has no SELinux label to compare the forced image labels of \(undecided.joined(separator: ", ")) with")
        }

        var shares: [JSONValue] = []
        for s in def.filesystems {
            let sensitive = s.type == "mount" ? sensitiveReason(s.source) : nil
            shares.append(.object([
                "type": .string(s.type), "driver": .from(s.driver), "transport": .from(s.transport),
                "accessmode": .string(s.accessmode), "source": .from(s.source), "target": .from(s.target),
                "readonly": .bool(s.readonly), "hostSystemDirectory": .from(sensitive),
                "writableHostSystemDirectory": .bool(sensitive != nil && !s.readonly),
            ]))
        }
        f.set("shares.filesystems", .array(shares))
        f.set("shares.count", .int(def.filesystems.count))
        f.set("shares.writableCount", .int(def.filesystems.filter { !$0.readonly }.count))
        f.set("shares.writableSystemDirectories", .from(def.filesystems.compactMap { s in
            guard s.type == "mount", !s.readonly, let why = sensitiveReason(s.source) else { return nil }
            return "\(s.source ?? "") (tag \(s.target ?? "?")): \(why)"
        }))
        f.set("shares.writablePassthrough", .from(def.filesystems.compactMap { s in
            guard s.type == "mount", !s.readonly, s.accessmode == "passthrough" else { return nil }
            return "\(s.source ?? "") (tag \(s.target ?? "?"), \(s.transport ?? s.type))"
        }))

        let mb = def.memoryBacking
        f.set("memory.backing.present", .bool(mb != nil))
        f.set("memory.backing.source", .string(mb?.sourceType ?? "anonymous"))
        f.set("memory.backing.access", .string(mb?.accessMode ?? "private"))
        f.set("memory.backing.hugepages", .bool(mb?.hugepages ?? false))
        f.set("memory.sharedNUMACells", .int(def.sharedNUMACells))
        f.set("memory.shared", .bool(mb?.accessMode == "shared" || def.sharedNUMACells > 0))
        f.set("memory.nosharepages", .bool(mb?.nosharepages ?? false))
        f.set("memory.locked", .bool(mb?.locked ?? false))
        f.set("memory.dumpCore", .string(def.memoryDumpCore ?? "default"))
    }

    /// A per-disk seclabel switches SELinux/AppArmor labelling off for the image: relabel='no' for
    /// that model or for all models (no model), or model='none'.
    static func macLabellingOff(_ d: DomainDefinition.StorageDisk) -> Bool {
        d.seclabels.contains { s in
            s.model == "none" || (s.relabel == false && (s.model == nil || s.model == "selinux" || s.model == "apparmor"))
        }
    }

    /// A per-disk seclabel switches DAC ownership labelling off for the image.
    static func dacLabellingOff(_ d: DomainDefinition.StorageDisk) -> Bool {
        d.seclabels.contains { s in s.model == "none" || (s.relabel == false && (s.model == nil || s.model == "dac")) }
    }

    /// The disk has a source but declares no format.
    static func formatProbed(_ d: DomainDefinition.StorageDisk) -> Bool { d.path != nil && d.format == nil }

    /// `vdb: /dev/sdb (lun)`: how findings name a disk.
    public static func describe(_ d: DomainDefinition.StorageDisk) -> String {
        "\(d.target ?? "?"): \(d.path ?? "(empty)") (\(d.device))"
    }

    /// A disk whose source is a path on this host (a file, block device or directory).
    public static func isLocal(_ d: DomainDefinition.StorageDisk) -> Bool {
        d.path != nil && ["file", "block", "dir"].contains(d.sourceType)
    }

    /// Whether a forced per-disk SELinux label keeps the image inside the VM's own MCS pair: the
    /// VM's image type and exactly the VM's categories. A label without categories (`s0`) is
    /// reachable from every guest of that type. A dynamic label that is not yet allocated (the
    /// domain is shut off) cannot equal a fixed one: libvirt picks a fresh pair at every start.
    /// nil when the domain has no SELinux seclabel to compare with.
    static func ownPair(forced: SELinuxLabel, vm: SELinuxLabel?, vmLabel: DomainDefinition.SecLabel?) -> Bool? {
        guard let vmLabel else { return nil }
        guard let cats = forced.categories, !cats.isEmpty else { return false }
        guard let vm, let vmCats = vm.categories else { return vmLabel.type == "dynamic" ? false : nil }
        let imageType = vmLabel.imagelabel.map(SELinuxLabel.init)?.type ?? "svirt_image_t"
        return cats == vmCats && forced.type == imageType
    }

    /// The parts of an SELinux context `user:role:type:level` that matter here.
    public struct SELinuxLabel: Hashable, Sendable {
        public var type: String?
        /// The category set of the level's low (and only) sensitivity: `c1,c2` -> ["c1", "c2"];
        /// nil when the text is not a context; empty when the level has no categories.
        public var categories: [String]?

        public init(_ context: String) {
            let parts = context.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 3 else { type = nil; categories = nil; return }
            type = parts[2]
            guard parts.count == 4 else { categories = []; return }
            // level: s0[:cats] or s0-s0[:cats]
            let level = parts[3]
            guard let colon = level.firstIndex(of: ":") else { categories = []; return }
            categories = level[level.index(after: colon)...].split(separator: ",").map(String.init).sorted()
        }
    }

    /// Host directories whose writable share hands the guest the host itself: `/`, `/etc`, `/var`,
    /// `/root`, `/home` and each home directory, `/usr`, `/boot`, and libvirt's own state
    /// (`/var/lib/libvirt`, `/etc/libvirt`, `/run/libvirt`) or any ancestor of it. nil for others.
    public static func sensitiveReason(_ source: String?) -> String? {
        guard let source, source.hasPrefix("/") else { return nil }
        var p = source
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        let comps = p.split(separator: "/").map(String.init)
        if comps.contains("..") || comps.contains(".") { return "path with . or .. components: \(p)" }
        let normal = "/" + comps.joined(separator: "/")
        let state = ["/var/lib/libvirt", "/etc/libvirt", "/run/libvirt", "/var/run/libvirt"]
        if normal == "/" { return "the host's root directory" }
        for s in state where s == normal || s.hasPrefix(normal + "/") || normal.hasPrefix(s + "/") {
            return s == normal || normal.hasPrefix(s + "/") ? "libvirt's own state (\(s))" : "an ancestor of libvirt's state (\(s))"
        }
        if ["/etc", "/var", "/root", "/home", "/usr", "/boot", "/run", "/proc", "/sys", "/dev", "/bin", "/sbin", "/lib", "/lib64"].contains(normal) {
            return "a host system directory (\(normal))"
        }
        if comps.count == 2 && comps[0] == "home" { return "a home directory (\(normal))" }
        if comps.first == "root" { return "root's home directory (\(normal))" }
        return nil
    }

    static let src = "domain XML (virDomainGetXMLDesc)"

    public static let schema: [FactField] = [
        FactField("storage.disks", .list, element: .object, source: "<disk>", "Every disk of the domain, in document order."),
        FactField("storage.disks[].target", .string, source: "<disk><target dev>", "Guest device name (vda, sdb)."),
        FactField("storage.disks[].device", .string, source: "<disk device>", "disk, cdrom, floppy or lun."),
        FactField("storage.disks[].bus", .string, source: "<disk><target bus>", "virtio, scsi, sata, ide, usb, fdc..."),
        FactField("storage.disks[].sourceType", .string, source: "<disk type>", "file, block, network, volume, dir, nvme or vhostuser."),
        FactField("storage.disks[].path", .string, source: "<disk><source>",
                  "Host path (file, dev, dir), protocol://host[:port]/name for network, pool/volume for a volume; null for an empty drive."),
        FactField("storage.disks[].protocol", .string, source: "<disk><source protocol>", "nbd, iscsi, rbd, gluster, http... for network disks; null otherwise."),
        FactField("storage.disks[].local", .bool, source: "<disk type>", "The source is a path on this host (file, block or dir with a path)."),
        FactField("storage.disks[].format", .string, source: "<disk><driver type>", "Image format (raw, qcow2); null when absent."),
        FactField("storage.disks[].formatProbed", .bool, source: "<disk><driver type>",
                  "The disk has a source but no <driver type>: the format is guessed from the image's contents."),
        FactField("storage.disks[].backingChain", .list, element: .string, source: "<disk><backingStore>", "Paths of the backing images, outermost first."),
        FactField("storage.disks[].backingDepth", .int, source: "<disk><backingStore>", "Number of backing layers in the XML."),
        FactField("storage.disks[].backingFormatProbed", .bool, source: "<backingStore><format type>", "A backing layer names no format."),
        FactField("storage.disks[].readonly", .bool, source: "<disk><readonly/>", "The guest cannot write the disk."),
        FactField("storage.disks[].shareable", .bool, source: "<disk><shareable/>", "Other domains may use the same disk at the same time."),
        FactField("storage.disks[].sharedWritable", .bool, source: "<shareable/> without <readonly/>", "Shared between domains and writable: a data path between guests."),
        FactField("storage.disks[].transient", .bool, source: "<disk><transient/>", "Changes are discarded when the domain stops."),
        FactField("storage.disks[].rawio", .bool, source: "<disk device='lun' rawio='yes'>", "qemu is given CAP_SYS_RAWIO for this LUN."),
        FactField("storage.disks[].sgio", .string, source: "<disk sgio>", "filtered or unfiltered SG_IO passthrough; null when not set."),
        FactField("storage.disks[].reservations", .bool, source: "<source><reservations enabled>", "The guest issues SCSI persistent reservations through qemu-pr-helper."),
        FactField("storage.disks[].reservationsManaged", .bool, source: "<reservations managed>",
                  "libvirt starts the domain's own qemu-pr-helper (false: a helper socket the admin runs, shared across domains); null without reservations."),
        FactField("storage.disks[].seclabels", .list, element: .object, source: "<disk><source><seclabel>", "Per-disk security label overrides."),
        FactField("storage.disks[].seclabels[].model", .string, source: "<seclabel model>", "selinux, dac, apparmor, none; null when not written (all models)."),
        FactField("storage.disks[].seclabels[].relabel", .bool, source: "<seclabel relabel>", "The relabel attribute; null when absent."),
        FactField("storage.disks[].seclabels[].label", .string, source: "<seclabel><label>", "The label forced on this image."),
        FactField("storage.disks[].macLabellingOff", .bool, source: "<source><seclabel>",
                  "A per-disk seclabel turns SELinux/AppArmor labelling off for this image (relabel='no' for that model or all models, or model='none')."),
        FactField("storage.disks[].dacLabellingOff", .bool, source: "<source><seclabel>",
                  "A per-disk seclabel turns DAC ownership labelling off for this image (relabel='no' for dac or all models, or model='none')."),
        FactField("storage.disks[].forcedLabel", .string, source: "<source><seclabel model='selinux'><label>", "SELinux label forced on the image; null when none."),
        FactField("storage.disks[].forcedLabelOwnPair", .bool, source: "forced label vs the domain's <seclabel> imagelabel/label",
                  "The forced label has the VM's image type and exactly its MCS categories (false for s0 without categories, another pair, or a pair fixed for a dynamic VM); null without a forced label or without a domain SELinux seclabel."),
        FactField("storage.count", .int, source: "<disk>", "Number of disks."),
        FactField("storage.rawioDisks", .list, element: .string, source: "<disk device='lun' rawio='yes'>",
                  "Disks (target: path (device)) that give qemu CAP_SYS_RAWIO."),
        FactField("storage.formatProbedDisks", .list, element: .string, source: "<driver type>, <backingStore><format>",
                  "Disks with a source but no <driver type>, or with a backing layer without <format>."),
        FactField("storage.sharedWritableDisks", .list, element: .string, source: "<shareable/> without <readonly/>", "Disks shared writable with other domains."),
        FactField("storage.unmanagedReservations", .list, element: .string, source: "<reservations managed='no'>",
                  "Disks whose persistent reservations go to an admin-run qemu-pr-helper socket."),
        FactField("storage.macUnlabelledDisks", .list, element: .string, source: "<source><seclabel>", "Disks whose image SELinux/AppArmor labelling is off."),
        FactField("storage.dacUnlabelledDisks", .list, element: .string, source: "<source><seclabel>", "Disks whose image DAC ownership labelling is off."),
        FactField("storage.forcedLabelsOutsidePair", .list, element: .string, source: "<source><seclabel><label> vs the domain's <seclabel>",
                  "Disks whose forced SELinux label is outside the VM's image type and MCS pair, with the label; unknown when the domain has no SELinux label to compare with."),

        FactField("shares.filesystems", .list, element: .object, source: "<filesystem>", "Host directories (and files, devices, RAM) shared into the guest."),
        FactField("shares.filesystems[].type", .string, source: "<filesystem type>", "mount (a host directory), file, block, ram, bind, template, volume."),
        FactField("shares.filesystems[].driver", .string, source: "<filesystem><driver type>", "path, handle, virtiofs, loop, nbd, ploop; null when absent (path)."),
        FactField("shares.filesystems[].transport", .string, source: "<filesystem><driver type>", "9p or virtiofs for a mount; null otherwise."),
        FactField("shares.filesystems[].accessmode", .string, source: "<filesystem accessmode>", "passthrough (the default), mapped or squash."),
        FactField("shares.filesystems[].source", .string, source: "<filesystem><source dir|file|dev|name>", "The host side of the share."),
        FactField("shares.filesystems[].target", .string, source: "<filesystem><target dir>", "The mount tag the guest sees."),
        FactField("shares.filesystems[].readonly", .bool, source: "<filesystem><readonly/>", "The guest cannot write the share."),
        FactField("shares.filesystems[].hostSystemDirectory", .string, source: "<filesystem><source dir>",
                  "Why the source is a host system directory (/, /etc, /var, /root, /home, a home directory, libvirt's state or an ancestor of it); null otherwise."),
        FactField("shares.filesystems[].writableHostSystemDirectory", .bool, source: "<filesystem>", "A host system directory shared without <readonly/>."),
        FactField("shares.count", .int, source: "<filesystem>", "Number of shares."),
        FactField("shares.writableSystemDirectories", .list, element: .string, source: "<filesystem>",
                  "Writable shares of host system directories: source (tag mount tag): why."),
        FactField("shares.writablePassthrough", .list, element: .string, source: "<filesystem accessmode>",
                  "Writable mount shares in passthrough mode: source (tag, 9p or virtiofs)."),
        FactField("shares.writableCount", .int, source: "<filesystem>", "Number of shares without <readonly/>."),

        FactField("memory.backing.present", .bool, source: "<memoryBacking>", "The domain has a <memoryBacking> element."),
        FactField("memory.backing.source", .string, source: "<memoryBacking><source type>", "anonymous (the default), file or memfd."),
        FactField("memory.backing.access", .string, source: "<memoryBacking><access mode>", "private (the default) or shared."),
        FactField("memory.backing.hugepages", .bool, source: "<memoryBacking><hugepages/>", "Guest RAM is backed by huge pages."),
        FactField("memory.sharedNUMACells", .int, source: "<cpu><numa><cell memAccess='shared'>", "NUMA cells whose memory is mapped shared."),
        FactField("memory.shared", .bool, source: "<memoryBacking><access mode='shared'>, <cell memAccess='shared'>",
                  "Guest RAM (or part of it) is mapped MAP_SHARED: other host processes (virtiofsd, vhost-user back ends) map it too."),
        FactField("memory.nosharepages", .bool, source: "<memoryBacking><nosharepages/>", "KSM may not merge this guest's pages with other guests'."),
        FactField("memory.locked", .bool, source: "<memoryBacking><locked/>", "Guest RAM is locked in host memory (never swapped)."),
        FactField("memory.dumpCore", .string, source: "<memory dumpCore>",
                  "on, off, or default (not set: qemu.conf dump_guest_core applies, off unless set)."),
    ]
}
