/// A lexical token of the rule expression language, with its 1-based column in the source.
public struct Token: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A dotted path or a single name: `process.uid`, `x`, `cmdline.0`.
        case path([String])
        case int(Int)
        case double(Double)
        case string(String)
        case keyword(Keyword)
        /// `== != < <= > >=`
        case op(String)
        case lparen, rparen, lbracket, rbracket, comma, colon
        case end
    }

    public enum Keyword: String, Sendable, Hashable, CaseIterable {
        case and, or, not, `in`, contains, matches, `true`, `false`, null, all, any, none
    }

    public let kind: Kind
    public let column: Int

    public init(_ kind: Kind, column: Int) {
        self.kind = kind
        self.column = column
    }

    /// How the token is named in "expected ..., found ..." messages.
    public var display: String {
        switch kind {
        case .path(let parts): return "'\(parts.joined(separator: "."))'"
        case .int(let i): return "number \(i)"
        case .double(let d): return "number \(d)"
        case .string(let s): return "string '\(s)'"
        case .keyword(let k): return "'\(k.rawValue)'"
        case .op(let o): return "'\(o)'"
        case .lparen: return "'('"
        case .rparen: return "')'"
        case .lbracket: return "'['"
        case .rbracket: return "']'"
        case .comma: return "','"
        case .colon: return "':'"
        case .end: return "end of expression"
        }
    }
}
