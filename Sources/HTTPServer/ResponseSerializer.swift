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
        let status = (100...999).contains(response.status) ? response.status : 500
        var head = "HTTP/1.1 \(status) \(HTTPResponse.reason(status))\r\n"
        head += "Date: \(HTTPDate.now())\r\nServer: \(serverName)\r\n"
        for f in response.headers {
            switch f.name.lowercased() {
            case "date", "server", "content-length", "connection", "transfer-encoding", "keep-alive":
                continue
            default:
                head += clean(f.name, name: true) + ": " + clean(f.value, name: false) + "\r\n"
            }
        }
        let bodyAllowed = !(status == 204 || status == 304 || (100..<200).contains(status))
        if bodyAllowed { head += "Content-Length: \(response.body.count)\r\n" }
        head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        var out = Array(head.utf8)
        if bodyAllowed && !omitBody { out.append(contentsOf: response.body) }
        return out
    }

    /// True when the handler asked for the connection to be closed.
    static func wantsClose(_ response: HTTPResponse) -> Bool {
        response.headers.values("connection").contains { $0.lowercased().contains("close") }
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
        serialize(ResponseHelpers.errorResponse(status: status, message: message), keepAlive: false, omitBody: false)
    }
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), formatted once per second.
enum HTTPDate {
    private static let cache = Mutex<(Int, String)>((-1, ""))
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func now() -> String {
        let t = time(nil)
        return cache.withLock { c in
            if c.0 == t { return c.1 }
            let s = format(t)
            c = (t, s)
            return s
        }
    }

    static func format(_ t: Int) -> String {
        var tt = time_t(t)
        var tmv = tm()
        gmtime_r(&tt, &tmv)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(tmv.tm_wday)]), \(two(tmv.tm_mday)) \(months[Int(tmv.tm_mon)]) \(tmv.tm_year + 1900) "
            + "\(two(tmv.tm_hour)):\(two(tmv.tm_min)):\(two(tmv.tm_sec)) GMT"
    }
}
