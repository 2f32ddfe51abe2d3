import Core

/// `/proc/<pid>/ns/*`: the namespaces a process belongs to, one symlink each whose target names
/// the type and inode (`mnt:[4026531840]`). Two processes share a namespace exactly when the
/// inodes are equal.
public struct ProcNamespaces: Sendable, Hashable {
    /// The namespace types compared, in report order. `cgroup` appeared in Linux 4.6, `time` in 5.6.
    public static let kinds = ["mnt", "pid", "net", "ipc", "uts", "user", "cgroup", "time"]

    /// Inode per kind; a kind whose link could not be read is absent and its error is in `errors`.
    public var inodes: [String: UInt64]
    public var errors: [String: ProbeError]

    public init(inodes: [String: UInt64], errors: [String: ProbeError] = [:]) {
        self.inodes = inodes
        self.errors = errors
    }

    public static func linkPath(pid: String, kind: String, root: HostRoot) -> String {
        root.proc("\(pid)/ns/\(kind)")
    }

    /// Reads every kind's link of `/proc/<pid>/ns` (`pid` may be `self`). One readlink per kind;
    /// a failed kind is recorded in `errors`, never thrown.
    public static func read(pid: String, root: HostRoot, reader: ProcReader = .live) -> ProcNamespaces {
        var result = ProcNamespaces(inodes: [:])
        for kind in kinds {
            let path = linkPath(pid: pid, kind: kind, root: root)
            do {
                result.inodes[kind] = try parse(link: try reader.readLink(path), kind: kind, path: path)
            } catch {
                result.errors[kind] = error
            }
        }
        return result
    }

    /// Parses a link target `mnt:[4026531840]`; the type must be `kind`.
    public static func parse(link: String, kind: String, path: String = "ns") throws(ProbeError) -> UInt64 {
        let target = link.trimmingWhitespace()
        guard target.hasPrefix(kind + ":["), target.hasSuffix("]") else {
            throw .parse(path: path, reason: "'\(target)' is not a \(kind) namespace link")
        }
        let digits = target.dropFirst(kind.count + 2).dropLast()
        guard let inode = UInt64(digits) else {
            throw .parse(path: path, reason: "'\(target)' has no inode number")
        }
        return inode
    }
}
