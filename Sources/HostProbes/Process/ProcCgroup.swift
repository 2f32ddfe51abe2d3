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
