import Core

/// `/proc/<pid>/root`: a link to the process's root directory, `/` unless it was chrooted (then
/// the chroot's path as seen from the reader's mount namespace).
public struct ProcRoot: Sendable, Hashable {
    public var path: String
    public var chrooted: Bool { path != "/" }

    public static func linkPath(pid: Int, root: HostRoot) -> String { root.proc("\(pid)/root") }

    public static func read(pid: Int, root: HostRoot, reader: ProcReader = .live) throws(ProbeError) -> ProcRoot {
        let link = linkPath(pid: pid, root: root)
        return try parse(link: try reader.readLink(link), path: link)
    }

    public static func parse(link: String, path: String = "root") throws(ProbeError) -> ProcRoot {
        guard link.hasPrefix("/") else { throw .parse(path: path, reason: "'\(link)' is not an absolute path") }
        var p = link
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return ProcRoot(path: p)
    }
}
