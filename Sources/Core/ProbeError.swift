import Glibc

/// Why a fact could not be read. Every probe failure is one of these, and becomes an `unknown`
/// fact with `description` as its reason: never a crash, never a pass.
public enum ProbeError: Error, Sendable, Hashable, CustomStringConvertible {
    case notFound(path: String)
    case permissionDenied(path: String)
    /// The process exited while it was being read (ENOENT/ESRCH under /proc/<pid>).
    case processGone(pid: Int)
    /// EINVAL: e.g. /proc/<pid>/attr/current with no LSM loaded.
    case invalidArgument(path: String)
    case tooLarge(path: String, limit: Int)
    case io(path: String, errno: Int32)
    case parse(path: String, reason: String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .notFound(let p): return "\(p): no such file"
        case .permissionDenied(let p): return "\(p): permission denied"
        case .processGone(let pid): return "process \(pid) exited during the scan"
        case .invalidArgument(let p): return "\(p): invalid argument (no LSM provides this attribute)"
        case .tooLarge(let p, let limit): return "\(p): larger than \(limit) bytes"
        case .io(let p, let e): return "\(p): \(String(cString: strerror(e)))"
        case .parse(let p, let r): return "\(p): \(r)"
        case .unsupported(let r): return r
        }
    }

    /// The one mapping from a failed system call's errno to a `ProbeError`: `FileReader`, the
    /// xattr and libselinux calls of the probes, and anything else that reads a host file.
    public static func from(errno e: Int32, path: String) -> ProbeError {
        switch e {
        case ENOENT, ENOTDIR: return .notFound(path: path)
        case EACCES, EPERM: return .permissionDenied(path: path)
        case EINVAL: return .invalidArgument(path: path)
        case ESRCH: return .processGone(pid: ProbeError.pid(in: path) ?? -1)
        default: return .io(path: path, errno: e)
        }
    }

    /// The pid in a `.../proc/<pid>/...` path, if any.
    public static func pid(in path: String) -> Int? {
        let parts = path.split(separator: "/")
        guard let i = parts.firstIndex(of: "proc"), i + 1 < parts.count else { return nil }
        return Int(parts[i + 1])
    }

    /// Within a process directory, a vanished file means the process is gone.
    public func forProcess(_ pid: Int, alive: Bool) -> ProbeError {
        if !alive, case .notFound = self { return .processGone(pid: pid) }
        if case .processGone = self { return .processGone(pid: pid) }
        return self
    }
}

extension ProbeError {
    /// The same error with its path shown as the host sees it (`/run/libvirt/qemu/va.pid`), not
    /// as read under a fixture root.
    public func hostView(_ root: HostRoot) -> ProbeError {
        switch self {
        case .notFound(let p): return .notFound(path: root.hostView(p))
        case .permissionDenied(let p): return .permissionDenied(path: root.hostView(p))
        case .invalidArgument(let p): return .invalidArgument(path: root.hostView(p))
        case .tooLarge(let p, let limit): return .tooLarge(path: root.hostView(p), limit: limit)
        case .io(let p, let e): return .io(path: root.hostView(p), errno: e)
        case .parse(let p, let r): return .parse(path: root.hostView(p), reason: r)
        case .processGone, .unsupported: return self
        }
    }
}
