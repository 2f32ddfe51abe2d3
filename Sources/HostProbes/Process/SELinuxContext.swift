import Core

/// An SELinux security context `user:role:type[:level]`, e.g. `system_u:system_r:svirt_t:s0:c392,c662`.
public struct SELinuxContext: Sendable, Hashable {
    public var raw: String
    public var user: String
    public var role: String
    public var type: String
    /// The MLS/MCS level or range (`s0:c392,c662`, `s0-s0:c0.c1023`); nil when MLS is disabled.
    public var level: String?
    /// Parsed level; nil when MLS is disabled.
    public var mls: MLSLevel?

    /// The process types of libvirt's sVirt confinement (selinux-policy `virt.te`): qemu/KVM
    /// guests run as `svirt_t`, TCG guests may run as `svirt_tcg_t`, guests with network access
    /// as `svirt_qemu_net_t`/`svirt_kvm_net_t`, LXC containers as `svirt_lxc_net_t`.
    public static let confinedTypes: Set<String> = [
        "svirt_t", "svirt_tcg_t", "svirt_kvm_net_t", "svirt_qemu_net_t", "svirt_lxc_net_t",
    ]

    /// Process types that SELinux does not confine, or that hold the host's own privileges
    /// (a qemu running as one of them is not contained by MAC at all): the unconfined domains of
    /// the targeted policy (`unconfined_t`, `unconfined_service_t`, `unconfined_execmem_t`),
    /// init and the kernel (`init_t`, `initrc_t`, `kernel_t`), the virtualization daemons
    /// (`virtd_t`, `virtqemud_t`, `virtd_lxc_t`), the container runtime and super-privileged
    /// containers (`container_runtime_t`, `spc_t`), administrators (`sysadm_t`), package
    /// management (`rpm_t`) and the label of unlabelled objects (`unlabeled_t`).
    public static let unconfinedTypes: Set<String> = [
        "unconfined_t", "unconfined_service_t", "unconfined_execmem_t", "init_t", "initrc_t", "kernel_t",
        "virtd_t", "virtqemud_t", "virtd_lxc_t", "container_runtime_t", "spc_t", "sysadm_t", "rpm_t",
        "unlabeled_t",
    ]

    /// How a process type confines qemu: a stock sVirt type, a known unconfined (or host
    /// privileged) type, or a custom type (from a `<baselabel>` or a static label) that SELinux
    /// does confine but whose policy an administrator must review.
    public enum TypeClass: String, Sendable, Hashable, CaseIterable {
        case svirt, unconfined, custom
    }

    public static func classify(type: String) -> TypeClass {
        if confinedTypes.contains(type) { return .svirt }
        if unconfinedTypes.contains(type) { return .unconfined }
        return .custom
    }

    public var typeClass: TypeClass { SELinuxContext.classify(type: type) }

    /// True unless the type is a known unconfined type: an sVirt type or a custom one. A custom
    /// type is confined but needs review (`typeClass` tells them apart).
    public var confinedType: Bool { typeClass != .unconfined }

    public static func parse(_ text: String, path: String = "context") throws(ProbeError) -> SELinuxContext {
        let raw = text.trimmingWhitespace()
        let parts = raw.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0...2].allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else {
            throw .parse(path: path, reason: "'\(raw)' is not an SELinux context user:role:type[:level]")
        }
        var level: String? = nil
        var mls: MLSLevel? = nil
        if parts.count == 4 {
            level = parts[3]
            mls = try MLSLevel.parse(parts[3], path: path)
        }
        return SELinuxContext(raw: raw, user: parts[0], role: parts[1], type: parts[2], level: level, mls: mls)
    }

    /// True when `text` has the shape of an SELinux context (used to tell it from an AppArmor
    /// label or another LSM's in `attr/current`).
    public static func looksLikeContext(_ text: String) -> Bool {
        !text.contains(" ") && text.split(separator: ":", omittingEmptySubsequences: false).count >= 3
    }
}

/// An MLS/MCS level or range: `s0`, `s0:c392,c662`, `s0-s0:c0.c1023`, `s0:c1,c5.c7`.
///
/// For a range `low-high` the categories are the high level's (the clearance MCS constraints
/// compare); `sensitivity` is the high level's too.
public struct MLSLevel: Sendable, Hashable {
    public var sensitivity: String
    public var categories: [Int]
    public var isRange: Bool

    /// The largest category range MCS policies define (c0.c1023).
    public static let categoryLimit = 1024
    /// Expansion guard for hostile input: no level lists more than this many categories.
    static let expansionLimit = 65536

    /// c0.c1023 (every category) or, more generally, more than 1000 categories.
    public var fullRange: Bool { categories.count > 1000 }

    public static func parse(_ text: String, path: String = "level") throws(ProbeError) -> MLSLevel {
        let halves = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let high = String(halves.last!)
        guard halves.allSatisfy({ !$0.isEmpty }) else { throw .parse(path: path, reason: "level '\(text)' is empty") }
        if halves.count == 2 { _ = try single(String(halves[0]), path: path) }
        let (sens, cats) = try single(high, path: path)
        return MLSLevel(sensitivity: sens, categories: cats, isRange: halves.count == 2)
    }

    static func single(_ text: String, path: String) throws(ProbeError) -> (String, [Int]) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let sens = String(parts[0])
        guard sens.hasPrefix("s"), Int(sens.dropFirst()) != nil else {
            throw .parse(path: path, reason: "'\(sens)' is not a sensitivity s<n>")
        }
        if parts.count == 1 { return (sens, []) }
        return (sens, try categories(String(parts[1]), path: path))
    }

    /// Parses a category set `c1,c5.c7` into a sorted set `[1, 5, 6, 7]`.
    public static func categories(_ text: String, path: String = "categories") throws(ProbeError) -> [Int] {
        var set = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = item.split(separator: ".", omittingEmptySubsequences: false)
            guard ends.count == 1 || ends.count == 2 else { throw .parse(path: path, reason: "'\(item)' is not a category or range") }
            var values: [Int] = []
            for e in ends {
                guard e.hasPrefix("c"), let v = Int(e.dropFirst()), v >= 0 else {
                    throw .parse(path: path, reason: "'\(e)' is not a category c<n>")
                }
                values.append(v)
            }
            let lo = values[0], hi = values[values.count - 1]
            guard lo <= hi else { throw .parse(path: path, reason: "range '\(item)' runs backwards") }
            guard hi - lo < expansionLimit, set.count + (hi - lo) < expansionLimit else {
                throw .parse(path: path, reason: "'\(text)' names more than \(expansionLimit) categories")
            }
            for v in lo...hi { set.insert(v) }
        }
        return set.sorted()
    }
}
