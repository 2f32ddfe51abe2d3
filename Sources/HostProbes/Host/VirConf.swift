import Core

/// libvirt's configuration file syntax, as libvirtd reads `/etc/libvirt/*.conf` (`src/util/virconf.c`).
///
/// - Statements `name = value`, separated by a newline or `;`.
/// - Names start with an ASCII letter and continue with letters, digits and `_`.
/// - Values: integers with an optional sign (`1`, `-1`, `+0`); strings in `"double"` or `'single'`
///   quotes (no newline inside) or `"""triple"""` quotes (may span lines); lists `[ v, v, ]` whose
///   elements are values, which may span lines and may end with a trailing comma.
/// - `#` starts a comment, on a line of its own or after a value. A comment inside a list is a
///   syntax error, as it is for libvirtd.
///
/// Anything else is a syntax error reported with its line number, the way libvirtd refuses to start
/// (`qemu.conf:12: expecting a value`). A setting given twice keeps its first value: libvirt looks
/// settings up by first match.
public struct VirConf: Sendable, Hashable {
    public indirect enum Value: Sendable, Hashable {
        case int(Int)
        case string(String)
        case list([Value])

        /// The value as plain JSON: int, string or list.
        public var json: JSONValue {
            switch self {
            case .int(let i): return .int(i)
            case .string(let s): return .string(s)
            case .list(let l): return .array(l.map(\.json))
            }
        }

        /// libvirt's name for the type, as in its "expected ... but found string" messages.
        public var typeName: String {
            switch self {
            case .int(let i): return i < 0 ? "signed integer" : "unsigned integer"
            case .string: return "string"
            case .list: return "list"
            }
        }
    }

    public struct Entry: Sendable, Hashable {
        public let name: String
        public let value: Value
        /// The line the value starts on (1-based).
        public let line: Int
    }

    /// Every statement, in file order (repeats included).
    public let entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    /// The value libvirt uses for `name`: the first statement that sets it.
    public func value(_ name: String) -> Value? {
        entries.first { $0.name == name }?.value
    }

    /// The first value of every name, as a JSON object (`{"user": "qemu", "namespaces": ["mount"]}`).
    public var settings: [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for e in entries where out[e.name] == nil { out[e.name] = e.value.json }
        return out
    }

    /// Names set more than once (only the first is in effect), sorted.
    public var duplicateNames: [String] {
        var seen: Set<String> = [], dup: Set<String> = []
        for e in entries where !seen.insert(e.name).inserted { dup.insert(e.name) }
        return dup.sorted()
    }

    /// Parses `text`; `path` only names the file in errors.
    public static func parse(_ text: String, path: String) throws(ProbeError) -> VirConf {
        try parse(bytes: Array(text.utf8), path: path)
    }

    /// Parses raw file bytes (libvirt works on bytes; invalid UTF-8 inside strings is repaired).
    public static func parse(bytes: [UInt8], path: String) throws(ProbeError) -> VirConf {
        var p = Parser(bytes: bytes)
        do {
            return VirConf(entries: try p.file())
        } catch {
            throw ProbeError.parse(path: path, reason: "line \(error.line): \(error.message)")
        }
    }
}

/// A syntax error at a line, with libvirt's wording.
private struct VirConfSyntaxError: Error {
    let line: Int
    let message: String
}

/// A byte-level recursive-descent parser that follows virconf.c step by step, including where it
/// counts lines (only while skipping newlines between tokens and inside triple-quoted strings).
private struct Parser {
    let b: [UInt8]
    var i = 0
    var line = 1

    init(bytes: [UInt8]) { b = bytes }

    static let newline: UInt8 = 0x0A, cr: UInt8 = 0x0D, space: UInt8 = 0x20, tab: UInt8 = 0x09
    static let hash = UInt8(ascii: "#"), equals = UInt8(ascii: "="), semicolon = UInt8(ascii: ";")
    static let dquote = UInt8(ascii: "\""), squote = UInt8(ascii: "'")
    static let lbracket = UInt8(ascii: "["), rbracket = UInt8(ascii: "]"), comma = UInt8(ascii: ",")
    static let minus = UInt8(ascii: "-"), plus = UInt8(ascii: "+"), underscore = UInt8(ascii: "_")

    var atEnd: Bool { i >= b.count }
    /// The current byte; 0 past the end, like the NUL after libvirt's buffer.
    var cur: UInt8 { i < b.count ? b[i] : 0 }

    static func isEOL(_ c: UInt8) -> Bool { c == newline || c == cr }
    static func isBlank(_ c: UInt8) -> Bool { c == space || c == tab }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isAlpha(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }

    mutating func next() { if i < b.count { i += 1 } }

    mutating func skipBlanks() {
        while !atEnd && Parser.isBlank(cur) { i += 1 }
    }

    mutating func skipBlanksAndEOL() {
        while !atEnd && (Parser.isBlank(cur) || Parser.isEOL(cur)) {
            if cur == Parser.newline { line += 1 }
            i += 1
        }
    }

    func error(_ message: String) -> VirConfSyntaxError { VirConfSyntaxError(line: line, message: message) }

    mutating func file() throws(VirConfSyntaxError) -> [VirConf.Entry] {
        var entries: [VirConf.Entry] = []
        while !atEnd {
            if let e = try statement() { entries.append(e) }
            try separator()
        }
        return entries
    }

    /// One statement: a comment (nil) or `name = value [# comment]`.
    mutating func statement() throws(VirConfSyntaxError) -> VirConf.Entry? {
        skipBlanksAndEOL()
        if atEnd { return nil }
        if cur == Parser.hash {
            skipToEOL()
            return nil
        }
        let name = try parseName()
        skipBlanks()
        guard cur == Parser.equals else { throw error("expecting an assignment") }
        next()
        skipBlanks()
        let startLine = line
        let value = try parseValue()
        skipBlanks()
        if cur == Parser.hash { skipToEOL() }
        return VirConf.Entry(name: name, value: value, line: startLine)
    }

    mutating func skipToEOL() {
        while !atEnd && !Parser.isEOL(cur) { i += 1 }
    }

    mutating func separator() throws(VirConfSyntaxError) {
        skipBlanks()
        if atEnd { return }
        if Parser.isEOL(cur) {
            skipBlanksAndEOL()
        } else if cur == Parser.semicolon {
            next()
            skipBlanksAndEOL()
        } else {
            throw error("expecting a separator")
        }
    }

    mutating func parseName() throws(VirConfSyntaxError) -> String {
        skipBlanks()
        let start = i
        guard Parser.isAlpha(cur) else { throw error("expecting a name") }
        while !atEnd && (Parser.isAlpha(cur) || Parser.isDigit(cur) || cur == Parser.underscore) { i += 1 }
        return String(decoding: b[start..<i], as: UTF8.self)
    }

    mutating func parseValue() throws(VirConfSyntaxError) -> VirConf.Value {
        skipBlanks()
        if atEnd { throw error("expecting a value") }
        let c = cur
        if c == Parser.dquote || c == Parser.squote {
            return .string(try parseString())
        }
        if c == Parser.lbracket {
            return .list(try parseList())
        }
        if Parser.isDigit(c) || c == Parser.minus || c == Parser.plus {
            return .int(try parseNumber())
        }
        throw error("expecting a value")
    }

    mutating func parseList() throws(VirConfSyntaxError) -> [VirConf.Value] {
        next()  // [
        skipBlanksAndEOL()
        var items: [VirConf.Value] = []
        if !atEnd && cur != Parser.rbracket {
            items.append(try parseValue())
            skipBlanksAndEOL()
        }
        while !atEnd && cur != Parser.rbracket {
            guard cur == Parser.comma else { throw error("expecting a separator in list") }
            next()
            skipBlanksAndEOL()
            if cur == Parser.rbracket { break }
            items.append(try parseValue())
            skipBlanksAndEOL()
        }
        guard cur == Parser.rbracket, !atEnd else { throw error("list is not closed with ]") }
        next()
        return items
    }

    mutating func parseNumber() throws(VirConfSyntaxError) -> Int {
        var negative = false
        if cur == Parser.minus { negative = true; next() } else if cur == Parser.plus { next() }
        guard !atEnd, Parser.isDigit(cur) else { throw error("unterminated number") }
        var value = 0
        while !atEnd && Parser.isDigit(cur) {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(cur - 0x30))
            // libvirt silently wraps a long long; a wrapped setting would be meaningless here.
            if o1 || o2 { throw error("number out of range") }
            value = s
            next()
        }
        return negative ? -value : value
    }

    mutating func parseString() throws(VirConfSyntaxError) -> String {
        let quote = cur
        if quote == Parser.dquote && i + 6 < b.count && b[i + 1] == Parser.dquote && b[i + 2] == Parser.dquote {
            i += 3
            let start = i
            while i + 2 < b.count && !(b[i] == Parser.dquote && b[i + 1] == Parser.dquote && b[i + 2] == Parser.dquote) {
                if b[i] == Parser.newline { line += 1 }
                i += 1
            }
            guard i + 2 < b.count else { throw error("unterminated string") }
            let s = String(decoding: b[start..<i], as: UTF8.self)
            i += 3
            return s
        }
        next()
        let start = i
        while !atEnd && cur != quote && !Parser.isEOL(cur) { i += 1 }
        guard !atEnd, cur == quote else { throw error("unterminated string") }
        let s = String(decoding: b[start..<i], as: UTF8.self)
        next()
        return s
    }
}
