import Core

/// `/etc/systemd/system/*.wants/`: the units an administrator enabled (`systemctl enable` links
/// each unit into the `.wants` directory of its `WantedBy=` target, e.g.
/// `sockets.target.wants/libvirtd-tcp.socket`). Only the names are read; a dangling link is still
/// an enabled unit.
public struct SystemdWants: Sendable, Hashable {
    public static let directory = "/etc/systemd/system"

    /// Enabled unit names, sorted, without duplicates.
    public let units: [String]

    public init(units: [String]) { self.units = units }

    /// A missing `/etc/systemd/system` means no unit is enabled (a host without systemd).
    public static func read(root: HostRoot) throws(ProbeError) -> SystemdWants {
        let dir = root.path(directory)
        let entries: [String]
        do { entries = try FileReader.list(dir) } catch .notFound { return SystemdWants(units: []) }
        var units = Set<String>()
        for e in entries where e.hasSuffix(".wants") {
            do {
                for u in try FileReader.list(dir + "/" + e) { units.insert(u) }
            } catch .notFound {
                continue  // a plain file named *.wants, or removed meanwhile
            }
        }
        return SystemdWants(units: units.sorted())
    }

    public func enabled(_ unit: String) -> Bool { units.contains(unit) }
}
