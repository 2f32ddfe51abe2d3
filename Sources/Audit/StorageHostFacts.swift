import Core
import HostProbes
import Inventory

/// The host's view of each local disk of `storage.disks` (read through the host root): the kind
/// of a block device (whole disk, partition, logical volume...), and the owner, mode and live
/// SELinux label of the file or device qemu opens, compared with the running qemu's label.
enum StorageHostFacts {
    static let schema: [FactField] = [
        FactField("storage.disks[].blockKind", .string, source: "/sys/class/block/<dev>, the /dev path",
                  "disk, partition, lvm, multipath, dm, crypt, loop or md for a block source; null when neither sysfs nor the device name tells, or for other sources."),
        FactField("storage.disks[].blockEvidence", .string, source: "/sys/class/block/<dev>",
                  "How blockKind was decided: sysfs, or device name when sysfs has no entry for it."),
        FactField("storage.disks[].wholeDisk", .bool, source: "storage.disks[].blockKind",
                  "A block source is a whole device (disk, loop, md, multipath) rather than a partition or logical volume; null when unknown or not a block source."),
        FactField("storage.disks[].ownerUid", .int, source: "stat(2) of the source", "Owner of the file or device; null when it could not be read."),
        FactField("storage.disks[].ownerGid", .int, source: "stat(2) of the source", "Group of the file or device."),
        FactField("storage.disks[].mode", .string, source: "stat(2) of the source", "Permission bits as four octal digits (0600)."),
        FactField("storage.disks[].worldWritable", .bool, source: "stat(2) of the source", "Any local user may write the image."),
        FactField("storage.disks[].ownerMatchesVM", .bool, source: "ownerUid vs labels.dac.uid",
                  "The image is owned by the VM's DAC uid (what libvirt's dynamic ownership gives a running VM's writable images); null when either side is unknown."),
        FactField("storage.disks[].liveLabel", .string, source: "getxattr(<source>, security.selinux)",
                  "The file's SELinux label; null when it has none or could not be read (see hostError)."),
        FactField("storage.disks[].liveLabelOwnPair", .bool, source: "liveLabel vs process.selinux.context",
                  "The writable image carries the VM's image type and exactly the running qemu's MCS categories; null when the VM is not running, the disk is read-only or shareable, or either label is unknown."),
        FactField("storage.disks[].liveLabelState", .string, source: "liveLabel vs process.selinux.context",
                  "own-pair, other (another type or category set), unlabelled, absent (no such file under the host root), unreadable or not-applicable (not running under SELinux, read-only, shareable or not local)."),
        FactField("memory.ksmMerging", .bool, source: "/sys/kernel/mm/ksm/run",
                  "The host's kernel same-page merging is running (run = 1); false when stopped (0, 2) or the kernel has no KSM."),
        FactField("storage.wholeHostDisks", .list, element: .string, source: "/sys/class/block/<dev>, the /dev path",
                  "Block disks (not LUNs) that are whole host devices (disk, loop, md, multipath); unknown when a block source's kind cannot be told."),
        FactField("storage.worldWritableImages", .list, element: .string, source: "stat(2) of each local source",
                  "Local images and block devices any host user may write (mode o+w), with their mode; unknown when one could not be read (and none is known to be world-writable). Paths absent under the host root are not counted."),
        FactField("storage.imagesOutsidePair", .list, element: .string, source: "getxattr(security.selinux) vs process.selinux.context",
                  "Writable, unshared local images of a running SELinux-labelled qemu whose live label is not the VM's image type and categories; unknown when one could not be read (and none is known to be outside)."),
        FactField("storage.disks[].hostError", .string, source: "the source's path under the host root",
                  "Why the host could not show the disk's owner, label or block kind; null when it could."),
    ]

    /// `disk`, `loop device`, `RAID array`, `multipath map`: how a whole device is named in findings.
    static func wholeName(_ kind: String?) -> String {
        switch kind {
        case "loop": return "loop device"
        case "md": return "RAID array (md)"
        case "multipath": return "multipath map"
        default: return kind ?? "device"
        }
    }

    /// `ksm`: the host's `/sys/kernel/mm/ksm/run`, read once per scan.
    static func collect(_ d: InventoryDomain, root: HostRoot, ksm: Result<KSMState?, ProbeError>, into f: inout FactBuilder) {
        switch ksm {
        case .success(let k): f.set("memory.ksmMerging", .bool(k?.merging ?? false))
        case .failure(let e): f.setUnknown("memory.ksmMerging", reason: "\(e)")
        }
        guard case .success(let def) = d.definition, case .array(let disks)? = f.tree[path: "storage.disks"] else { return }
        let context = f.tree[path: "process.selinux.context"]?.stringValue
        let processLabel = d.record.isActive ? context.map(StorageFacts.SELinuxLabel.init) : nil
        let imageLabel = f.tree[path: "labels.selinux.imagelabel"]?.stringValue
        let imageType = imageLabel.map(StorageFacts.SELinuxLabel.init)?.type ?? "svirt_image_t"
        let dacUID = f.tree[path: "labels.dac.uid"]?.intValue
        var out: [JSONValue] = []
        var whole: [String] = [], wholeUnknown: [String] = []
        var outside: [String] = [], unreadable: [String] = []
        var worldWritable: [String] = [], statFailed: [String] = []
        for (disk, value) in zip(def.storageDisks, disks) {
            guard case .object(var o) = value else { out.append(value); continue }
            var errors: [String] = []
            o["blockKind"] = .null; o["blockEvidence"] = .null; o["wholeDisk"] = .null
            o["ownerUid"] = .null; o["ownerGid"] = .null; o["mode"] = .null; o["worldWritable"] = .null
            o["ownerMatchesVM"] = .null; o["liveLabel"] = .null; o["liveLabelOwnPair"] = .null
            var state = "not-applicable"
            if let path = disk.path, StorageFacts.isLocal(disk) {
                if disk.sourceType == "block" {
                    do {
                        if let b = try SysBlockDevice.classify(devicePath: path, root: root) {
                            o["blockKind"] = .string(b.kind)
                            o["blockEvidence"] = .string(b.evidence)
                            o["wholeDisk"] = .from(b.wholeDisk)
                        } else {
                            errors.append("\(path): neither \(root.path("/sys/class/block")) nor the device name tells whether it is a whole disk")
                        }
                    } catch { errors.append("\(error)") }
                }
                do {
                    let file = try ImageFile.read(path: path, root: root)
                    o["ownerUid"] = .int(file.uid)
                    o["ownerGid"] = .int(file.gid)
                    o["mode"] = .string(file.modeString)
                    o["worldWritable"] = .bool(file.worldWritable)
                    if file.worldWritable { worldWritable.append(StorageFacts.describe(disk) + " mode " + file.modeString) }
                    o["ownerMatchesVM"] = .from(dacUID.map { $0 == file.uid })
                    o["liveLabel"] = .from(file.selinuxLabel)
                    if let processLabel, !disk.readonly, !disk.shareable {
                        if let live = file.selinuxLabel {
                            let l = StorageFacts.SELinuxLabel(live)
                            let own = l.type == imageType && l.categories != nil && l.categories == processLabel.categories
                                && !(l.categories ?? []).isEmpty
                            o["liveLabelOwnPair"] = .bool(own)
                            state = own ? "own-pair" : "other"
                        } else {
                            state = "unlabelled"
                        }
                    }
                } catch .notFound {
                    // Not in the host's view (a fixture root without images, a path only inside
                    // qemu's mount namespace): nothing on the host carries a label to judge.
                    errors.append("\(root.path(path)): no such file on the host")
                    if processLabel != nil, !disk.readonly, !disk.shareable { state = "absent" }
                } catch {
                    errors.append("\(error)")
                    statFailed.append(StorageFacts.describe(disk) + ": \(error)")
                    if processLabel != nil, !disk.readonly, !disk.shareable { state = "unreadable" }
                }
            }
            if disk.sourceType == "block" && disk.device != "lun" {
                switch o["wholeDisk"] {
                case .bool(true)?: whole.append(StorageFacts.describe(disk) + " is a whole " + wholeName(o["blockKind"]?.stringValue))
                case .bool(false)?: break
                default: wholeUnknown.append(StorageFacts.describe(disk) + ": " + (errors.first ?? "not a local path"))
                }
            }
            if state == "other" { outside.append(StorageFacts.describe(disk) + " labelled " + (o["liveLabel"]?.stringValue ?? "")) }
            if state == "unreadable" { unreadable.append(StorageFacts.describe(disk) + ": " + (errors.last ?? "")) }
            o["liveLabelState"] = .string(state)
            o["hostError"] = errors.isEmpty ? .null : .string(errors.joined(separator: "; "))
            out.append(.object(o))
        }
        f.set("storage.disks", .array(out))
        if wholeUnknown.isEmpty { f.set("storage.wholeHostDisks", .from(whole)) } else {
            f.setUnknown("storage.wholeHostDisks", reason: wholeUnknown.joined(separator: "; "))
        }
        if !worldWritable.isEmpty || statFailed.isEmpty { f.set("storage.worldWritableImages", .from(worldWritable)) } else {
            f.setUnknown("storage.worldWritableImages", reason: statFailed.joined(separator: "; "))
        }
        if !outside.isEmpty || unreadable.isEmpty { f.set("storage.imagesOutsidePair", .from(outside)) } else {
            f.setUnknown("storage.imagesOutsidePair", reason: unreadable.joined(separator: "; "))
        }
    }
}
