import Foundation
import Glibc
import HTTPServer
import XCTest

/// A response read off a raw socket.
struct WireResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    subscript(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking TCP client on raw sockets, with a receive timeout so no test can hang.
final class RawClient {
    let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var closedByPeer = false

    /// - Parameters:
    ///   - source: a local (loopback) address to connect from, another "peer" to the server.
    ///   - receiveBuffer: a small `SO_RCVBUF`, so a slow reader's window stays small.
    init?(port: Int, timeout: Double = 5, source: String? = nil, receiveBuffer: Int32? = nil) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if fd < 0 { return nil }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let rc = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if rc != 0 { Glibc.close(fd); return nil }
        }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 { Glibc.close(fd); return nil }
    }

    deinit { Glibc.close(fd) }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            off += n
        }
        return true
    }

    /// Reads more bytes; false on EOF, error or timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { closedByPeer = true }
        if n <= 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    /// The next response; `head` for a response to HEAD (no body despite Content-Length).
    func readResponse(head: Bool = false) -> WireResponse? {
        while true {
            if let end = findHeadEnd() {
                let headText = String(decoding: buffer[0..<end], as: UTF8.self)
                var lines = headText.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
                var headers: [(String, String)] = []
                for line in lines where !line.isEmpty {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
                }
                let length = head || status == 304 || status == 204 || status == 100 ? 0
                    : Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
                while buffer.count < end + 4 + length { if !fill() { return nil } }
                let body = Array(buffer[(end + 4)..<(end + 4 + length)])
                buffer.removeSubrange(0..<(end + 4 + length))
                return WireResponse(status: status, headers: headers, body: body)
            }
            if !fill() { return nil }
        }
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// Reads up to `max` bytes as they come; the count, 0 on EOF, -1 on error or timeout.
    func readSome(max: Int) -> Int {
        if !buffer.isEmpty {
            let n = min(max, buffer.count)
            buffer.removeFirst(n)
            return n
        }
        var chunk = [UInt8](repeating: 0, count: max)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { closedByPeer = true }
        return n
    }

    /// True when nothing can be read right now (the server has not answered yet).
    var nothingToRead: Bool {
        guard buffer.isEmpty else { return false }
        var b: UInt8 = 0
        let n = recv(fd, &b, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
    }

    /// True when the peer closes the connection (EOF or reset) before the timeout.
    func waitForClose() -> Bool {
        if !buffer.isEmpty { buffer.removeAll() }
        while true {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    /// One request, one response.
    func get(_ target: String, headers: [String] = []) -> WireResponse? {
        let extra = headers.map { $0 + "\r\n" }.joined()
        guard send("GET \(target) HTTP/1.1\r\nHost: test\r\n\(extra)\r\n") else { return nil }
        return readResponse()
    }
}

/// A handler for the live tests: echoes the request as text, `/slow` sleeps, `/big` is a
/// large JSON document, `/cached` goes through `ResponseHelpers.prepare`.
struct EchoHandler: HTTPHandler {
    /// Signalled when a `/slow` request reaches the handler.
    static let slowStarted = DispatchSemaphore(value: 0)

    static let bigBody: [UInt8] = {
        var s = "{\"items\":["
        for i in 0..<200 { s += (i > 0 ? "," : "") + "{\"name\":\"domain-\(i)\",\"grade\":\"B\",\"score\":\(i % 100)}" }
        return Array((s + "]}").utf8)
    }()

    /// More than loopback socket buffers take at once: the response is written in parts.
    static let hugeBody: [UInt8] = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }

    /// 8 MiB of text over 16 letters from a fixed LCG: deflate has real work to do (tens of
    /// milliseconds or more), and the output inflates back to exactly these bytes.
    static let textBody: [UInt8] = {
        var out = [UInt8](repeating: 0, count: 8 << 20)
        var x: UInt32 = 12345
        out.withUnsafeMutableBufferPointer { b in
            for i in 0..<b.count {
                x = x &* 1_103_515_245 &+ 12345
                b[i] = 0x61 &+ UInt8(truncatingIfNeeded: x >> 27)
            }
        }
        return out
    }()

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        switch request.path {
        case "/text":
            // Strongly tagged (tag from the query, so a test can start with a cold cache);
            // compressed when accepted.
            var headers = HTTPHeaders([("Content-Type", "application/json")])
            headers.add("ETag", "\"" + (request.query["tag"] ?? "text") + "\"")
            return ResponseHelpers.compressIfAccepted(request: request,
                response: HTTPResponse(status: 200, headers: headers, body: EchoHandler.textBody))
        case "/healthz":
            return HTTPResponse(status: 200, contentType: "application/json", body: Array("{\"status\":\"ok\"}".utf8))
        case "/slow":
            EchoHandler.slowStarted.signal()
            usleep(500_000)
            return HTTPResponse(status: 200, contentType: "text/plain", body: Array("slow done".utf8))
        case "/big":
            return ResponseHelpers.compressIfAccepted(request: request,
                response: HTTPResponse(status: 200, contentType: "application/json", body: EchoHandler.bigBody))
        case "/huge":
            return HTTPResponse(status: 200, contentType: "application/octet-stream", body: EchoHandler.hugeBody)
        case "/cached":
            return ResponseHelpers.prepare(request: request,
                response: HTTPResponse(status: 200, contentType: "application/json", body: EchoHandler.bigBody))
        default:
            let q = request.query.keys.sorted().map { "\($0)=\(request.query[$0]!)" }.joined(separator: "&")
            let text = "\(request.method) \(request.path) \(q) \(request.body.count) \(String(decoding: request.body, as: UTF8.self))"
            return HTTPResponse(status: 200, contentType: "text/plain", body: Array(text.utf8))
        }
    }
}

/// `EchoHandler` answering on the event-loop threads: every request but `/slow` (which
/// sleeps, so it is left to the workers), marked `X-Answered: inline`.
struct InlineEchoHandler: NonBlockingHTTPHandler {
    let echo = EchoHandler()

    func handle(_ request: HTTPRequest) -> HTTPResponse { echo.handle(request) }

    func handleInline(_ request: HTTPRequest) -> HTTPResponse? {
        if request.path == "/slow" { return nil }
        var response = echo.handle(request)
        response.headers.add("X-Answered", "inline")
        return response
    }
}

final class LogCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [HTTPRequestLog] = []
    func add(_ l: HTTPRequestLog) { lock.lock(); lines.append(l); lock.unlock() }
    var all: [HTTPRequestLog] { lock.lock(); defer { lock.unlock() }; return lines }
}

func raiseOpenFileLimit(to wanted: rlim_t) {
    var lim = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
    if lim.rlim_cur < wanted {
        lim.rlim_cur = min(wanted, lim.rlim_max)
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
    }
}
