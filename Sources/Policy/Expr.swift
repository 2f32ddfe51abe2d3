import Core
import Foundation

/// A fact path as written in an expression, split into components (`process.capabilities.effective`).
public struct FactPath: Sendable, Hashable, CustomStringConvertible {
    public let components: [String]
    public let text: String
    /// Index in the evaluator's table of distinct paths (-1 until interned), so that a path read
    /// by many rules is looked up once per VM.
    public internal(set) var slot: Int = -1

    public init(_ components: [String]) {
        self.components = components
        self.text = components.joined(separator: ".")
    }

    public static func == (a: FactPath, b: FactPath) -> Bool { a.components == b.components }
    public func hash(into h: inout Hasher) { h.combine(components) }

    /// This path with its slot in `table` (added when new).
    func interned(_ table: inout [String: Int]) -> FactPath {
        var p = self
        if let s = table[text] { p.slot = s } else { p.slot = table.count; table[text] = p.slot }
        return p
    }

    public var isHost: Bool { components.first == "host" }
    public var description: String { text }
}

/// A regular expression compiled once, when the rule is loaded. `matches` searches anywhere in
/// the string (anchor with `^`/`$`). NSRegularExpression is immutable and safe to share.
public final class Pattern: @unchecked Sendable, Equatable, CustomStringConvertible {
    public let source: String
    private let regex: NSRegularExpression

    public init(_ source: String) throws {
        self.source = source
        self.regex = try NSRegularExpression(pattern: source)
    }

    public func matches(_ s: String) -> Bool {
        regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }

    public static func == (a: Pattern, b: Pattern) -> Bool { a.source == b.source }
    public var description: String { source }
}

public enum CompareOp: String, Sendable, Hashable, CaseIterable {
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case `in` = "in", notIn = "not in", contains = "contains"
}

public enum Quantifier: String, Sendable, Hashable, CaseIterable {
    case all, any, none
}

public enum Function: String, Sendable, Hashable, CaseIterable {
    case exists, count, empty
}

/// The syntax tree of a rule expression. Variables bound by quantifiers are resolved at parse
/// time to a slot (the nesting depth of their quantifier), so evaluation does no name lookups.
public indirect enum Expr: Sendable, Equatable {
    case literal(JSONValue)
    case list([Expr])
    case path(FactPath)
    /// `x` or `x.field` inside a quantifier binding `x` at `slot`.
    case variable(name: String, slot: Int, rest: [String])
    case not(Expr)
    case and(Expr, Expr)
    case or(Expr, Expr)
    case compare(CompareOp, Expr, Expr)
    case matches(Expr, Pattern)
    case call(Function, Expr)
    case quantifier(Quantifier, name: String, slot: Int, source: Expr, body: Expr)
}

extension Expr {
    /// The same tree with every fact path given its slot in `table`.
    func interned(_ table: inout [String: Int]) -> Expr {
        switch self {
        case .literal, .variable: return self
        case .list(let items): return .list(items.map { $0.interned(&table) })
        case .path(let p): return .path(p.interned(&table))
        case .not(let e): return .not(e.interned(&table))
        case .and(let a, let b): return .and(a.interned(&table), b.interned(&table))
        case .or(let a, let b): return .or(a.interned(&table), b.interned(&table))
        case .compare(let op, let a, let b): return .compare(op, a.interned(&table), b.interned(&table))
        case .matches(let a, let p): return .matches(a.interned(&table), p)
        case .call(let f, let a): return .call(f, a.interned(&table))
        case .quantifier(let q, let name, let slot, let source, let body):
            return .quantifier(q, name: name, slot: slot, source: source.interned(&table), body: body.interned(&table))
        }
    }
}

extension Expr: CustomStringConvertible {
    /// The canonical one-line form; parsing it gives back an equal tree.
    public var description: String { render(0) }

    /// Precedence levels: or 1, and 2, not 3, comparison 4, operand 5.
    private func render(_ parent: Int) -> String {
        func wrap(_ level: Int, _ s: String) -> String { level < parent ? "(" + s + ")" : s }
        switch self {
        case .literal(let v): return Expr.literalText(v)
        case .list(let items): return "[" + items.map { $0.render(0) }.joined(separator: ", ") + "]"
        case .path(let p): return p.text
        case .variable(let name, _, let rest): return ([name] + rest).joined(separator: ".")
        case .not(let e): return wrap(3, "not " + e.render(3))
        case .and(let a, let b): return wrap(2, a.render(2) + " and " + b.render(3))
        case .or(let a, let b): return wrap(1, a.render(1) + " or " + b.render(2))
        case .compare(let op, let a, let b): return wrap(4, a.render(5) + " " + op.rawValue + " " + b.render(5))
        case .matches(let a, let p): return wrap(4, a.render(5) + " matches " + Expr.literalText(.string(p.source)))
        case .call(let f, let arg): return f.rawValue + "(" + arg.render(0) + ")"
        case .quantifier(let q, let name, _, let source, let body):
            // The body extends as far right as possible, so a nested quantifier is parenthesized.
            let s = q.rawValue + " " + name + " in " + source.render(5) + ": " + body.render(0)
            return parent > 0 ? "(" + s + ")" : s
        }
    }

    /// A multi-line form for explanations: top-level `and`/`or` chains one operand per line.
    public func prettyPrinted(indent: String = "  ") -> String {
        switch self {
        case .and, .or:
            let isAnd: Bool
            if case .and = self { isAnd = true } else { isAnd = false }
            let parts = flatten(and: isAnd)
            let level = isAnd ? 3 : 2
            return parts.enumerated().map { n, e in
                (n == 0 ? indent + "   " : indent + (isAnd ? "and " : "or  ")) + e.render(level)
            }.joined(separator: "\n")
        default:
            return indent + render(0)
        }
    }

    private func flatten(and: Bool) -> [Expr] {
        switch self {
        case .and(let a, let b) where and: return a.flatten(and: true) + b.flatten(and: true)
        case .or(let a, let b) where !and: return a.flatten(and: false) + b.flatten(and: false)
        default: return [self]
        }
    }

    static func literalText(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s):
            var out = "'"
            for c in s.unicodeScalars {
                switch c {
                case "'": out += "\\'"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case "\\": out += "\\\\"
                default: out.unicodeScalars.append(c)
                }
            }
            return out + "'"
        case .array(let items): return "[" + items.map(literalText).joined(separator: ", ") + "]"
        case .object: return JSONWriter.string(v)
        }
    }
}
