import Core

/// `/run/libvirt/qemu/<domain>.pid`: the pid libvirt recorded for a running domain's qemu
/// (decimal, no trailing newline).
public enum QemuPidFile {
    public static func path(domain: String, root: HostRoot) -> String { root.run("libvirt/qemu/\(domain).pid") }

    public static func read(domain: String, root: HostRoot, reader: ProcReader = .live) throws(ProbeError) -> Int {
        let path = path(domain: domain, root: root)
        return try parse(try reader.readString(path), path: path)
    }

    public static func parse(_ text: String, path: String = "pid file") throws(ProbeError) -> Int {
        let t = text.trimmingWhitespace()
        guard let pid = Int(t), pid > 0 else { throw .parse(path: path, reason: "'\(t)' is not a pid") }
        return pid
    }
}
