import Core

/// `/sys/fs/selinux/booleans/<name>`: each SELinux boolean's state, `"<current> <pending>"`
/// (`1 1`, `0 0`, `0 1` while a change is pending commit). Only the `virt_*` booleans, which widen
/// what libvirt's `svirt_t` guests may do, are kept.
public struct SELinuxBooleans: Sendable, Hashable {
    public static let directory = "/sys/fs/selinux/booleans"

    /// Booleans that open host resources to every confined guest (documented in Docs/facts/management.md).
    public static let risky: [String] = [
        "virt_use_execmem", "virt_sandbox_use_all_caps", "virt_use_nfs", "virt_use_samba", "virt_use_fusefs",
        "virt_use_usb", "virt_use_comm", "virt_use_rawip", "virt_use_xserver", "virt_use_glusterd",
        "virt_sandbox_use_sys_admin", "virt_sandbox_use_mknod", "virt_sandbox_use_netlink", "virt_use_pcscd",
    ]

    /// Name -> current value.
    public let values: [String: Bool]

    public init(values: [String: Bool]) { self.values = values }

    /// Nil when no policy is loaded (no booleans directory).
    public static func read(root: HostRoot) throws(ProbeError) -> SELinuxBooleans? {
        let dir = root.path(directory)
        let names: [String]
        do { names = try FileReader.list(dir) } catch .notFound { return nil }
        var values: [String: Bool] = [:]
        for n in names where n.hasPrefix("virt_") {
            let path = dir + "/" + n
            do {
                values[n] = try parse(try FileReader.readAttribute(path), path: path)
            } catch .notFound {
                continue
            }
        }
        return SELinuxBooleans(values: values)
    }

    /// `"1 1"` -> true (the current value, the first number).
    public static func parse(_ text: String, path: String) throws(ProbeError) -> Bool {
        switch text.split(separator: " ").first {
        case "1": return true
        case "0": return false
        default: throw ProbeError.parse(path: path, reason: "expected \"<0|1> <0|1>\"")
        }
    }

    /// Risky booleans that are on, sorted.
    public var riskyOn: [String] { SELinuxBooleans.risky.filter { values[$0] == true }.sorted() }
}
