import Foundation

/// Recursive-descent parser for rule expressions.
///
///     expr       := or
///     or         := and ('or' and)*
///     and        := not ('and' not)*
///     not        := 'not' not | comparison
///     comparison := operand [ cmpop operand | 'not' 'in' operand | 'matches' STRING ]
///     cmpop      := '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'contains'
///     operand    := literal | list | path | call | '(' expr ')' | quantifier
///     call       := ('exists' | 'count' | 'empty') '(' expr ')'
///     quantifier := ('all' | 'any' | 'none') NAME 'in' path ':' expr
public struct Parser {
    /// A fact referenced by an expression, for the loader's schema check and for `observed`.
    public struct Reference: Sendable, Hashable {
        /// The schema form of the path: list elements as `[]`, indexes as `[]`
        /// (`devices.hostdevs[].driver`).
        public let schemaPath: String
        /// The fact path whose value is reported as observed (for a variable: its list).
        public let observedPath: FactPath
        public let column: Int
    }

    /// Deepest nesting of sub-expressions (parentheses, lists, calls, quantifiers, `not`s) a
    /// rule may use. Parsing, evaluating and printing recurse once per level, so a limit keeps
    /// a hostile or generated rule from overflowing the stack; real rules stay below 10.
    public static let maxDepth = 100

    private let tokens: [Token]
    private var pos = 0
    private var depth = 0
    /// Variables in scope, innermost last, with the schema path of their list.
    private var scope: [(name: String, listSchemaPath: String, listPath: FactPath)] = []
    private(set) var references: [Reference] = []

    private init(tokens: [Token]) { self.tokens = tokens }

    /// Parses a whole expression; the result carries every fact it references.
    public static func parse(_ source: String) throws(ExpressionError) -> (expr: Expr, references: [Reference]) {
        var p = Parser(tokens: try Tokenizer.tokenize(source))
        let e = try p.parseOr()
        guard case .end = p.peek.kind else {
            throw ExpressionError(column: p.peek.column,
                                  message: "expected 'and', 'or' or end of expression, found \(p.peek.display)")
        }
        return (e, p.references)
    }

    private var peek: Token { tokens[pos] }

    private mutating func advance() -> Token {
        let t = tokens[pos]
        if pos < tokens.count - 1 { pos += 1 }
        return t
    }

    private func isKeyword(_ k: Token.Keyword, at offset: Int = 0) -> Bool {
        let i = min(pos + offset, tokens.count - 1)
        if case .keyword(let kk) = tokens[i].kind { return kk == k }
        return false
    }

    private mutating func expect(_ kind: Token.Kind, _ what: String) throws(ExpressionError) {
        guard peek.kind == kind else {
            throw ExpressionError(column: peek.column, message: "expected \(what), found \(peek.display)")
        }
        _ = advance()
    }

    /// Enters one nesting level; throws once `maxDepth` is passed, before recursing further.
    private mutating func descend() throws(ExpressionError) {
        depth += 1
        if depth > Parser.maxDepth {
            throw ExpressionError(column: peek.column,
                                  message: "expression nested deeper than \(Parser.maxDepth) levels (the limit)")
        }
    }

    private mutating func parseOr() throws(ExpressionError) -> Expr {
        try descend()
        defer { depth -= 1 }
        var left = try parseAnd()
        while isKeyword(.or) {
            _ = advance()
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws(ExpressionError) -> Expr {
        var left = try parseNot()
        while isKeyword(.and) {
            _ = advance()
            left = .and(left, try parseNot())
        }
        return left
    }

    private mutating func parseNot() throws(ExpressionError) -> Expr {
        if isKeyword(.not) {
            try descend()
            defer { depth -= 1 }
            _ = advance()
            return .not(try parseNot())
        }
        return try parseComparison()
    }

    private mutating func parseComparison() throws(ExpressionError) -> Expr {
        let left = try parseOperand()
        switch peek.kind {
        case .op(let o):
            _ = advance()
            return .compare(CompareOp(rawValue: o)!, left, try parseOperand())
        case .keyword(.in):
            _ = advance()
            return .compare(.in, left, try parseOperand())
        case .keyword(.contains):
            _ = advance()
            return .compare(.contains, left, try parseOperand())
        case .keyword(.not) where isKeyword(.in, at: 1):
            _ = advance(); _ = advance()
            return .compare(.notIn, left, try parseOperand())
        case .keyword(.matches):
            _ = advance()
            let t = advance()
            guard case .string(let source) = t.kind else {
                throw ExpressionError(column: t.column, message: "expected a quoted regular expression after 'matches', found \(t.display)")
            }
            do {
                return .matches(left, try Pattern(source))
            } catch {
                throw ExpressionError(column: t.column, message: "invalid regular expression '\(source)'")
            }
        default:
            return left
        }
    }

    private mutating func parseOperand() throws(ExpressionError) -> Expr {
        let t = peek
        switch t.kind {
        case .int(let i): _ = advance(); return .literal(.int(i))
        case .double(let d): _ = advance(); return .literal(.double(d))
        case .string(let s): _ = advance(); return .literal(.string(s))
        case .keyword(.true): _ = advance(); return .literal(.bool(true))
        case .keyword(.false): _ = advance(); return .literal(.bool(false))
        case .keyword(.null): _ = advance(); return .literal(.null)
        case .lparen:
            _ = advance()
            let e = try parseOr()
            try expect(.rparen, "')' to close the '(' at column \(t.column)")
            return e
        case .lbracket:
            _ = advance()
            var items: [Expr] = []
            if peek.kind == .rbracket { _ = advance(); return .list(items) }
            while true {
                items.append(try parseOr())
                if peek.kind == .comma { _ = advance(); continue }
                try expect(.rbracket, "',' or ']' to close the list at column \(t.column)")
                return .list(items)
            }
        case .keyword(let k) where k == .all || k == .any || k == .none:
            return try parseQuantifier(Quantifier(rawValue: k.rawValue)!)
        case .path(let parts):
            _ = advance()
            if parts.count == 1, peek.kind == .lparen {
                guard let f = Function(rawValue: parts[0]) else {
                    throw ExpressionError(column: t.column, message: "unknown function '\(parts[0])' (expected exists, count or empty)")
                }
                let open = advance()
                let argToken = peek
                let arg = try parseOr()
                if f == .exists {
                    switch arg {
                    case .path, .variable: break
                    default:
                        throw ExpressionError(column: argToken.column, message: "expected a fact path as the argument of exists()")
                    }
                }
                try expect(.rparen, "')' to close \(f.rawValue)( at column \(open.column)")
                return .call(f, arg)
            }
            return reference(parts, column: t.column)
        default:
            throw ExpressionError(column: t.column, message: "expected a value, a fact path, '(' or a quantifier, found \(t.display)")
        }
    }

    private mutating func parseQuantifier(_ q: Quantifier) throws(ExpressionError) -> Expr {
        _ = advance()
        let nameToken = advance()
        guard case .path(let parts) = nameToken.kind, parts.count == 1 else {
            throw ExpressionError(column: nameToken.column, message: "expected a variable name after '\(q.rawValue)', found \(nameToken.display)")
        }
        try expect(.keyword(.in), "'in' after '\(q.rawValue) \(parts[0])'")
        let sourceToken = advance()
        guard case .path(let sourceParts) = sourceToken.kind else {
            throw ExpressionError(column: sourceToken.column, message: "expected a fact path (a list) after 'in', found \(sourceToken.display)")
        }
        let source = reference(sourceParts, column: sourceToken.column)
        try expect(.colon, "':' after the list of '\(q.rawValue) \(parts[0]) in \(sourceParts.joined(separator: "."))'")
        let listSchema: String
        let listPath: FactPath
        switch source {
        case .variable(let name, let slot, let rest):
            listSchema = ([scope[slot].listSchemaPath + "[]"] + rest).joined(separator: ".")
            listPath = scope[slot].listPath
            _ = name
        default:
            listSchema = Parser.schemaForm(sourceParts)
            listPath = FactPath(sourceParts)
        }
        scope.append((parts[0], listSchema, listPath))
        defer { scope.removeLast() }
        let body = try parseOr()
        return .quantifier(q, name: parts[0], slot: scope.count - 1, source: source, body: body)
    }

    /// A path token: a bound variable (innermost first) or a fact.
    private mutating func reference(_ parts: [String], column: Int) -> Expr {
        if let slot = scope.lastIndex(where: { $0.name == parts[0] }) {
            let rest = Array(parts.dropFirst())
            if !rest.isEmpty {
                let schema = ([scope[slot].listSchemaPath + "[]"] + rest.map { Parser.isIndex($0) ? "[]" : $0 })
                    .joined(separator: ".").replacingOccurrences(of: ".[]", with: "[]")
                references.append(Reference(schemaPath: schema, observedPath: scope[slot].listPath, column: column))
            }
            return .variable(name: parts[0], slot: slot, rest: rest)
        }
        let path = FactPath(parts)
        references.append(Reference(schemaPath: Parser.schemaForm(parts), observedPath: path, column: column))
        return .path(path)
    }

    static func isIndex(_ s: String) -> Bool { !s.isEmpty && s.allSatisfy { $0.isASCII && $0.isNumber } }

    /// `devices.hostdevs.0.driver` -> `devices.hostdevs[].driver`.
    static func schemaForm(_ parts: [String]) -> String {
        var out = ""
        for p in parts {
            if isIndex(p) { out += "[]" } else { out += out.isEmpty ? p : "." + p }
        }
        return out
    }
}
