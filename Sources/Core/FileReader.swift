import Glibc
import Synchronization

/// Reads kernel and config files safely: one bounded read loop with raw syscalls, never trusting
/// `stat` sizes (proc and sysfs files report 0 or 4096), capped at `limit` bytes.
public enum FileReader {
    /// Counts every file read and link read, for the benchmark's "files read per VM".
    public static let readCount = Atomic<Int>(0)

    public static let defaultLimit = 1 << 20

    public static func read(_ path: String, limit: Int = defaultLimit) throws(ProbeError) -> [UInt8] {
        readCount.add(1, ordering: .relaxed)
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        if fd < 0 { throw ProbeError.from(errno: errno, path: path) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ProbeError.from(errno: errno, path: path)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit { throw ProbeError.tooLarge(path: path, limit: limit) }
        }
        return out
    }

    /// Reads a text file; invalid UTF-8 is repaired, never trusted.
    public static func readString(_ path: String, limit: Int = defaultLimit) throws(ProbeError) -> String {
        String(decoding: try read(path, limit: limit), as: UTF8.self)
    }

    /// A single-value sysfs attribute, whitespace-trimmed.
    public static func readAttribute(_ path: String) throws(ProbeError) -> String {
        try readString(path, limit: 64 * 1024).trimmingWhitespace()
    }

    /// An optional attribute: nil when absent, an error for anything else.
    public static func readOptional(_ path: String) throws(ProbeError) -> String? {
        do { return try readAttribute(path) } catch .notFound { return nil }
    }

    public static func readLink(_ path: String) throws(ProbeError) -> String {
        readCount.add(1, ordering: .relaxed)
        var buf = [CChar](repeating: 0, count: 4097)
        let n = readlink(path, &buf, 4096)
        if n < 0 { throw ProbeError.from(errno: errno, path: path) }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Directory entries (no `.`/`..`), sorted.
    public static func list(_ path: String) throws(ProbeError) -> [String] {
        guard let dir = opendir(path) else { throw ProbeError.from(errno: errno, path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// lstat-free metadata of a path (follows links): owner, group, mode.
    public static func metadata(_ path: String) throws(ProbeError) -> (uid: Int, gid: Int, mode: Int, isCharDevice: Bool) {
        readCount.add(1, ordering: .relaxed)
        var st = stat()
        if stat(path, &st) != 0 { throw ProbeError.from(errno: errno, path: path) }
        return (Int(st.st_uid), Int(st.st_gid), Int(st.st_mode & 0o7777), (st.st_mode & S_IFMT) == S_IFCHR)
    }
}

extension String {
    /// Without leading and trailing Unicode whitespace and NULs. ASCII ends are trimmed byte by
    /// byte; a non-ASCII end is judged scalar by scalar (U+00A0, U+2028, ...).
    public func trimmingWhitespace() -> String {
        let u = utf8
        var start = u.startIndex, end = u.endIndex
        @inline(__always) func asciiSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) || b == 0 }
        while start < end, asciiSpace(u[start]) { start = u.index(after: start) }
        while end > start, asciiSpace(u[u.index(before: end)]) { end = u.index(before: end) }
        if start == end { return "" }
        if u[start] < 0x80 && u[u.index(before: end)] < 0x80 {
            return start == u.startIndex && end == u.endIndex ? self : String(self[start..<end])
        }
        return String(self[start..<end]).trimmingUnicodeWhitespace()
    }

    private func trimmingUnicodeWhitespace() -> String {
        let scalars = unicodeScalars
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace || scalars[start] == "\0" { start = scalars.index(after: start) }
        while end > start {
            let prev = scalars.index(before: end)
            if scalars[prev].properties.isWhitespace || scalars[prev] == "\0" { end = prev } else { break }
        }
        return String(scalars[start..<end])
    }
}
