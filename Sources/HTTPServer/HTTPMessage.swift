import Core

/// Header fields in arrival order; names compare case-insensitively.
public struct HTTPHeaders: Sendable, Hashable, Sequence {
    public private(set) var fields: [(name: String, value: String)] = []

    public init(_ fields: [(String, String)] = []) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    public subscript(name: String) -> String? {
        fields.first { HTTPHeaders.sameName($0.name, name) }?.value
    }

    public func values(_ name: String) -> [String] {
        fields.filter { HTTPHeaders.sameName($0.name, name) }.map(\.value)
    }

    /// True when a field with this name is present (no allocation).
    public func contains(_ name: String) -> Bool {
        fields.contains { HTTPHeaders.sameName($0.name, name) }
    }

    public mutating func add(_ name: String, _ value: String) { fields.append((name: name, value: value)) }

    public mutating func replace(_ name: String, _ value: String) {
        fields.removeAll { HTTPHeaders.sameName($0.name, name) }
        fields.append((name: name, value: value))
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { HTTPHeaders.sameName($0.name, name) }
    }

    /// ASCII case-insensitive equality of two field names, without building lowercased copies
    /// (header lookups run several times per response). Non-ASCII bytes compare exactly.
    static func sameName(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                guard x.count == y.count else { return false }
                for i in 0..<x.count {
                    let p = x[i], q = y[i]
                    if p == q { continue }
                    if p | 0x20 != q | 0x20 { return false }
                    let l = p | 0x20
                    if l < 0x61 || l > 0x7A { return false }
                }
                return true
            }
        }
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    public static func == (a: HTTPHeaders, b: HTTPHeaders) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into h: inout Hasher) {
        for f in fields { h.combine(f.name); h.combine(f.value) }
    }
}

/// A parsed HTTP/1.1 request, as handed to a handler.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request target as sent (`/api/v1/domains?grade=F`).
    public var target: String
    /// The percent-decoded path, without the query.
    public var path: String
    /// Query parameters, percent-decoded; the last value wins for repeated names.
    public var query: [String: String]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The peer's address (`127.0.0.1`, `::1`), for logging and loopback checks.
    public var remoteAddress: String

    public init(method: String, target: String, path: String, query: [String: String] = [:],
                headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], remoteAddress: String = "127.0.0.1") {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// True when the peer is on the loopback interface (see `IPAddress.isLoopback`).
    public var isLoopback: Bool { IPAddress.isLoopback(remoteAddress) }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Set by `ResponseHelpers.compressIfAccepted` on an event-loop thread for a large body
    /// whose gzip is not cached yet: the server compresses it on a worker before sending.
    var deferredGzip = false

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int, contentType: String, body: [UInt8]) {
        self.init(status: status, headers: HTTPHeaders([("Content-Type", contentType)]), body: body)
    }

    public static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}

/// Answers requests. Handlers must be fast and must not block: the server calls them from its
/// worker threads. Work that takes long (a scan) is started elsewhere and answered with 202.
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest) -> HTTPResponse
}

/// A handler that can answer requests on the event-loop thread itself, without the hop to a
/// worker thread and back (two thread wake-ups per request). Conforming is the opt-in.
///
/// `handleInline` runs on the thread that owns the sockets: it must never block (no file or
/// database reads, no locks held for long, no sleeping), because every connection of that loop
/// waits while it runs. Return nil to have the request answered by `handle` on a worker thread
/// instead (pipelined requests still get their answers in order). The default implementation
/// answers every request inline with `handle`, for handlers that only serve bytes from memory.
public protocol NonBlockingHTTPHandler: HTTPHandler {
    func handleInline(_ request: HTTPRequest) -> HTTPResponse?
}

extension NonBlockingHTTPHandler {
    public func handleInline(_ request: HTTPRequest) -> HTTPResponse? { handle(request) }
}
