/// The request target of a request line (RFC 9112 section 3.2): origin-form (`/a/b?q=1`),
/// absolute-form (`http://host/a/b?q=1`, accepted, host ignored) and asterisk-form (`*`, for
/// OPTIONS only). The path is percent-decoded once; invalid escapes and NUL bytes are refused.
public enum RequestTarget {
    /// Splits and decodes a target into its path and query parameters.
    public static func parse(_ target: String, method: String) throws(HTTPParseError) -> (path: String, query: [String: String]) {
        if target == "*" {
            guard method == "OPTIONS" else { throw HTTPParseError(400, "'*' target is only valid for OPTIONS") }
            return ("*", [:])
        }
        var rest = Substring(target)
        if !rest.hasPrefix("/") {
            // absolute-form: scheme "://" authority path-abempty [ "?" query ]
            let lower = rest.lowercased()
            let scheme: Int
            if lower.hasPrefix("http://") { scheme = 7 } else if lower.hasPrefix("https://") { scheme = 8 } else {
                throw HTTPParseError(400, "invalid request target")
            }
            rest = rest.dropFirst(scheme)
            if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) {
                if rest[..<slash].isEmpty { throw HTTPParseError(400, "absolute target without host") }
                rest = rest[slash...]
                if rest.hasPrefix("?") { rest = "/" + rest }
            } else {
                if rest.isEmpty { throw HTTPParseError(400, "absolute target without host") }
                rest = "/"
            }
        }
        if rest.utf8.contains(0x23) { throw HTTPParseError(400, "fragment in request target") }
        let rawPath: Substring
        var rawQuery: Substring? = nil
        if let q = rest.firstIndex(of: "?") {
            rawPath = rest[..<q]
            rawQuery = rest[rest.index(after: q)...]
        } else {
            rawPath = rest
        }
        let path = try decode(rawPath, plusIsSpace: false)
        var query: [String: String] = [:]
        if let rawQuery {
            for pair in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
                let key: Substring, value: Substring
                if let eq = pair.firstIndex(of: "=") {
                    key = pair[..<eq]
                    value = pair[pair.index(after: eq)...]
                } else {
                    key = pair
                    value = ""
                }
                query[try decode(key, plusIsSpace: true)] = try decode(value, plusIsSpace: true)
            }
        }
        return (path, query)
    }

    /// Percent-decodes once. `%zz` and a truncated `%4` are errors; so are NUL bytes and
    /// sequences that do not form valid UTF-8.
    public static func decode<S: StringProtocol>(_ s: S, plusIsSpace: Bool) throws(HTTPParseError) -> String {
        if !s.utf8.contains(where: { $0 == 0x25 || $0 == 0 || (plusIsSpace && $0 == 0x2B) }) {
            return String(s)
        }
        let utf8 = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let b = utf8[i]
            if b == 0x25 {
                guard i + 2 < utf8.count, let h = hexValue(utf8[i + 1]), let l = hexValue(utf8[i + 2]) else {
                    throw HTTPParseError(400, "invalid percent-encoding in request target")
                }
                out.append(UInt8(h * 16 + l))
                i += 3
            } else if b == 0x2B && plusIsSpace {
                out.append(0x20)
                i += 1
            } else {
                out.append(b)
                i += 1
            }
        }
        if out.contains(0) { throw HTTPParseError(400, "NUL byte in request target") }
        guard let decoded = String(validating: out, as: UTF8.self) else {
            throw HTTPParseError(400, "request target is not valid UTF-8")
        }
        return decoded
    }
}
