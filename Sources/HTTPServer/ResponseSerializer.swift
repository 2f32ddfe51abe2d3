import Glibc
import Synchronization

/// Turns an `HTTPResponse` into bytes on the wire. The server owns the framing headers:
/// `Date`, `Server`, `Content-Length` and `Connection` are always its own; `Transfer-Encoding`
/// from a handler is dropped. CR, LF and NUL in header names or values are replaced, so a
/// handler echoing input cannot split a response.
public enum ResponseSerializer {
    public static let serverName = "virtaudit"

    /// - Parameters:
    ///   - keepAlive: whether the connection stays open (writes `Connection: keep-alive|close`).
    ///   - omitBody: true for HEAD: headers (with the body's Content-Length) but no body.
    public static func serialize(_ response: HTTPResponse, keepAlive: Bool, omitBody: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + response.headers.fields.count * 48 + (omitBody ? 0 : response.body.count))
        let bodyAllowed = appendHead(response, keepAlive: keepAlive, date: HTTPDate.fieldBytes(), to: &out)
        if bodyAllowed && !omitBody { out.append(contentsOf: response.body) }
        return out
    }

    /// Appends the status line and header section (ending in the empty line) to `out` and
    /// returns whether the status allows a body. `date` is the `Date: …\r\n` field.
    /// Writes bytes directly: no intermediate strings for the common statuses and headers.
    static func appendHead(_ response: HTTPResponse, keepAlive: Bool, date: [UInt8], to out: inout [UInt8]) -> Bool {
        let status = (100...999).contains(response.status) ? response.status : 500
        appendStatusLine(status, to: &out)
        out.append(contentsOf: date)
        appendStatic("Server: virtaudit\r\n", to: &out)
        for f in response.headers.fields where !isFramingHeader(f.name) {
            appendClean(f.name, name: true, to: &out)
            out.append(0x3A); out.append(0x20)
            appendClean(f.value, name: false, to: &out)
            out.append(0x0D); out.append(0x0A)
        }
        let bodyAllowed = !(status == 204 || status == 304 || (100..<200).contains(status))
        if bodyAllowed {
            appendStatic("Content-Length: ", to: &out)
            appendDecimal(response.body.count, to: &out)
            out.append(0x0D); out.append(0x0A)
        }
        if keepAlive { appendStatic("Connection: keep-alive\r\n\r\n", to: &out) }
        else { appendStatic("Connection: close\r\n\r\n", to: &out) }
        return bodyAllowed
    }

    /// Date, Server, Content-Length, Connection, Transfer-Encoding and Keep-Alive are the server's.
    private static func isFramingHeader(_ name: String) -> Bool {
        switch name.utf8.count {
        case 4: return HTTPHeaders.sameName(name, "date")
        case 6: return HTTPHeaders.sameName(name, "server")
        case 10: return HTTPHeaders.sameName(name, "connection") || HTTPHeaders.sameName(name, "keep-alive")
        case 14: return HTTPHeaders.sameName(name, "content-length")
        case 17: return HTTPHeaders.sameName(name, "transfer-encoding")
        default: return false
        }
    }

    private static func appendStatusLine(_ status: Int, to out: inout [UInt8]) {
        switch status {
        case 200: appendStatic("HTTP/1.1 200 OK\r\n", to: &out)
        case 304: appendStatic("HTTP/1.1 304 Not Modified\r\n", to: &out)
        case 404: appendStatic("HTTP/1.1 404 Not Found\r\n", to: &out)
        default:
            appendStatic("HTTP/1.1 ", to: &out)
            appendDecimal(status, to: &out)
            out.append(0x20)
            out.append(contentsOf: HTTPResponse.reason(status).utf8)
            out.append(0x0D); out.append(0x0A)
        }
    }

    @inline(__always)
    static func appendStatic(_ s: StaticString, to out: inout [UInt8]) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        var v = value
        if v < 0 { out.append(0x2D); v = -v }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(0x30 + v % 10)
                v /= 10
                n += 1
            } while v > 0
            while n > 0 { n -= 1; out.append(d[n]) }
        }
    }

    /// Appends a header name or value, replacing CR, LF and NUL (and, in names, `:` and space)
    /// so a handler echoing input cannot split the response.
    private static func appendClean(_ s: String, name: Bool, to out: inout [UInt8]) {
        let bad = s.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 || (name && ($0 == 0x3A || $0 == 0x20)) }
        if !bad {
            out.append(contentsOf: s.utf8)
            return
        }
        out.append(contentsOf: clean(s, name: name).utf8)
    }

    /// True when the handler asked for the connection to be closed.
    static func wantsClose(_ response: HTTPResponse) -> Bool {
        response.headers.contains("connection")
            && response.headers.values("connection").contains { $0.lowercased().contains("close") }
    }

    private static func clean(_ s: String, name: Bool) -> String {
        if !s.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 || (name && ($0 == 0x3A || $0 == 0x20)) }) {
            return s
        }
        return String(s.map { c -> Character in
            (c == "\r" || c == "\n" || c == "\0" || c == "\r\n" || (name && (c == ":" || c == " "))) ? (name ? "-" : " ") : c
        })
    }

    /// An error answer with a JSON body, closing the connection.
    static func errorBytes(status: Int, message: String) -> [UInt8] {
        serialize(APIError(status: status, message: message).response, keepAlive: false, omitBody: false)
    }
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), formatted once per second.
enum HTTPDate {
    private static let cache = Mutex<(Int, String)>((-1, ""))
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static let fieldCache = Mutex<(Int, [UInt8])>((-1, []))

    static func now() -> String {
        let t = time(nil)
        return cache.withLock { c in
            if c.0 == t { return c.1 }
            let s = format(t)
            c = (t, s)
            return s
        }
    }

    /// `Date: <IMF-fixdate>\r\n` for the current second, shared by all threads.
    static func fieldBytes() -> [UInt8] {
        let t = time(nil)
        return fieldCache.withLock { c in
            if c.0 == t { return c.1 }
            let b = field(t)
            c = (t, b)
            return b
        }
    }

    static func field(_ t: Int) -> [UInt8] { Array("Date: \(format(t))\r\n".utf8) }

    static func format(_ t: Int) -> String {
        var tt = time_t(t)
        var tmv = tm()
        gmtime_r(&tt, &tmv)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(tmv.tm_wday)]), \(two(tmv.tm_mday)) \(months[Int(tmv.tm_mon)]) \(tmv.tm_year + 1900) "
            + "\(two(tmv.tm_hour)):\(two(tmv.tm_min)):\(two(tmv.tm_sec)) GMT"
    }
}

/// One thread's copy of the `Date` field, refreshed when the second changes: an event loop
/// reads it per response without taking a lock.
final class DateField {
    private var second = -1
    private(set) var bytes: [UInt8] = []

    func current() -> [UInt8] {
        let t = time(nil)
        if t != second {
            second = t
            bytes = HTTPDate.field(t)
        }
        return bytes
    }
}
