/// JSON written straight into a byte buffer, container by container: no tree of the document is
/// built. Keys are written in the order the caller writes them; `value(_:)` writes a `JSONValue`
/// member (facts, observed values) with `JSONWriter`'s rules (sorted keys, same escaping).
/// `pretty` indents by two spaces, as `JSONWriter` does.
public struct JSONStream {
    public private(set) var bytes: [UInt8]
    public let pretty: Bool
    /// Open containers.
    private var depth: Int
    /// Open containers (the indentation level of the next member).
    public var currentDepth: Int { depth }
    /// Per open container: nothing written in it yet.
    private var empty: [Bool] = []

    /// - Parameter depth: the indentation level the first value starts at (for a part written
    ///   apart and appended with `raw` into a container at that level).
    public init(pretty: Bool = false, depth: Int = 0, capacity: Int = 4096) {
        self.pretty = pretty
        self.depth = depth
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Starts a member of the open object: separator, key and colon; the value follows.
    public mutating func key(_ k: String) {
        separate()
        JSONWriter.writeString(k, into: &bytes)
        if pretty { bytes.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")]) } else { bytes.append(UInt8(ascii: ":")) }
    }

    /// Starts an element of the open array; the value follows.
    public mutating func element() { separate() }

    public mutating func string(_ s: String) { JSONWriter.writeString(s, into: &bytes) }
    public mutating func string(_ s: String?) { if let s { string(s) } else { null() } }
    public mutating func int(_ i: Int) { JSONWriter.write(.int(i), into: &bytes, pretty: false, indent: 0, parallel: false) }
    public mutating func int(_ i: Int?) { if let i { int(i) } else { null() } }
    public mutating func double(_ d: Double) { JSONWriter.write(.double(d), into: &bytes, pretty: false, indent: 0, parallel: false) }
    public mutating func bool(_ b: Bool) { append(b ? "true" : "false") }
    public mutating func null() { append("null") }
    public mutating func value(_ v: JSONValue) { JSONWriter.write(v, into: &bytes, pretty: pretty, indent: depth, parallel: false) }
    public mutating func value(_ v: JSONValue?) { if let v { value(v) } else { null() } }
    public mutating func strings(_ items: [String]) {
        beginArray()
        for s in items { element(); string(s) }
        endArray()
    }

    /// Appends a value encoded apart (by a stream started at this stream's depth).
    public mutating func raw(_ part: [UInt8]) { bytes.append(contentsOf: part) }

    public mutating func field(_ k: String, _ v: String) { key(k); string(v) }
    public mutating func field(_ k: String, _ v: String?) { key(k); string(v) }
    public mutating func field(_ k: String, _ v: Int) { key(k); int(v) }
    public mutating func field(_ k: String, _ v: Int?) { key(k); int(v) }
    public mutating func field(_ k: String, _ v: Double) { key(k); double(v) }
    public mutating func field(_ k: String, _ v: Bool) { key(k); bool(v) }

    private mutating func open(_ c: UInt8) {
        bytes.append(c)
        depth += 1
        empty.append(true)
    }

    private mutating func close(_ c: UInt8) {
        depth -= 1
        let wasEmpty = empty.removeLast()
        if pretty && !wasEmpty { newline() }
        bytes.append(c)
    }

    private mutating func separate() {
        if let last = empty.last {
            if !last { bytes.append(UInt8(ascii: ",")) }
            empty[empty.count - 1] = false
        }
        if pretty { newline() }
    }

    private mutating func newline() {
        bytes.append(UInt8(ascii: "\n"))
        for _ in 0..<(depth * 2) { bytes.append(UInt8(ascii: " ")) }
    }

    private mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
}
