/// Shell-style name patterns for rule ids, VM names and profile matches: `*` matches any run of
/// characters (including dots), `?` one character; everything else is literal.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    private let scalars: [Unicode.Scalar]

    public init(_ pattern: String) {
        self.pattern = pattern
        self.scalars = Array(pattern.unicodeScalars)
    }

    public var isLiteral: Bool { !scalars.contains("*") && !scalars.contains("?") }
    public var description: String { pattern }

    public func matches(_ text: String) -> Bool {
        if isLiteral { return text == pattern }
        let t = Array(text.unicodeScalars)
        // Iterative wildcard matching with a single backtrack point.
        var p = 0, s = 0, star = -1, mark = 0
        while s < t.count {
            if p < scalars.count, scalars[p] == "?" || scalars[p] == t[s] {
                p += 1; s += 1
            } else if p < scalars.count, scalars[p] == "*" {
                star = p; mark = s; p += 1
            } else if star >= 0 {
                p = star + 1; mark += 1; s = mark
            } else {
                return false
            }
        }
        while p < scalars.count, scalars[p] == "*" { p += 1 }
        return p == scalars.count
    }
}
