import Dispatch
import Foundation

/// Fast, deterministic JSON serialization: object keys are sorted, so equal values always give
/// equal bytes (stable ETags, diffable reports).
public enum JSONWriter {
    public static func data(_ value: JSONValue, pretty: Bool = false) -> Data {
        Data(bytes(value, pretty: pretty))
    }

    public static func string(_ value: JSONValue, pretty: Bool = false) -> String {
        String(decoding: bytes(value, pretty: pretty), as: UTF8.self)
    }

    /// The UTF-8 text. Written byte by byte into one growing buffer: a 1,000-VM report (about
    /// 10 MB) takes tens of milliseconds.
    public static func bytes(_ value: JSONValue, pretty: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(value, into: &out, pretty: pretty, indent: 0)
        return out
    }

    /// Serializes any Encodable through the JSONValue tree (sorted keys, same formatting).
    public static func string<T: Encodable>(encoding value: T, pretty: Bool = false) throws -> String {
        string(try JSONValue(encoding: value), pretty: pretty)
    }

    static func write(_ value: JSONValue, into out: inout [UInt8], pretty: Bool, indent: Int,
                              parallel: Bool = true) {
        switch value {
        case .null: append("null", &out)
        case .bool(let b): append(b ? "true" : "false", &out)
        case .int(let i): writeInt(i, into: &out)
        case .double(let d):
            if d.isNaN || d.isInfinite { append("null", &out) }
            else if d.rounded() == d && abs(d) < 1e15 { writeInt(Int(d), into: &out) }
            else { append(String(d), &out) }
        case .string(let s): writeString(s, into: &out)
        case .array(let items) where parallel && items.count >= ParallelEncoding.minimumElements:
            // Large arrays (a report's domains): chunks written on several threads, then joined.
            let parts = ParallelSlots<[UInt8]>(count: items.count)
            Parallel.forEachChunk(items.count) { range in
                for i in range {
                    var buf: [UInt8] = []
                    write(items[i], into: &buf, pretty: pretty, indent: indent + 1, parallel: false)
                    parts.set(i, buf)
                }
            }
            out.append(UInt8(ascii: "["))
            for (n, part) in parts.values().enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(&out, indent + 1) }
                out.append(contentsOf: part)
            }
            if pretty { newline(&out, indent) }
            out.append(UInt8(ascii: "]"))
        case .array(let items):
            if items.isEmpty { append("[]", &out); return }
            out.append(UInt8(ascii: "["))
            var first = true
            for item in items {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                if pretty { newline(&out, indent + 1) }
                write(item, into: &out, pretty: pretty, indent: indent + 1, parallel: parallel)
            }
            if pretty { newline(&out, indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let dict):
            if dict.isEmpty { append("{}", &out); return }
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, member) in dict.sorted(by: { $0.key < $1.key }) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                if pretty { newline(&out, indent + 1) }
                writeString(key, into: &out)
                if pretty { append(": ", &out) } else { out.append(UInt8(ascii: ":")) }
                write(member, into: &out, pretty: pretty, indent: indent + 1, parallel: parallel)
            }
            if pretty { newline(&out, indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    @inline(__always)
    private static func append(_ s: StaticString, _ out: inout [UInt8]) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    private static func append(_ s: String, _ out: inout [UInt8]) {
        var s = s
        s.withUTF8 { out.append(contentsOf: $0) }
    }

    private static func writeInt(_ i: Int, into out: inout [UInt8]) {
        if i == 0 { out.append(UInt8(ascii: "0")); return }
        if i < 0 {
            out.append(UInt8(ascii: "-"))
            if i == Int.min { append(String(i).dropFirst().description, &out); return }
        }
        var v = i.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            while v > 0 {
                buf[19 - n] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                n += 1
            }
            out.append(contentsOf: buf[(20 - n)...])
        }
    }

    private static func newline(_ out: inout [UInt8], _ indent: Int) {
        out.append(UInt8(ascii: "\n"))
        for _ in 0..<(indent * 2) { out.append(UInt8(ascii: " ")) }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { writeUTF8($0, into: &out) }
    }

    static func writeString(_ s: String, into out: inout String) {
        var bytes: [UInt8] = []
        writeString(s, into: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// A quoted JSON string: quote, backslash and control characters escaped, `<`, `>`, `&`
    /// as \u escapes (safe inside HTML), and U+2028/U+2029 (line and paragraph separators,
    /// E2 80 A8/A9 in UTF-8) escaped for JavaScript.
    private static func writeUTF8(_ b: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var runStart = 0
        var i = 0
        let n = b.count
        func flush(_ upTo: Int) {
            if upTo > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[runStart..<upTo])) }
        }
        func unicodeEscape(_ v: UInt32) {
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"),
                                    hex[Int(v >> 12 & 0xf)], hex[Int(v >> 8 & 0xf)],
                                    hex[Int(v >> 4 & 0xf)], hex[Int(v & 0xf)]])
        }
        while i < n {
            let c = b[i]
            let escape: [UInt8]?
            switch c {
            case UInt8(ascii: "\""): escape = [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): escape = [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): escape = [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): escape = [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): escape = [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"), 0..<0x20:
                flush(i)
                unicodeEscape(UInt32(c))
                i += 1
                runStart = i
                continue
            case 0xE2 where i + 2 < n && b[i + 1] == 0x80 && (b[i + 2] == 0xA8 || b[i + 2] == 0xA9):
                flush(i)
                unicodeEscape(b[i + 2] == 0xA8 ? 0x2028 : 0x2029)
                i += 3
                runStart = i
                continue
            default: escape = nil
            }
            if let e = escape {
                flush(i)
                out.append(contentsOf: e)
                i += 1
                runStart = i
            } else {
                i += 1
            }
        }
        flush(n)
        out.append(UInt8(ascii: "\""))
    }
}

extension JSONValue {
    /// Converts any Encodable to a JSON tree.
    public init<T: Encodable>(encoding value: T) throws {
        self = try JSONTreeEncoder.encode(value)
    }

    /// Parses JSON text.
    public init(parsing data: Data) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Decodes a Decodable from this tree.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONWriter.data(self))
    }
}
