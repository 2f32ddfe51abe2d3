import Dispatch
import Foundation

/// Encodes any `Encodable` straight into a `JSONValue` tree.
///
/// Gives the tree that `JSONEncoder` followed by decoding the bytes as `JSONValue` gives, without
/// the text in between: default key names, `nil` optionals left out, `Data` as base64, `URL` as
/// its absolute string, a `Double` with an integral value below 1e16 as `.int` (the encoder writes
/// it without a fraction and the decoder reads it back as an integer), a non-finite number an
/// error. `JSONValue` members are taken as they are. A 1,000-VM scan report encodes here in
/// tens of milliseconds where the text round trip took seconds.
public enum JSONTreeEncoder {
    public static func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        try TreeEncoder.box(value, codingPath: []).resolve()
    }
}

/// A value under construction: finished, or a container still being filled.
/// Arrays whose elements are encoded on several threads at once (the domains of a report).
private protocol ParallelTreeEncodable {
    var elementCount: Int { get }
    func encodeElementsInParallel(codingPath: [any CodingKey]) throws -> [JSONValue]
}

enum ParallelEncoding {
    /// Below this many elements an array is encoded on the calling thread.
    static let minimumElements = 64
}

/// A value handed to the worker threads, which only read it (the elements being encoded, the
/// coding path for error messages).
private struct ReadOnlyBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

extension Array: ParallelTreeEncodable where Element: Encodable {
    fileprivate var elementCount: Int { count }

    fileprivate func encodeElementsInParallel(codingPath: [any CodingKey]) throws -> [JSONValue] {
        let results = ParallelSlots<Result<JSONValue, any Error>>(count: count)
        let path = ReadOnlyBox(codingPath)
        let elements = ReadOnlyBox(self)
        Parallel.forEachChunk(count) { range in
            for i in range {
                results.set(i, Result {
                    try TreeEncoder.box(elements.value[i], codingPath: path.value + [IndexKey(intValue: i)]).resolve()
                })
            }
        }
        return try results.values().map { try $0.get() }
    }
}

private enum Slot {
    case value(JSONValue)
    case object(ObjectRef)
    case array(ArrayRef)
    case encoder(TreeEncoder)

    func resolve() -> JSONValue {
        switch self {
        case .value(let v): return v
        case .object(let o):
            var dict: [String: JSONValue] = [:]
            dict.reserveCapacity(o.entries.count)
            for (k, s) in o.entries { dict[k] = s.resolve() }
            return .object(dict)
        case .array(let a): return .array(a.items.map { $0.resolve() })
        case .encoder(let e): return e.slot?.resolve() ?? .object([:])
        }
    }
}

private final class ObjectRef {
    var entries: [String: Slot] = [:]
}

private final class ArrayRef {
    var items: [Slot] = []
}

private struct IndexKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue; intValue = nil }
    init(intValue: Int) { stringValue = "Index \(intValue)"; self.intValue = intValue }
    init(_ s: String) { stringValue = s; intValue = nil }
}

private final class TreeEncoder: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var slot: Slot?

    init(codingPath: [any CodingKey]) { self.codingPath = codingPath }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let ref: ObjectRef
        if case .object(let existing)? = slot {
            ref = existing
        } else {
            ref = ObjectRef()
            slot = .object(ref)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(ref: ref, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let ref: ArrayRef
        if case .array(let existing)? = slot {
            ref = existing
        } else {
            ref = ArrayRef()
            slot = .array(ref)
        }
        return UnkeyedContainer(ref: ref, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(encoder: self) }

    // MARK: - values

    static func number(_ d: Double, _ codingPath: [any CodingKey]) throws -> JSONValue {
        guard d.isFinite else {
            throw EncodingError.invalidValue(d, .init(codingPath: codingPath,
                debugDescription: "Unable to encode \(d) directly in JSON."))
        }
        if d.rounded() == d && abs(d) < 1e16 { return .int(Int(d)) }
        return .double(d)
    }

    static func integer<I: BinaryInteger>(_ i: I) -> JSONValue {
        if let v = Int(exactly: i) { return .int(v) }
        return .double(Double(i))
    }

    /// Encodes one value: primitives and the types JSONEncoder treats specially directly,
    /// anything else through its own `encode(to:)`.
    static func box<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws -> Slot {
        switch value {
        case let v as JSONValue: return .value(v)
        case let v as String: return .value(.string(v))
        case let v as Bool: return .value(.bool(v))
        case let v as Int: return .value(.int(v))
        case let v as Double: return .value(try number(v, codingPath))
        case let v as [String: JSONValue]: return .value(.object(v))
        case let v as [JSONValue]: return .value(.array(v))
        case let v as Float:
            guard v.isFinite else { return .value(try number(Double(v), codingPath)) }
            // JSONEncoder writes a Float's shortest text, which the decoder reads as a Double.
            return .value(try number(Double("\(v)") ?? Double(v), codingPath))
        case let v as Data: return .value(.string(v.base64EncodedString()))
        case let v as URL: return .value(.string(v.absoluteString))
        case let v as any ParallelTreeEncodable where v.elementCount >= ParallelEncoding.minimumElements:
            return .value(.array(try v.encodeElementsInParallel(codingPath: codingPath)))
        case let v as Decimal:
            let d = Double("\(v)") ?? NSDecimalNumber(decimal: v).doubleValue
            return .value(try number(d, codingPath))
        default:
            let e = TreeEncoder(codingPath: codingPath)
            try value.encode(to: e)
            return e.slot ?? .value(.object([:]))
        }
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let ref: ObjectRef
    let codingPath: [any CodingKey]

    private func path(_ key: Key) -> [any CodingKey] { codingPath + [key] }

    mutating func encodeNil(forKey key: Key) throws { ref.entries[key.stringValue] = .value(.null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { ref.entries[key.stringValue] = .value(.bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { ref.entries[key.stringValue] = .value(.string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        ref.entries[key.stringValue] = .value(try TreeEncoder.number(value, path(key)))
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        ref.entries[key.stringValue] = try TreeEncoder.box(value, codingPath: path(key))
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { ref.entries[key.stringValue] = .value(.int(value)) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { ref.entries[key.stringValue] = .value(TreeEncoder.integer(value)) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { ref.entries[key.stringValue] = .value(TreeEncoder.integer(value)) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { ref.entries[key.stringValue] = .value(TreeEncoder.integer(value)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { ref.entries[key.stringValue] = .value(TreeEncoder.integer(value)) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { ref.entries[key.stringValue] = .value(TreeEncoder.integer(value)) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { ref.entries[key.stringValue] = .value(TreeEncoder.integer(value)) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { ref.entries[key.stringValue] = .value(TreeEncoder.integer(value)) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { ref.entries[key.stringValue] = .value(TreeEncoder.integer(value)) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { ref.entries[key.stringValue] = .value(TreeEncoder.integer(value)) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        ref.entries[key.stringValue] = try TreeEncoder.box(value, codingPath: path(key))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                        forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = ObjectRef()
        ref.entries[key.stringValue] = .object(child)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(ref: child, codingPath: path(key)))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = ArrayRef()
        ref.entries[key.stringValue] = .array(child)
        return UnkeyedContainer(ref: child, codingPath: path(key))
    }

    mutating func superEncoder() -> any Encoder { superEncoder(key: IndexKey("super")) }

    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(key: key) }

    private func superEncoder(key: any CodingKey) -> any Encoder {
        let e = TreeEncoder(codingPath: codingPath + [key])
        ref.entries[key.stringValue] = .encoder(e)
        return e
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let ref: ArrayRef
    let codingPath: [any CodingKey]
    var count: Int { ref.items.count }

    private var nextPath: [any CodingKey] { codingPath + [IndexKey(intValue: ref.items.count)] }

    mutating func encodeNil() throws { ref.items.append(.value(.null)) }
    mutating func encode(_ value: Bool) throws { ref.items.append(.value(.bool(value))) }
    mutating func encode(_ value: String) throws { ref.items.append(.value(.string(value))) }
    mutating func encode(_ value: Int) throws { ref.items.append(.value(.int(value))) }
    mutating func encode(_ value: Double) throws { ref.items.append(.value(try TreeEncoder.number(value, nextPath))) }
    mutating func encode(_ value: Int8) throws { ref.items.append(.value(TreeEncoder.integer(value))) }
    mutating func encode(_ value: Int16) throws { ref.items.append(.value(TreeEncoder.integer(value))) }
    mutating func encode(_ value: Int32) throws { ref.items.append(.value(TreeEncoder.integer(value))) }
    mutating func encode(_ value: Int64) throws { ref.items.append(.value(TreeEncoder.integer(value))) }
    mutating func encode(_ value: UInt) throws { ref.items.append(.value(TreeEncoder.integer(value))) }
    mutating func encode(_ value: UInt8) throws { ref.items.append(.value(TreeEncoder.integer(value))) }
    mutating func encode(_ value: UInt16) throws { ref.items.append(.value(TreeEncoder.integer(value))) }
    mutating func encode(_ value: UInt32) throws { ref.items.append(.value(TreeEncoder.integer(value))) }
    mutating func encode(_ value: UInt64) throws { ref.items.append(.value(TreeEncoder.integer(value))) }
    mutating func encode(_ value: Float) throws { ref.items.append(try TreeEncoder.box(value, codingPath: nextPath)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        ref.items.append(try TreeEncoder.box(value, codingPath: nextPath))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = ObjectRef()
        let path = nextPath
        ref.items.append(.object(child))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(ref: child, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = ArrayRef()
        let path = nextPath
        ref.items.append(.array(child))
        return UnkeyedContainer(ref: child, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let e = TreeEncoder(codingPath: nextPath)
        ref.items.append(.encoder(e))
        return e
    }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let encoder: TreeEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    func encodeNil() throws { encoder.slot = .value(.null) }
    func encode(_ value: Bool) throws { encoder.slot = .value(.bool(value)) }
    func encode(_ value: String) throws { encoder.slot = .value(.string(value)) }
    func encode(_ value: Int) throws { encoder.slot = .value(.int(value)) }
    func encode(_ value: Double) throws { encoder.slot = .value(try TreeEncoder.number(value, codingPath)) }
    func encode(_ value: Int8) throws { encoder.slot = .value(TreeEncoder.integer(value)) }
    func encode(_ value: Int16) throws { encoder.slot = .value(TreeEncoder.integer(value)) }
    func encode(_ value: Int32) throws { encoder.slot = .value(TreeEncoder.integer(value)) }
    func encode(_ value: Int64) throws { encoder.slot = .value(TreeEncoder.integer(value)) }
    func encode(_ value: UInt) throws { encoder.slot = .value(TreeEncoder.integer(value)) }
    func encode(_ value: UInt8) throws { encoder.slot = .value(TreeEncoder.integer(value)) }
    func encode(_ value: UInt16) throws { encoder.slot = .value(TreeEncoder.integer(value)) }
    func encode(_ value: UInt32) throws { encoder.slot = .value(TreeEncoder.integer(value)) }
    func encode(_ value: UInt64) throws { encoder.slot = .value(TreeEncoder.integer(value)) }
    func encode(_ value: Float) throws { encoder.slot = try TreeEncoder.box(value, codingPath: codingPath) }
    func encode<T: Encodable>(_ value: T) throws { encoder.slot = try TreeEncoder.box(value, codingPath: codingPath) }
}
