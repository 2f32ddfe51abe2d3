/// Splits a rule expression into tokens. Hand-written, one pass over the Unicode scalars;
/// columns are 1-based scalar offsets, as an editor shows them for ASCII text.
public enum Tokenizer {
    public static func tokenize(_ source: String) throws(ExpressionError) -> [Token] {
        let s = Array(source.unicodeScalars)
        var tokens: [Token] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            let column = i + 1
            if c.properties.isWhitespace { i += 1; continue }
            switch c {
            case "(": tokens.append(Token(.lparen, column: column)); i += 1
            case ")": tokens.append(Token(.rparen, column: column)); i += 1
            case "[": tokens.append(Token(.lbracket, column: column)); i += 1
            case "]": tokens.append(Token(.rbracket, column: column)); i += 1
            case ",": tokens.append(Token(.comma, column: column)); i += 1
            case ":": tokens.append(Token(.colon, column: column)); i += 1
            case "=":
                guard i + 1 < s.count, s[i + 1] == "=" else {
                    throw ExpressionError(column: column, message: "expected '==' (a single '=' is not an operator)")
                }
                tokens.append(Token(.op("=="), column: column)); i += 2
            case "!":
                guard i + 1 < s.count, s[i + 1] == "=" else {
                    throw ExpressionError(column: column, message: "expected '!=' (use 'not' for negation)")
                }
                tokens.append(Token(.op("!="), column: column)); i += 2
            case "<", ">":
                if i + 1 < s.count, s[i + 1] == "=" {
                    tokens.append(Token(.op(String(c) + "="), column: column)); i += 2
                } else {
                    tokens.append(Token(.op(String(c)), column: column)); i += 1
                }
            case "'", "\"":
                let (text, next) = try string(s, from: i)
                tokens.append(Token(.string(text), column: column))
                i = next
            case "-", "0"..."9":
                let (kind, next) = try number(s, from: i)
                tokens.append(Token(kind, column: column))
                i = next
            default:
                guard isNameStart(c) else {
                    throw ExpressionError(column: column, message: "unexpected character '\(c.escaped(asASCII: true))'")
                }
                let (parts, next) = try path(s, from: i)
                if parts.count == 1, let k = Token.Keyword(rawValue: parts[0]) {
                    tokens.append(Token(.keyword(k), column: column))
                } else {
                    tokens.append(Token(.path(parts), column: column))
                }
                i = next
            }
        }
        tokens.append(Token(.end, column: s.count + 1))
        return tokens
    }

    static func isNameStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c)
    }

    static func isNameChar(_ c: Unicode.Scalar) -> Bool {
        isNameStart(c) || ("0"..."9").contains(c) || c == "-"
    }

    /// A dotted path: a name, then `.name` or `.index` components.
    private static func path(_ s: [Unicode.Scalar], from start: Int) throws(ExpressionError) -> ([String], Int) {
        var parts: [String] = []
        var i = start
        while true {
            let begin = i
            if i < s.count, isNameStart(s[i]) {
                while i < s.count, isNameChar(s[i]) { i += 1 }
            } else if i < s.count, parts.count > 0, ("0"..."9").contains(s[i]) {
                while i < s.count, ("0"..."9").contains(s[i]) { i += 1 }
            } else {
                throw ExpressionError(column: i + 1, message: "expected a path component after '.'")
            }
            var part = String.UnicodeScalarView()
            part.append(contentsOf: s[begin..<i])
            parts.append(String(part))
            guard i < s.count, s[i] == "." else { return (parts, i) }
            i += 1
        }
    }

    private static func string(_ s: [Unicode.Scalar], from start: Int) throws(ExpressionError) -> (String, Int) {
        let quote = s[start]
        var out = String.UnicodeScalarView()
        var i = start + 1
        while i < s.count {
            let c = s[i]
            if c == quote { return (String(out), i + 1) }
            if c == "\\" {
                guard i + 1 < s.count else { break }
                let e = s[i + 1]
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "\\", "'", "\"": out.append(e)
                default:
                    // Unknown escapes stay as written, so regex escapes (`\d`, `\.`) survive.
                    out.append("\\"); out.append(e)
                }
                i += 2
                continue
            }
            out.append(c)
            i += 1
        }
        throw ExpressionError(column: start + 1, message: "unterminated string (expected a closing \(quote))")
    }

    private static func number(_ s: [Unicode.Scalar], from start: Int) throws(ExpressionError) -> (Token.Kind, Int) {
        var i = start
        if s[i] == "-" {
            i += 1
            guard i < s.count, ("0"..."9").contains(s[i]) else {
                throw ExpressionError(column: start + 1, message: "expected a digit after '-'")
            }
        }
        while i < s.count, ("0"..."9").contains(s[i]) { i += 1 }
        var isDouble = false
        if i + 1 < s.count, s[i] == ".", ("0"..."9").contains(s[i + 1]) {
            isDouble = true
            i += 1
            while i < s.count, ("0"..."9").contains(s[i]) { i += 1 }
        }
        if i < s.count, s[i] == "e" || s[i] == "E" {
            var j = i + 1
            if j < s.count, s[j] == "+" || s[j] == "-" { j += 1 }
            if j < s.count, ("0"..."9").contains(s[j]) {
                isDouble = true
                i = j
                while i < s.count, ("0"..."9").contains(s[i]) { i += 1 }
            }
        }
        if i < s.count, isNameStart(s[i]) {
            throw ExpressionError(column: i + 1, message: "unexpected character '\(s[i])' in a number")
        }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: s[start..<i])
        let str = String(text)
        if isDouble, let d = Double(str), d.isFinite { return (.double(d), i) }
        if let n = Int(str) { return (.int(n), i) }
        throw ExpressionError(column: start + 1, message: "number \(str) is out of range")
    }
}
