import Core

/// `/proc/<pid>/cgroup`: one line per hierarchy, `hierarchy-ID:controller-list:cgroup-path`.
/// cgroup v2 has a single line `0::/path`; v1 has one line per controller (and, on hybrid hosts,
/// the `0::` line too).
public struct ProcCgroup: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var id: Int
        public var controllers: [String]
        public var path: String
    }

    public var entries: [Entry]

    /// 2 when the only hierarchy is the unified one, else 1 (v1 or hybrid).
    public var version: Int {
        entries.allSatisfy({ $0.id == 0 && $0.controllers.isEmpty }) ? 2 : 1
    }

    /// The process's cgroup: the unified (`0::`) path when present, else the cpu controller's,
    /// else the first non-root path, else `/`.
    public var path: String {
        if let u = entries.first(where: { $0.id == 0 && $0.controllers.isEmpty }) { return u.path }
        if let c = entries.first(where: { $0.controllers.contains("cpu") }) { return c.path }
        return entries.first(where: { $0.path != "/" })?.path ?? "/"
    }

    /// The libvirt machine group in `path`, when the process is in one: a systemd scope
    /// `machine-qemu\x2d1\x2dva\x2dconfined.scope` (under `machine.slice`) or, without systemd,
    /// libvirt's own `qemu-1-va-confined.libvirt-qemu` (under `/machine`).
    public var machineScope: String? { ProcCgroup.machineScope(in: path) }

    public static func machineScope(in path: String) -> String? {
        for component in path.split(separator: "/") {
            let c = String(component)
            if c.hasPrefix("machine-") && c.hasSuffix(".scope") { return c }
            if c.hasSuffix(".libvirt-qemu") || c.hasSuffix(".libvirt-lxc") { return c }
        }
        return nil
    }

    /// The libvirt machine name of the scope: `qemu-1-va-confined` from
    /// `machine-qemu\x2d1\x2dva\x2dconfined.scope` (systemd's `\xHH` escapes decoded) or from
    /// `qemu-1-va-confined.libvirt-qemu`.
    public var machineName: String? { machineScope.map(ProcCgroup.machineName(fromScope:)) }

    public static func machineName(fromScope scope: String) -> String {
        var s = Substring(scope)
        if s.hasPrefix("machine-") && s.hasSuffix(".scope") {
            s = s.dropFirst("machine-".count).dropLast(".scope".count)
        } else if let dot = s.lastIndex(of: "."), s[dot...] == ".libvirt-qemu" || s[dot...] == ".libvirt-lxc" {
            s = s[..<dot]
        }
        return unescape(String(s))
    }

    /// Decodes systemd unit-name escapes (`\x2d` is `-`).
    static func unescape(_ text: String) -> String {
        var bytes: [UInt8] = []
        let u = Array(text.utf8)
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "\\"), i + 3 < u.count, u[i + 1] == UInt8(ascii: "x"),
               let v = UInt8(String(decoding: u[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) {
                bytes.append(v)
                i += 4
            } else {
                bytes.append(u[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func path(pid: Int, root: HostRoot) -> String { root.proc("\(pid)/cgroup") }

    public static func read(pid: Int, root: HostRoot, reader: ProcReader = .live) throws(ProbeError) -> ProcCgroup {
        let path = path(pid: pid, root: root)
        return try parse(try reader.readString(path), path: path)
    }

    public static func parse(_ text: String, path: String = "cgroup") throws(ProbeError) -> ProcCgroup {
        var entries: [Entry] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let id = Int(parts[0]), id >= 0, parts[2].hasPrefix("/") else {
                throw .parse(path: path, reason: "'\(line)' is not id:controllers:path")
            }
            let controllers = parts[1].split(separator: ",").map(String.init)
            entries.append(Entry(id: id, controllers: controllers, path: String(parts[2])))
        }
        if entries.isEmpty { throw .parse(path: path, reason: "no cgroup line") }
        return ProcCgroup(entries: entries)
    }
}
