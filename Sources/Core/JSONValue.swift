/// A JSON value: the universal shape of facts. Facts are plain JSON so that users can write
/// their own rules against them and read them in any tool.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue {
    /// Looks a dotted path up (`process.seccomp.mode`). Array elements are addressed by index
    /// (`cmdline.0`). Returns nil when any component is missing.
    public subscript(path path: String) -> JSONValue? {
        var text = path
        return text.withUTF8 { bytes in
            var current = self
            var start = 0
            while true {
                var end = start
                while end < bytes.count && bytes[end] != JSONValue.dot { end += 1 }
                switch current {
                case .object(let dict):
                    guard let next = dict[JSONValue.key(bytes, start, end)] else { return nil }
                    current = next
                case .array(let items):
                    guard let index = JSONValue.index(bytes, start, end), items.indices.contains(index) else { return nil }
                    current = items[index]
                default:
                    return nil
                }
                if end == bytes.count { return current }
                start = end + 1
            }
        }
    }

    static let dot = UInt8(ascii: ".")

    /// The component `bytes[start..<end]` of a dotted path as a dictionary key.
    @inline(__always)
    static func key(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    /// The component as an array index: decimal digits only (as `Int(_:)` reads them, sign
    /// included), nil otherwise.
    static func index(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        Int(key(bytes, start, end))
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let dict) = self { return dict[key] }
        return nil
    }

    public var isNull: Bool { if case .null = self { return true } else { return false } }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return Int(d)
        default: return nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }

    /// The JSON type name, as used in the fact reference and in error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "number"
        case .string: return "string"
        case .array: return "list"
        case .object: return "object"
        }
    }

    /// Returns a copy with `value` stored at a dotted path, creating objects on the way.
    public func setting(_ path: String, to value: JSONValue) -> JSONValue {
        var copy = self
        copy.set(path, to: value)
        return copy
    }

    /// Stores `value` at a dotted path, creating intermediate objects (replacing non-objects).
    /// Mutates in place: only the objects on the path are touched, none is copied.
    public mutating func set(_ path: String, to value: JSONValue) {
        var text = path
        text.withUTF8 { bytes in set(bytes: bytes, from: 0, to: value) }
    }

    /// Empty components are skipped (`a..b` is `a.b`), as `split(separator:)` does. Works on the
    /// path's UTF-8 bytes: a component is cut at an ASCII dot, which never occurs inside a
    /// multi-byte character, so the keys are those `split(separator: ".")` gives.
    private mutating func set(bytes: UnsafeBufferPointer<UInt8>, from: Int, to value: JSONValue) {
        var start = from
        while start < bytes.count && bytes[start] == JSONValue.dot { start += 1 }
        guard start < bytes.count else { self = value; return }
        var end = start
        while end < bytes.count && bytes[end] != JSONValue.dot { end += 1 }
        var dict: [String: JSONValue]
        if case .object(let d) = self { dict = d } else { dict = [:] }
        // Drop this value's reference so that `dict` is the only owner of its storage.
        self = .null
        dict[JSONValue.key(bytes, start, end), default: .null].set(bytes: bytes, from: end, to: value)
        self = .object(dict)
    }

    /// Deep merge in place: objects merge key by key; for any other pair `other` wins.
    public mutating func merge(_ other: JSONValue) {
        guard case .object(var left) = self, case .object(let right) = other else { self = other; return }
        self = .null
        for (k, v) in right {
            if left[k] == nil { left[k] = v } else { left[k]!.merge(v) }
        }
        self = .object(left)
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension JSONValue {
    /// Optional-friendly constructors: nil becomes JSON null.
    public static func from(_ v: String?) -> JSONValue { v.map { .string($0) } ?? .null }
    public static func from(_ v: Int?) -> JSONValue { v.map { .int($0) } ?? .null }
    public static func from(_ v: Bool?) -> JSONValue { v.map { .bool($0) } ?? .null }
    public static func from(_ v: [String]?) -> JSONValue { v.map { .array($0.map { .string($0) }) } ?? .null }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        if let o = try? c.decode([String: JSONValue].self) { self = .object(o); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}
