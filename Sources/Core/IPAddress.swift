import Glibc

/// Numeric IP addresses as the socket layer writes them (`inet_ntop`) and as configuration
/// names them.
public enum IPAddress {
    /// True for 127.0.0.0/8, `::1` and IPv4-mapped loopback (`::ffff:127.x.x.x`, in any of
    /// its spellings: `::FFFF:127.0.0.1`, `::ffff:7f00:1`, `0:0:0:0:0:ffff:127.0.0.1`).
    /// Parsed with `inet_pton`, never by prefix: `127.evil.example` or `::ffff:10.0.0.1` are
    /// not loopback. Names (`localhost`) and bracketed forms (`[::1]`) are not addresses: false.
    public static func isLoopback(_ address: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return false }
        return withUnsafeBytes(of: &v6) { b in
            if b[0..<15].allSatisfy({ $0 == 0 }) { return b[15] == 1 }                       // ::1
            return b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF && b[12] == 127  // ::ffff:127/104
        }
    }

    /// True when a listen address, as a domain's XML or a qemu command line gives it, is on the
    /// loopback interface: a loopback address (as `isLoopback`), also in brackets (`[::1]`), or
    /// `localhost` (which the resolver maps to loopback). Any other name is not: `127.evil.example`
    /// may resolve anywhere.
    public static func isLoopbackListen(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        if host.hasPrefix("[") && host.hasSuffix("]") && host.count > 2 {
            return isLoopback(String(host.dropFirst().dropLast()))
        }
        return isLoopback(host)
    }

    /// True when `address` is a numeric IPv4 or IPv6 address.
    public static func isNumeric(_ address: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, address, &v4) == 1 || inet_pton(AF_INET6, address, &v6) == 1
    }
}
