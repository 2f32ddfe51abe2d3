import Core

/// `/dev/kvm`: who may create virtual machines. Distributions ship it as `0660 root:kvm` (some
/// `0666`). Absent when KVM is not loaded, or moved aside on hosts whose CPU lacks VT-x/AMD-V.
public struct KVMDevice: Sendable, Hashable {
    public static let path = "/dev/kvm"

    public var exists: Bool
    public var uid: Int?
    public var gid: Int?
    /// Permission bits (`0o660`), without the file type.
    public var mode: Int?
    public var isCharDevice: Bool?
    /// The owning group's name from `/etc/group`, when it is listed there.
    public var groupName: String?
    /// Why `groupName` is nil, when it is.
    public var groupLookupError: String?

    public init(exists: Bool, uid: Int? = nil, gid: Int? = nil, mode: Int? = nil, isCharDevice: Bool? = nil,
                groupName: String? = nil) {
        self.exists = exists
        self.uid = uid
        self.gid = gid
        self.mode = mode
        self.isCharDevice = isCharDevice
        self.groupName = groupName
    }

    /// The mode as four octal digits: `"0660"`.
    public var modeString: String? {
        mode.map { m in
            let digits = String(m, radix: 8)
            return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        }
    }

    /// Others may open it (read or write): any bit of `0o007`.
    public var worldAccessible: Bool? { mode.map { $0 & 0o007 != 0 } }
    public var worldWritable: Bool? { mode.map { $0 & 0o002 != 0 } }

    /// Stats `/dev/kvm` under `root` and names its group from the root's `/etc/group` (best effort).
    public static func read(root: HostRoot) throws(ProbeError) -> KVMDevice {
        let meta: (uid: Int, gid: Int, mode: Int, isCharDevice: Bool)
        do {
            meta = try FileReader.metadata(root.path(path))
        } catch .notFound {
            return KVMDevice(exists: false)
        }
        var name: String?
        var lookup: String?
        do {
            name = try EtcGroup.read(root: root).name(of: meta.gid)
            if name == nil { lookup = "gid \(meta.gid) is not listed in \(EtcGroup.path)" }
        } catch {
            lookup = "\(error)"
        }
        var dev = KVMDevice(exists: true, uid: meta.uid, gid: meta.gid, mode: meta.mode, isCharDevice: meta.isCharDevice,
                            groupName: name)
        dev.groupLookupError = lookup
        return dev
    }

    /// Records `host.kvm.*`.
    public func record(into facts: inout FactBuilder) {
        facts.set("host.kvm.path", .string(KVMDevice.path))
        facts.set("host.kvm.exists", .bool(exists))
        guard exists else { return }
        facts.set("host.kvm.uid", .from(uid))
        facts.set("host.kvm.gid", .from(gid))
        if let groupName {
            facts.set("host.kvm.group", .string(groupName))
        } else {
            facts.setUnknown("host.kvm.group", reason: groupLookupError ?? "group name unknown")
        }
        facts.set("host.kvm.mode", .from(modeString))
        facts.set("host.kvm.charDevice", .from(isCharDevice))
        facts.set("host.kvm.worldAccessible", .from(worldAccessible))
        facts.set("host.kvm.worldWritable", .from(worldWritable))
    }
}
