import Core

/// A pid file libvirt writes (`virPidFileWrite`): the decimal pid, no sign, no trailing newline.
/// `/run/libvirt/qemu/<domain>.pid` for a running domain's qemu, `/run/libvirtd.pid` and
/// `/run/virtqemud.pid` for the daemons. The one parser of these files: the process locator,
/// the process probe and the namespace reference read through it.
public enum PidFile {
    /// A pid file is a short number; reading more than this is refused (libvirt reads 1024 bytes).
    public static let limit = 1024

    /// Linux pids are below `PID_MAX_LIMIT` (4 << 20 on 64-bit, include/linux/threads.h).
    public static let maxPid = 4 << 20

    /// The pid file of a running domain's qemu (`/run/libvirt/qemu/<domain>.pid`).
    public static func qemu(domain: String, root: HostRoot) -> String { root.run("libvirt/qemu/\(domain).pid") }

    /// Reads the pid of a running domain's qemu from its pid file.
    public static func read(domain: String, root: HostRoot, reader: ProcReader = .live) throws(ProbeError) -> Int {
        try read(qemu(domain: domain, root: root), reader: reader)
    }

    /// Reads a pid file at a path under the root (`root.run("libvirtd.pid")`).
    public static func read(_ path: String, reader: ProcReader = .live) throws(ProbeError) -> Int {
        let bytes = try reader.read(path)
        if bytes.count > limit { throw .tooLarge(path: path, limit: limit) }
        return try parse(String(decoding: bytes, as: UTF8.self), path: path)
    }

    /// One positive decimal pid, blanks around it allowed (a newline written by hand or by
    /// another tool). Empty text, signs, other characters, 0 and numbers past `maxPid` are refused
    /// with the text quoted (at most 40 characters).
    public static func parse(_ text: String, path: String = "pid file") throws(ProbeError) -> Int {
        let t = text.trimmingWhitespace()
        let shown = t.count > 40 ? String(t.prefix(40)) + "..." : t
        guard !t.isEmpty else { throw .parse(path: path, reason: "empty, no pid") }
        guard t.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .parse(path: path, reason: "'\(shown)' is not a pid")
        }
        guard let pid = Int(t), pid > 0, pid <= maxPid else {
            throw .parse(path: path, reason: "'\(shown)' is not a pid (1...\(maxPid))")
        }
        return pid
    }
}
