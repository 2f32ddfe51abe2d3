import Core

/// `/sys/class/block/<name>`: what kind of block device a disk source is. A `partition` file
/// marks a partition; `dm/uuid` a device-mapper target (`LVM-...` a logical volume, `mpath-...`
/// a multipath whole disk, `CRYPT-...` a dm-crypt mapping); `loop/` a loop device; `md/` a RAID
/// array; anything else a whole disk.
public struct SysBlockDevice: Sendable, Hashable {
    /// `disk`, `partition`, `lvm`, `multipath`, `dm`, `crypt`, `loop`, `md`.
    public var kind: String
    /// The kernel name (`sdb`, `dm-3`, `loop0`).
    public var name: String
    /// `dm/name` of a device-mapper device (`vg0-guest1`).
    public var dmName: String?
    /// `loop/backing_file` of a loop device.
    public var backingFile: String?
    /// How the kind was decided: `sysfs` or `device name` (sysfs had no entry).
    public var evidence: String

    /// A whole device (a disk, loop, RAID array or multipath map) rather than a partition or a
    /// logical volume carved out of one. nil when the kind is not known.
    public var wholeDisk: Bool? {
        switch kind {
        case "disk", "loop", "md", "multipath": return true
        case "partition", "lvm", "dm", "crypt": return false
        default: return nil
        }
    }

    public static func path(_ name: String) -> String { "/sys/class/block/\(name)" }

    /// Reads the sysfs entry of `name` under `root`; nil when there is none.
    public static func read(name: String, root: HostRoot) throws(ProbeError) -> SysBlockDevice? {
        let dir = root.path(path(name))
        guard FileReader.exists(dir) else { return nil }
        if FileReader.exists(dir + "/partition") {
            return SysBlockDevice(kind: "partition", name: name, evidence: "sysfs")
        }
        if FileReader.isDirectory(dir + "/dm") {
            let uuid = try FileReader.readOptional(dir + "/dm/uuid") ?? ""
            let dmName = try FileReader.readOptional(dir + "/dm/name")
            return SysBlockDevice(kind: dmKind(uuid: uuid), name: name, dmName: dmName, evidence: "sysfs")
        }
        if FileReader.isDirectory(dir + "/loop") {
            return SysBlockDevice(kind: "loop", name: name, backingFile: try FileReader.readOptional(dir + "/loop/backing_file"),
                                  evidence: "sysfs")
        }
        if FileReader.isDirectory(dir + "/md") { return SysBlockDevice(kind: "md", name: name, evidence: "sysfs") }
        return SysBlockDevice(kind: "disk", name: name, evidence: "sysfs")
    }

    /// The device-mapper target from its uuid prefix (what LVM, multipathd and cryptsetup write).
    public static func dmKind(uuid: String) -> String {
        if uuid.hasPrefix("LVM-") { return "lvm" }
        if uuid.hasPrefix("mpath-") { return "multipath" }
        if uuid.hasPrefix("CRYPT-") { return "crypt" }
        return "dm"
    }

    /// The kind from a `/dev` path alone, for when sysfs has no entry: `sdb`/`vdc`/`nvme0n1`/`loop3`
    /// are whole disks, `sdb1`/`nvme0n1p2`/`mmcblk0p1` partitions, `/dev/mapper/*` and `dm-N`
    /// device-mapper targets, `/dev/<vg>/<lv>` LVM's volume links. nil when the name says nothing.
    public static func guess(devicePath: String) -> SysBlockDevice? {
        let comps = devicePath.split(separator: "/").map(String.init)
        guard comps.first == "dev", comps.count >= 2, let name = comps.last else { return nil }
        func make(_ kind: String) -> SysBlockDevice { SysBlockDevice(kind: kind, name: name, evidence: "device name") }
        if comps.count == 3 && comps[1] == "mapper" { return make("dm") }
        if comps.count == 3 && !["disk", "block", "md", "cciss", "bus", "char"].contains(comps[1]) { return make("lvm") }
        guard comps.count == 2 else { return nil }
        if name.wholeMatch(of: /dm-\d+/) != nil { return make("dm") }
        if name.wholeMatch(of: /(sd|vd|hd|xvd)[a-z]+\d+/) != nil { return make("partition") }
        if name.wholeMatch(of: /(nvme\d+n\d+|mmcblk\d+|loop\d+|md\d+)p\d+/) != nil { return make("partition") }
        if name.wholeMatch(of: /(sd|vd|hd|xvd)[a-z]+|nvme\d+n\d+|mmcblk\d+/) != nil { return make("disk") }
        if name.wholeMatch(of: /loop\d+/) != nil { return make("loop") }
        if name.wholeMatch(of: /md\d+/) != nil { return make("md") }
        return nil
    }

    /// Follows `devicePath`'s symlinks under `root` (`/dev/disk/by-id/...` -> `/dev/sdb`,
    /// `/dev/vg0/lv` -> `/dev/dm-3`), at most 16 hops, and returns the host path it ends at.
    public static func resolve(devicePath: String, root: HostRoot) -> String {
        var p = devicePath
        for _ in 0..<16 {
            guard let target = try? FileReader.readLink(root.path(p)) else { break }
            if target.hasPrefix("/") { p = target } else {
                let dir = p.split(separator: "/").dropLast().map(String.init)
                var parts = dir
                for c in target.split(separator: "/").map(String.init) {
                    if c == ".." { if !parts.isEmpty { parts.removeLast() } } else if c != "." { parts.append(c) }
                }
                p = "/" + parts.joined(separator: "/")
            }
        }
        return p
    }

    /// The kind of the block device at host path `devicePath`: sysfs first (after following
    /// symlinks), the device name otherwise; nil when neither tells.
    public static func classify(devicePath: String, root: HostRoot) throws(ProbeError) -> SysBlockDevice? {
        let resolved = resolve(devicePath: devicePath, root: root)
        if resolved.hasPrefix("/dev/"), !resolved.dropFirst(5).contains("/"),
           let s = try read(name: String(resolved.dropFirst(5)), root: root) {
            return s
        }
        return guess(devicePath: resolved) ?? guess(devicePath: devicePath)
    }
}
