import Core

/// The host's namespaces, as the reference a qemu process's `/proc/<pid>/ns/*` is compared with:
/// the links of `/proc/1/ns/*` (`mnt -> mnt:[4026531840]`). Where init's links are not readable
/// (some container and sandbox runtimes deny them even to root), the auditor's own `/proc/self/ns/*`
/// stand in, and `source` says so: the auditor runs in the host's namespaces.
public struct HostNamespaces: Sendable, Hashable {
    public static let types = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"]

    /// `/proc/1` or `/proc/self`.
    public let source: String
    /// type -> link text (`mnt:[4026531840]`); types the kernel lacks are absent.
    public let links: [String: String]

    public init(source: String, links: [String: String]) {
        self.source = source
        self.links = links
    }

    public static func read(root: HostRoot) throws(ProbeError) -> HostNamespaces {
        do {
            return try read(root: root, process: "1")
        } catch .permissionDenied {
            return try read(root: root, process: "self")
        }
    }

    private static func read(root: HostRoot, process: String) throws(ProbeError) -> HostNamespaces {
        var links: [String: String] = [:]
        for type in types {
            let p = root.proc("\(process)/ns/\(type)")
            do throws(ProbeError) {
                let link = try FileReader.readLink(p)
                guard parse(link, type: type) != nil else {
                    throw ProbeError.parse(path: p, reason: "expected '\(type):[<inode>]'")
                }
                links[type] = link
            } catch .notFound {
                continue  // e.g. no time namespace before Linux 5.6
            }
        }
        if links.isEmpty { throw ProbeError.notFound(path: root.proc("\(process)/ns")) }
        return HostNamespaces(source: "/proc/\(process)", links: links)
    }

    /// The inode of a namespace link `type:[inode]`, nil when it is not one.
    public static func parse(_ link: String, type: String) -> UInt64? {
        guard link.hasPrefix(type + ":["), link.hasSuffix("]") else { return nil }
        return UInt64(link.dropFirst(type.count + 2).dropLast())
    }

    /// Records `host.namespaces.*`.
    public func record(into facts: inout FactBuilder) {
        facts.set("host.namespaces.source", .string(source))
        for type in HostNamespaces.types {
            if let link = links[type] {
                facts.set("host.namespaces.\(type)", .string(link))
            } else {
                facts.setUnknown("host.namespaces.\(type)", reason: "\(source)/ns/\(type): no such namespace")
            }
        }
    }
}
