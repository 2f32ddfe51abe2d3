/// Makes file content quoted in an unknown-fact reason safe to show: control characters, invalid
/// UTF-8 (already repaired to U+FFFD) and anything past `limit` characters are replaced.
enum HostReasonText {
    static func quote(_ s: Substring, limit: Int = 64) -> String {
        var out = ""
        for (i, scalar) in s.unicodeScalars.enumerated() {
            if i == limit { out += "…"; break }
            let v = scalar.value
            out.unicodeScalars.append(v < 0x20 || v == 0x7F || v == 0xFFFD ? "?" : scalar)
        }
        return out
    }

    static func quote(_ s: String, limit: Int = 64) -> String { quote(s[...], limit: limit) }
}
