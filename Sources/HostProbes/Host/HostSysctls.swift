import Core

/// `/proc/sys/vm/unprivileged_userfaultfd` and `/proc/sys/kernel/unprivileged_bpf_disabled`: two
/// sysctls that decide whether an unprivileged process (such as an escaped qemu) may use
/// userfaultfd (a tool to win kernel races) and the bpf() system call.
public struct HostSysctls: Sendable, Hashable {
    public static let userfaultfdPath = "/proc/sys/vm/unprivileged_userfaultfd"
    public static let bpfPath = "/proc/sys/kernel/unprivileged_bpf_disabled"

    /// Parses a sysctl holding one integer.
    public static func parseInt(_ text: String, path: String) throws(ProbeError) -> Int {
        guard let v = Int(text.trimmingWhitespace()) else { throw ProbeError.parse(path: path, reason: "expected an integer") }
        return v
    }

    /// Reads one sysctl; nil when this kernel does not have it.
    public static func read(_ path: String, root: HostRoot) throws(ProbeError) -> Int? {
        guard let text = try FileReader.readOptional(root.path(path)) else { return nil }
        return try parseInt(text, path: root.path(path))
    }
}
