import Core

/// `/proc/cgroups`: the cgroup controllers the kernel has, with whether each is enabled
/// (`cgroup_disable=` turns one off), for cgroup v1 and v2 alike:
///
///     #subsys_name	hierarchy	num_cgroups	enabled
///     cpuset	0	1	1
public struct ProcCgroups: Sendable, Hashable {
    public static let path = "/proc/cgroups"

    /// The controllers libvirt uses to confine and account each guest (the list
    /// virt-host-validate checks): cpu, cpuacct, cpuset, memory, devices, blkio.
    public static let required = ["cpu", "cpuacct", "cpuset", "memory", "devices", "blkio"]

    /// Controller -> enabled.
    public let controllers: [String: Bool]

    public init(controllers: [String: Bool]) { self.controllers = controllers }

    public static func read(root: HostRoot) throws(ProbeError) -> ProcCgroups {
        let p = root.path(path)
        return try parse(try FileReader.readString(p, limit: 64 * 1024), path: p)
    }

    public static func parse(_ text: String, path: String = path) throws(ProbeError) -> ProcCgroups {
        var out: [String: Bool] = [:]
        for (n, line) in text.split(separator: "\n").enumerated() {
            if line.hasPrefix("#") || line.allSatisfy({ $0 == " " }) { continue }
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count == 4, let enabled = Int(f[3]) else {
                throw ProbeError.parse(path: path, reason: "line \(n + 1): expected 4 fields")
            }
            out[String(f[0])] = enabled == 1
        }
        return ProcCgroups(controllers: out)
    }

    /// Required controllers absent or disabled, in `required` order.
    public var missing: [String] { ProcCgroups.required.filter { controllers[$0] != true } }
}
