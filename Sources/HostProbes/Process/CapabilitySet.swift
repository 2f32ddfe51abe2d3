/// A Linux capability set as the kernel prints it in `/proc/<pid>/status` (`CapEff:
/// 000001fffeffffff`): a 64-bit mask, bit n = capability n (linux/capability.h).
public struct CapabilitySet: Sendable, Hashable {
    public let mask: UInt64

    public init(mask: UInt64) { self.mask = mask }

    /// Capability names by number, 0 ... 40 (CAP_LAST_CAP of Linux 5.9 and later).
    public static let names: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
        "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ]

    /// The name of capability `bit`; a bit this table does not know is `CAP_<n>`.
    public static func name(of bit: Int) -> String {
        bit < names.count ? names[bit] : "CAP_\(bit)"
    }

    /// Parses the kernel's hex mask (16 hex digits, no `0x`). Nil for anything else.
    public static func parse(hex: String) -> CapabilitySet? {
        let digits = hex.hasPrefix("0x") ? String(hex.dropFirst(2)) : hex
        guard !digits.isEmpty, digits.count <= 16, let v = UInt64(digits, radix: 16) else { return nil }
        return CapabilitySet(mask: v)
    }

    /// The names of the set bits, by increasing capability number.
    public var names: [String] {
        (0..<64).filter { mask & (UInt64(1) << UInt64($0)) != 0 }.map(CapabilitySet.name(of:))
    }

    public var count: Int { mask.nonzeroBitCount }

    /// The mask as the kernel prints it: 16 lowercase hex digits.
    public var hex: String {
        let s = String(mask, radix: 16)
        return String(repeating: "0", count: max(0, 16 - s.count)) + s
    }

    public func contains(_ name: String) -> Bool { names.contains(name) }
}
