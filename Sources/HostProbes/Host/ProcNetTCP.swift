import Core
import Glibc

/// `/proc/<pid>/net/tcp` and `/proc/<pid>/net/tcp6` (`/proc/net/tcp` is `/proc/self/net/tcp`): the
/// TCP sockets of the network namespace the process is in, one per line after a header:
///
///     sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
///      0: 0100007F:407D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 ...
///
/// Addresses are hex: IPv4 as one 32-bit word and IPv6 as four, each printed in the host's byte
/// order (little-endian on x86 and arm64); the port is big-endian hex. State `0A` is LISTEN.
/// Only listening sockets are kept.
public struct ProcNetTCP: Sendable, Hashable {
    public struct Listener: Sendable, Hashable {
        /// `tcp` or `tcp6`.
        public let family: String
        /// Printable address: `127.0.0.1`, `0.0.0.0`, `::`, `::1`, `::ffff:10.0.0.5`.
        public let address: String
        public let port: Int
        public let inode: UInt64
        public let uid: Int

        /// Bound to a loopback address (127.0.0.0/8, ::1, ::ffff:127.x.x.x).
        public var loopback: Bool { IPAddress.isLoopback(address) }
    }

    public static func path(pid: String, family: String) -> String { "/proc/\(pid)/net/\(family)" }

    public let listeners: [Listener]

    /// Reads both families of `pid`'s network namespace. A family the kernel lacks (no IPv6) is
    /// empty; when `/proc/<pid>/net` is absent (a fixture root), `/proc/net` is read instead.
    public static func read(pid: String, root: HostRoot) throws(ProbeError) -> ProcNetTCP {
        var out: [Listener] = []
        for family in ["tcp", "tcp6"] {
            let own = root.path(path(pid: pid, family: family))
            let text: [UInt8]
            do {
                text = try FileReader.read(own, limit: 64 << 20)
            } catch .notFound {
                do {
                    text = try FileReader.read(root.path("/proc/net/\(family)"), limit: 64 << 20)
                } catch .notFound {
                    if family == "tcp6" { continue }
                    throw ProbeError.notFound(path: own)
                }
            }
            out += try parse(bytes: text, family: family, path: own)
        }
        return ProcNetTCP(listeners: out)
    }

    public init(listeners: [Listener]) { self.listeners = listeners }

    /// Parses one table; lines in another state are skipped, a malformed listening line is an error.
    public static func parse(_ text: String, family: String, path: String = "/proc/net/tcp") throws(ProbeError) -> [Listener] {
        try parse(bytes: Array(text.utf8), family: family, path: path)
    }

    /// Works on bytes and looks at the state field before anything else: a busy host has tens of
    /// thousands of connections in the table and only a few listeners.
    public static func parse(bytes b: [UInt8], family: String, path: String) throws(ProbeError) -> [Listener] {
        var out: [Listener] = []
        var lineStart = 0, lineNumber = 0
        let space = UInt8(ascii: " "), newline = UInt8(ascii: "\n")
        while lineStart < b.count {
            var lineEnd = lineStart
            while lineEnd < b.count && b[lineEnd] != newline { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            lineNumber += 1
            if lineNumber == 1 { continue }
            // Up to 10 whitespace-separated fields; stop early when the state is not LISTEN.
            var fields: [Range<Int>] = []
            var i = lineStart
            while i < lineEnd && fields.count < 10 {
                while i < lineEnd && (b[i] == space || b[i] == 0x09) { i += 1 }
                if i >= lineEnd { break }
                let s = i
                while i < lineEnd && b[i] != space && b[i] != 0x09 { i += 1 }
                fields.append(s..<i)
                if fields.count == 4 && !(i - s == 2 && b[s] == UInt8(ascii: "0") && b[s + 1] == UInt8(ascii: "A")) { break }
            }
            if fields.isEmpty { continue }
            if fields.count >= 4 && !(fields[3].count == 2 && b[fields[3].lowerBound] == UInt8(ascii: "0") && b[fields[3].lowerBound + 1] == UInt8(ascii: "A")) {
                continue
            }
            let text = { (r: Range<Int>) in String(decoding: b[r], as: UTF8.self) }
            guard fields.count == 10 else {
                throw ProbeError.parse(path: path, reason: "line \(lineNumber): expected at least 10 fields")
            }
            let local = text(fields[1]).split(separator: ":")
            guard local.count == 2, let port = Int(local[1], radix: 16), let inode = UInt64(text(fields[9])),
                  let uid = Int(text(fields[7])), let address = decodeAddress(String(local[0])) else {
                throw ProbeError.parse(path: path, reason: "line \(lineNumber): malformed local address or inode")
            }
            out.append(Listener(family: family, address: address, port: port, inode: inode, uid: uid))
        }
        return out
    }

    /// An address as the kernel prints it (8 or 32 hex digits, words in host byte order).
    public static func decodeAddress(_ hex: String) -> String? {
        guard hex.count == 8 || hex.count == 32 else { return nil }
        var bytes: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 8)
            guard let word = UInt32(hex[i..<j], radix: 16) else { return nil }
            // The kernel printed the in-memory word as a native integer: its memory bytes are the
            // native-endian representation of that integer.
            withUnsafeBytes(of: word) { bytes += $0 }
            i = j
        }
        var buf = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buf, socklen_t(buf.count)) != nil }
        guard ok else { return nil }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
