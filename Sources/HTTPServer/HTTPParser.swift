/// Why a request could not be parsed: the status to answer with and a short message. The server
/// answers with a JSON error body and closes the connection.
public struct HTTPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public let status: Int
    public let message: String

    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status): \(message)" }
}

/// Size limits applied while parsing.
public struct HTTPParserLimits: Sendable, Hashable {
    public var maxRequestLineBytes: Int
    public var maxHeaderBytes: Int
    public var maxHeaderCount: Int
    public var maxBodyBytes: Int

    public init(maxRequestLineBytes: Int = 8 * 1024, maxHeaderBytes: Int = 16 * 1024,
                maxHeaderCount: Int = 100, maxBodyBytes: Int = 1 << 20) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}

/// A complete request plus what the connection needs to know about it.
public struct ParsedRequest: Sendable {
    public var request: HTTPRequest
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    /// Whether the connection stays open after the response (version default and `Connection`).
    public var keepAlive: Bool
    public var isHead: Bool { request.method == "HEAD" }
}

/// An incremental HTTP/1.x request parser. Pure: bytes go in with `append`, complete requests
/// come out of `next()`, one at a time and in order (pipelining). It never reads a socket and
/// holds no more than the limits allow, so it can be fed anything (the fuzz test does).
///
/// Framing follows RFC 9112: `Content-Length` (digits only, equal duplicates allowed) or
/// `Transfer-Encoding: chunked`; both at once is rejected (request smuggling). Lines end in CRLF;
/// a bare LF is accepted as a line end, a bare CR is not.
public struct HTTPParser: Sendable {
    public enum Phase: Sendable, Equatable {
        /// No byte of the next request has arrived.
        case idle
        /// Inside the request line or the header section.
        case head
        /// The head is complete; the body is being received.
        case body
    }

    public let limits: HTTPParserLimits
    private var buffer: [UInt8] = []
    /// Start of unconsumed bytes in `buffer`.
    private var start = 0
    /// How far the search for the end of the head has already looked (from `start`).
    private var scanned = 0
    private var pending: PendingHead?
    private var chunk = ChunkState.size
    private var chunkRemaining = 0
    private var body: [UInt8] = []
    private var trailerBytes = 0
    private var sawFirstLine = false
    /// Set once an error was returned; every later call returns the same error.
    private var failed: HTTPParseError?
    /// True when the current request sent `Expect: 100-continue` and its body has not arrived.
    public private(set) var expectsContinue = false
    public var remoteAddress: String

    private enum ChunkState: Sendable { case size, data, dataEnd, trailer }

    private struct PendingHead: Sendable {
        var method: String
        var target: String
        var path: String
        var query: [String: String]
        var headers: HTTPHeaders
        var minor: Int
        var keepAlive: Bool
        var chunked: Bool
        var contentLength: Int
    }

    public init(limits: HTTPParserLimits = HTTPParserLimits(), remoteAddress: String = "127.0.0.1") {
        self.limits = limits
        self.remoteAddress = remoteAddress
    }

    /// Bytes received and not yet consumed by a returned request.
    public var bufferedCount: Int { buffer.count - start }

    public var phase: Phase {
        if pending != nil { return .body }
        return bufferedCount == 0 ? .idle : .head
    }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65536 && start * 2 > buffer.count {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete request, nil when more bytes are needed. After an error the
    /// connection must be answered with the error's status and closed.
    public mutating func next() throws(HTTPParseError) -> ParsedRequest? {
        if let failed { throw failed }
        do {
            return try step()
        } catch {
            failed = error
            throw error
        }
    }

    private mutating func step() throws(HTTPParseError) -> ParsedRequest? {
        if pending == nil {
            guard let head = try parseHead() else { return nil }
            pending = head
            body = []
            chunk = .size
            trailerBytes = 0
            if !head.chunked && head.contentLength == 0 { return finish() }
            expectsContinue = head.headers["expect"]?.lowercased() == "100-continue"
        }
        guard let head = pending else { return nil }
        let done = head.chunked ? try readChunked() : readFixed(head.contentLength)
        if !done { return nil }
        return finish()
    }

    private mutating func finish() -> ParsedRequest {
        let h = pending!
        pending = nil
        expectsContinue = false
        let request = HTTPRequest(method: h.method, target: h.target, path: h.path, query: h.query,
                                  headers: h.headers, body: body, remoteAddress: remoteAddress)
        body = []
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 65536)
            start = 0
        }
        return ParsedRequest(request: request, minorVersion: h.minor, keepAlive: h.keepAlive)
    }

    // MARK: body

    private mutating func readFixed(_ length: Int) -> Bool {
        let need = length - body.count
        let take = min(need, bufferedCount)
        if take > 0 {
            body.append(contentsOf: buffer[start..<(start + take)])
            start += take
        }
        if body.count == length { expectsContinue = false; return true }
        return false
    }

    /// Finds a line (ending in LF) starting at `start`; returns its content without CRLF and the
    /// index after the LF, or nil when the line is incomplete.
    private func line(maxBytes: Int, tooLong: HTTPParseError) throws(HTTPParseError) -> (ArraySlice<UInt8>, Int)? {
        var i = start
        let end = buffer.count
        while i < end {
            if buffer[i] == 0x0A {
                var lineEnd = i
                if lineEnd > start && buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                return (buffer[start..<lineEnd], i + 1)
            }
            i += 1
            if i - start > maxBytes { throw tooLong }
        }
        return nil
    }

    private mutating func readChunked() throws(HTTPParseError) -> Bool {
        let tooLarge = HTTPParseError(413, "request body larger than \(limits.maxBodyBytes) bytes")
        while true {
            switch chunk {
            case .size:
                guard let (text, next) = try line(maxBytes: 1024, tooLong: HTTPParseError(400, "chunk size line too long")) else { return false }
                var size = 0
                var digits = 0
                var idx = text.startIndex
                while idx < text.endIndex, let v = hexValue(text[idx]) {
                    digits += 1
                    if digits > 8 { throw tooLarge }
                    size = size * 16 + v
                    idx += 1
                }
                if digits == 0 { throw HTTPParseError(400, "invalid chunk size") }
                if idx < text.endIndex {
                    // Only whitespace or a chunk extension may follow the size.
                    var rest = text[idx...]
                    while let f = rest.first, f == 0x20 || f == 0x09 { rest = rest.dropFirst() }
                    if let f = rest.first, f != 0x3B { throw HTTPParseError(400, "invalid chunk size") }
                    if rest.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
                        throw HTTPParseError(400, "invalid chunk extension")
                    }
                }
                start = next
                if size > limits.maxBodyBytes - body.count { throw tooLarge }
                expectsContinue = false
                if size == 0 { chunk = .trailer } else { chunkRemaining = size; chunk = .data }
            case .data:
                let take = min(chunkRemaining, bufferedCount)
                if take == 0 { return false }
                body.append(contentsOf: buffer[start..<(start + take)])
                start += take
                chunkRemaining -= take
                if chunkRemaining == 0 { chunk = .dataEnd }
            case .dataEnd:
                guard let (text, next) = try line(maxBytes: 2, tooLong: HTTPParseError(400, "chunk data longer than its size")) else { return false }
                if !text.isEmpty { throw HTTPParseError(400, "chunk data longer than its size") }
                start = next
                chunk = .size
            case .trailer:
                guard let (text, next) = try line(maxBytes: limits.maxHeaderBytes, tooLong: HTTPParseError(431, "trailer section too large")) else { return false }
                start = next
                trailerBytes += next - text.startIndex
                if trailerBytes > limits.maxHeaderBytes { throw HTTPParseError(431, "trailer section too large") }
                if text.isEmpty { return true }
                if text.contains(0x0D) || text.contains(0) { throw HTTPParseError(400, "invalid trailer field") }
            }
        }
    }

    // MARK: head

    private mutating func parseHead() throws(HTTPParseError) -> PendingHead? {
        // Ignore empty lines before a request line (RFC 9112 section 2.2), a few at most.
        var skipped = 0
        while start < buffer.count, buffer[start] == 0x0D || buffer[start] == 0x0A {
            if buffer[start] == 0x0D {
                if start + 1 >= buffer.count { return nil }
                if buffer[start + 1] != 0x0A { throw HTTPParseError(400, "bare CR in request") }
                start += 2
            } else {
                start += 1
            }
            skipped += 1
            if skipped > 8 { throw HTTPParseError(400, "too many empty lines before the request line") }
            scanned = 0
            sawFirstLine = false
        }
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
            return nil
        }
        // Look for the end of the head: an empty line.
        let limit = limits.maxRequestLineBytes + limits.maxHeaderBytes + 4
        var i = start + scanned
        var headEnd = -1       // index after the terminating empty line
        while i < buffer.count {
            if buffer[i] == 0x0A {
                if !sawFirstLine {
                    sawFirstLine = true
                    if i - start > limits.maxRequestLineBytes + 1 {
                        throw HTTPParseError(414, "request line longer than \(limits.maxRequestLineBytes) bytes")
                    }
                }
                // Empty line: LF LF or LF CR LF.
                if i >= start + 1 && buffer[i - 1] == 0x0A { headEnd = i + 1; break }
                if i >= start + 2 && buffer[i - 1] == 0x0D && buffer[i - 2] == 0x0A { headEnd = i + 1; break }
            }
            i += 1
        }
        if headEnd < 0 {
            // Keep the scan position so each append costs only its new bytes (the two bytes of
            // overlap are looked back at, not rescanned).
            scanned = buffer.count - start
            if !sawFirstLine && buffer.count - start > limits.maxRequestLineBytes + 1 {
                throw HTTPParseError(414, "request line longer than \(limits.maxRequestLineBytes) bytes")
            }
            if buffer.count - start > limit {
                throw HTTPParseError(431, "header section larger than \(limits.maxHeaderBytes) bytes")
            }
            return nil
        }
        sawFirstLine = false
        scanned = 0
        let headStart = start
        start = headEnd
        return try parseHeadBytes(buffer[headStart..<headEnd])
    }

    private func parseHeadBytes(_ head: ArraySlice<UInt8>) throws(HTTPParseError) -> PendingHead {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = head.startIndex
        for i in head.indices where head[i] == 0x0A {
            var end = i
            if end > lineStart && head[end - 1] == 0x0D { end -= 1 }
            lines.append(head[lineStart..<end])
            lineStart = i + 1
        }
        // The last line is the empty terminator.
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let requestLine = lines.first else { throw HTTPParseError(400, "missing request line") }
        if requestLine.count > limits.maxRequestLineBytes {
            throw HTTPParseError(414, "request line longer than \(limits.maxRequestLineBytes) bytes")
        }
        let headerBytes = head.count - (requestLine.count + 2)
        if headerBytes > limits.maxHeaderBytes {
            throw HTTPParseError(431, "header section larger than \(limits.maxHeaderBytes) bytes")
        }
        if lines.count - 1 > limits.maxHeaderCount {
            throw HTTPParseError(431, "more than \(limits.maxHeaderCount) header fields")
        }

        // Request line: method SP target SP version, single spaces.
        let parts = requestLine.split(separator: 0x20, maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw HTTPParseError(400, "malformed request line") }
        let methodBytes = parts[0], targetBytes = parts[1], versionBytes = parts[2]
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(HTTPParser.isTokenChar) else {
            throw HTTPParseError(400, "invalid method")
        }
        let minor = try HTTPParser.parseVersion(versionBytes)
        let method = String(decoding: methodBytes, as: UTF8.self)
        guard !targetBytes.isEmpty, targetBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw HTTPParseError(400, "invalid request target")
        }
        let target = String(decoding: targetBytes, as: UTF8.self)
        let (path, query) = try RequestTarget.parse(target, method: method)

        // Header fields; the ones that frame the request are collected on the way.
        var headers = HTTPHeaders()
        var hosts = 0
        var te: [String] = [], cl: [String] = [], connection: [String] = []
        for line in lines.dropFirst() {
            guard let first = line.first else { continue }
            if first == 0x20 || first == 0x09 { throw HTTPParseError(400, "obsolete line folding in header") }
            guard let colon = line.firstIndex(of: 0x3A) else { throw HTTPParseError(400, "header field without colon") }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(HTTPParser.isTokenChar) else {
                throw HTTPParseError(400, "invalid header field name")
            }
            var value = line[(colon + 1)...]
            while let f = value.first, f == 0x20 || f == 0x09 { value = value.dropFirst() }
            while let l = value.last, l == 0x20 || l == 0x09 { value = value.dropLast() }
            if value.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
                throw HTTPParseError(400, "invalid character in header field value")
            }
            let valueString = String(decoding: value, as: UTF8.self)
            if HTTPParser.equalsLower(name, "host") { hosts += 1 }
            else if HTTPParser.equalsLower(name, "content-length") { cl.append(valueString) }
            else if HTTPParser.equalsLower(name, "transfer-encoding") { te.append(valueString) }
            else if HTTPParser.equalsLower(name, "connection") { connection.append(valueString) }
            headers.add(String(decoding: name, as: UTF8.self), valueString)
        }

        // Host: exactly one for HTTP/1.1.
        if hosts > 1 { throw HTTPParseError(400, "more than one Host header") }
        if minor == 1 && hosts == 0 { throw HTTPParseError(400, "HTTP/1.1 request without Host header") }

        // Framing.
        var chunked = false
        var length = 0
        if !te.isEmpty {
            if !cl.isEmpty { throw HTTPParseError(400, "both Content-Length and Transfer-Encoding") }
            if minor == 0 { throw HTTPParseError(400, "Transfer-Encoding in an HTTP/1.0 request") }
            let codings = te.flatMap { $0.split(separator: ",") }
                .map { $0.trimmingASCII(" \t").lowercased() }
            for c in codings where c != "chunked" {
                if c.isEmpty { throw HTTPParseError(400, "empty transfer coding") }
                throw HTTPParseError(501, "transfer coding '\(c)' not supported")
            }
            guard codings.count == 1 else { throw HTTPParseError(400, "chunked applied more than once") }
            chunked = true
        } else if !cl.isEmpty {
            var value: Int? = nil
            for field in cl {
                for item in field.split(separator: ",", omittingEmptySubsequences: false) {
                    let digits = item.trimmingASCII(" \t")
                    guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                        throw HTTPParseError(400, "invalid Content-Length")
                    }
                    let trimmed = digits.drop(while: { $0 == "0" })
                    let n: Int
                    if trimmed.count > 15 { n = Int.max } else { n = Int(trimmed) ?? 0 }
                    if let v = value, v != n { throw HTTPParseError(400, "conflicting Content-Length values") }
                    value = n
                }
            }
            length = value ?? 0
            if length > limits.maxBodyBytes {
                throw HTTPParseError(413, "request body larger than \(limits.maxBodyBytes) bytes")
            }
        }

        // Persistence.
        let tokens = connection.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingASCII(" \t").lowercased() }
        let keepAlive: Bool
        if tokens.contains("close") { keepAlive = false }
        else if minor == 0 { keepAlive = tokens.contains("keep-alive") }
        else { keepAlive = true }

        return PendingHead(method: method, target: target, path: path, query: query, headers: headers,
                           minor: minor, keepAlive: keepAlive, chunked: chunked, contentLength: length)
    }

    /// `HTTP/1.0` -> 0, `HTTP/1.1` -> 1; another well-formed version is 505, anything else 400.
    static func parseVersion(_ v: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        let bytes = Array(v)
        guard bytes.count == 8, bytes.starts(with: Array("HTTP/".utf8)),
              isDigit(bytes[5]), bytes[6] == 0x2E, isDigit(bytes[7]) else {
            throw HTTPParseError(400, "malformed HTTP version")
        }
        if bytes[5] == 0x31 && bytes[7] == 0x31 { return 1 }
        if bytes[5] == 0x31 && bytes[7] == 0x30 { return 0 }
        throw HTTPParseError(505, "HTTP version not supported")
    }

    /// ASCII case-insensitive comparison of a header name with a lowercase literal.
    static func equalsLower(_ bytes: ArraySlice<UInt8>, _ lower: StaticString) -> Bool {
        guard bytes.count == lower.utf8CodeUnitCount else { return false }
        return lower.withUTF8Buffer { l in
            var i = 0
            for b in bytes {
                let folded = (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
                if folded != l[i] { return false }
                i += 1
            }
            return true
        }
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// tchar from RFC 9110 section 5.6.2.
    static func isTokenChar(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default: return false
        }
    }
}

func hexValue(_ b: UInt8) -> Int? {
    switch b {
    case 0x30...0x39: return Int(b - 0x30)
    case 0x41...0x46: return Int(b - 0x41 + 10)
    case 0x61...0x66: return Int(b - 0x61 + 10)
    default: return nil
    }
}

extension StringProtocol {
    /// Trims the given ASCII characters from both ends (no Foundation needed).
    func trimmingASCII(_ set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
