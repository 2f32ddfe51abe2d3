/// The filesystem root that every probe reads through. `/` on a real host; a fixture tree in
/// tests (`HostRoot("Tests/Fixtures/selinux-host")`). Nothing reads `/proc` or `/sys` directly.
public struct HostRoot: Sendable, Hashable, CustomStringConvertible {
    /// The root directory, without a trailing slash ("" for `/`).
    public let base: String

    public init(_ path: String = "/") {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        base = (p == "/") ? "" : p
    }

    public var isLive: Bool { base.isEmpty }
    public var description: String { base.isEmpty ? "/" : base }

    /// An absolute host path (`/proc/1/status`) under this root.
    public func path(_ absolute: String) -> String {
        absolute.hasPrefix("/") ? base + absolute : base + "/" + absolute
    }

    public func proc(_ rel: String) -> String { path("/proc/" + rel) }
    public func sys(_ rel: String) -> String { path("/sys/" + rel) }
    public func run(_ rel: String) -> String { path("/run/" + rel) }
    public func etc(_ rel: String) -> String { path("/etc/" + rel) }

    /// Strips this root from a path read back (a symlink target), giving the host's view.
    public func hostView(_ path: String) -> String {
        if !base.isEmpty, path.hasPrefix(base + "/") { return String(path.dropFirst(base.count)) }
        return path
    }
}
