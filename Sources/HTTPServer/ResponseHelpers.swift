import Glibc
import Synchronization

/// The one ETag/304/gzip path, applied by the API routes and `StaticFiles` through `prepare`:
/// ETags with `If-None-Match` (304), and gzip when the client accepts it. One hash makes the
/// tags (`etag(for:)`); a response that already carries a strong ETag (see `stored`) is not
/// hashed again.
///
/// Order matters: `prepare` runs `conditional` first (the ETag is the hash of the identity
/// body), then `compressIfAccepted`, which turns a strong ETag weak when it compresses (the
/// gzip bytes are another representation); `If-None-Match` uses the weak comparison, so a
/// client holding either validator gets its 304.
public enum ResponseHelpers {
    /// Types worth compressing.
    public static func isCompressible(contentType: String?) -> Bool {
        // The API's own type, without the allocations of the general path.
        if let contentType, HTTPHeaders.sameName(contentType, "application/json") { return true }
        guard let ct = contentType?.split(separator: ";").first?.trimmingASCII(" \t").lowercased() else { return false }
        if ct.hasPrefix("text/") { return true }
        switch ct {
        case "application/json", "application/javascript", "application/xml", "image/svg+xml",
             "application/manifest+json", "application/problem+json", "application/x-ndjson":
            return true
        default:
            return ct.hasSuffix("+json") || ct.hasSuffix("+xml")
        }
    }

    /// A strong ETag from a fast hash of the body: `"<length>-<hash>"` in hex. The hash is a
    /// 64-bit multiply/xor-shift over 8-byte words with a murmur3 finalizer: not cryptographic,
    /// fast enough to run per response, and the length is part of the tag.
    public static func etag(for body: [UInt8]) -> String {
        "\"" + String(body.count, radix: 16) + "-" + String(hash64(body), radix: 16) + "\""
    }

    static func hash64(_ body: [UInt8]) -> UInt64 {
        let k: UInt64 = 0x9E37_79B9_7F4A_7C15
        // Four independent lanes over 32-byte blocks (the multiplies overlap), then one lane.
        var a: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(body.count)
        var b: UInt64 = 0x8422_2325_CBF2_9CE4
        var c: UInt64 = 0x1B87_3593_CC9E_2D51
        var d: UInt64 = 0x2D51_1B87_3593_CC9E
        var h: UInt64 = 0
        body.withUnsafeBytes { raw in
            var i = 0
            let n = raw.count
            while i + 32 <= n {
                a = (a ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* k; a ^= a >> 29
                b = (b ^ raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)) &* k; b ^= b >> 29
                c = (c ^ raw.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self)) &* k; c ^= c >> 29
                d = (d ^ raw.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self)) &* k; d ^= d >> 29
                i += 32
            }
            h = a ^ (b &* 3) ^ (c &* 5) ^ (d &* 7)
            while i + 8 <= n {
                h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* k
                h ^= h >> 29
                i += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(raw[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* k
        }
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }

    /// The entity tags of an `If-None-Match` value; `["*"]` for the wildcard.
    public static func entityTags(_ value: String) -> [String] {
        var tags: [String] = []
        var rest = Substring(value)
        while true {
            while let f = rest.first, f == " " || f == "\t" || f == "," { rest = rest.dropFirst() }
            if rest.isEmpty { break }
            if rest.hasPrefix("*") { tags.append("*"); rest = rest.dropFirst(); continue }
            var weak = false
            if rest.hasPrefix("W/") { weak = true; rest = rest.dropFirst(2) }
            guard rest.first == "\"" else {
                // Not a quoted tag: skip to the next comma.
                if let comma = rest.firstIndex(of: ",") { rest = rest[comma...] } else { break }
                continue
            }
            let body = rest.dropFirst()
            guard let close = body.firstIndex(of: "\"") else { break }
            tags.append((weak ? "W/" : "") + "\"" + body[..<close] + "\"")
            rest = body[body.index(after: close)...]
        }
        return tags
    }

    /// Weak comparison (RFC 9110 section 8.8.3.2): equal opaque tags, either may be weak.
    public static func weakMatch(_ a: String, _ b: String) -> Bool {
        func opaque(_ t: String) -> Substring { t.hasPrefix("W/") ? t.dropFirst(2) : Substring(t) }
        return opaque(a) == opaque(b)
    }

    /// True when the request's `If-None-Match` (a list, `*`, weak tags) names `tag`: the
    /// request already holds that representation.
    public static func ifNoneMatch(_ request: HTTPRequest, matches tag: String) -> Bool {
        let conditions = request.headers.values("if-none-match")
        guard !conditions.isEmpty else { return false }
        return conditions.flatMap(entityTags).contains(where: { $0 == "*" || weakMatch($0, tag) })
    }

    /// Adds an ETag to a successful GET/HEAD response (unless it has one) and answers
    /// `304 Not Modified` when `If-None-Match` matches it (a list, `*`, weak tags).
    public static func conditional(request: HTTPRequest, response: HTTPResponse) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD", response.status == 200 else { return response }
        var response = response
        let tag: String
        if let existing = response.headers["etag"] { tag = existing } else {
            tag = etag(for: response.body)
            response.headers.add("ETag", tag)
        }
        guard ifNoneMatch(request, matches: tag) else { return response }
        var headers = HTTPHeaders()
        for f in response.headers {
            switch f.name.lowercased() {
            case "etag", "cache-control", "vary", "content-location", "expires", "last-modified",
                 "x-content-type-options":
                headers.add(f.name, f.value)
            default: break
            }
        }
        return HTTPResponse(status: 304, headers: headers, body: [])
    }

    /// The q-value the `Accept-Encoding` header gives `gzip` (0 when refused). A missing header
    /// means no preference: gzip is not used.
    public static func gzipQuality(acceptEncoding: String?) -> Double {
        guard let value = acceptEncoding else { return 0 }
        var gzip: Double? = nil
        var star: Double? = nil
        for item in value.split(separator: ",") {
            let parts = item.split(separator: ";")
            guard let coding = parts.first?.trimmingASCII(" \t").lowercased(), !coding.isEmpty else { continue }
            var q = 1.0
            for param in parts.dropFirst() {
                let kv = param.split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0].trimmingASCII(" \t").lowercased() == "q" {
                    q = Double(kv[1].trimmingASCII(" \t")) ?? 0
                    if !(0...1).contains(q) { q = 0 }
                }
            }
            switch coding {
            case "gzip", "x-gzip": gzip = max(gzip ?? 0, q)
            case "*": star = q
            default: break
            }
        }
        return gzip ?? star ?? 0
    }

    /// Gzips a successful response when the request accepts gzip, the body has at least
    /// `minimumBytes` and its type is compressible. Adds `Vary: Accept-Encoding` whenever the
    /// response could have been compressed, so caches keep the variants apart.
    public static func compressIfAccepted(request: HTTPRequest, response: HTTPResponse,
                                          minimumBytes: Int = 1024) -> HTTPResponse {
        guard mayCompress(response, minimumBytes: minimumBytes) else { return response }
        var response = response
        if !varies(response) { response.headers.add("Vary", "Accept-Encoding") }
        guard request.headers.contains("accept-encoding"),
              gzipQuality(acceptEncoding: request.headers.values("accept-encoding").joined(separator: ",")
                            .nilIfEmpty) > 0
        else { return response }
        // The gzip of a body is kept by the body's identity (its strong ETag, or a hash, and
        // its length), whatever target or query string asked for it.
        if let key = gzipKey(response, allowHashing: response.body.count < inlineGzipBytes || !LoopThread.isCurrent),
           let hit = GzipCache.shared.get(key) {
            return applyGzip(response, hit)
        }
        if response.body.count >= inlineGzipBytes && LoopThread.isCurrent {
            // Not on the event loop: the server finishes this response on a worker.
            response.deferredGzip = true
            return response
        }
        return finishGzip(response)
    }

    /// Whether `compressIfAccepted` could gzip this response for a client that accepts it.
    static func mayCompress(_ response: HTTPResponse, minimumBytes: Int = 1024) -> Bool {
        (200..<300).contains(response.status) && response.status != 204 && response.status != 206
            && response.headers["content-encoding"] == nil && response.body.count >= minimumBytes
            && isCompressible(contentType: response.headers["content-type"])
    }

    /// The response already says it varies by `Accept-Encoding` (or by everything).
    private static func varies(_ response: HTTPResponse) -> Bool {
        guard response.headers.contains("vary") else { return false }
        let vary = response.headers.values("vary").joined(separator: ",").lowercased()
        return vary.contains("accept-encoding") || vary.contains("*")
    }

    /// Bodies at least this large are never compressed on an event-loop thread.
    static let inlineGzipBytes = 32 * 1024

    /// The gzip cache key of a response body: its strong ETag and length, or (when allowed)
    /// a hash of the bytes.
    static func gzipKey(_ response: HTTPResponse, allowHashing: Bool) -> GzipCache.Key? {
        if let tag = response.headers["etag"], !tag.hasPrefix("W/") {
            return GzipCache.Key(etag: tag, length: response.body.count)
        }
        guard allowHashing else { return nil }
        return GzipCache.Key(etag: "#" + String(hash64(response.body), radix: 16), length: response.body.count)
    }

    /// Compresses a response `compressIfAccepted` marked (through the cache: each body is
    /// compressed once, concurrent requests for it wait for that one encoding).
    static func finishGzip(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        response.deferredGzip = false
        let compressed: [UInt8]?
        if let key = gzipKey(response, allowHashing: true) {
            compressed = GzipCache.shared.encoding(of: response.body, key: key)
        } else {
            compressed = HTTPCompression.gzip(response.body)
        }
        guard let compressed else { return response }
        return applyGzip(response, compressed)
    }

    private static func applyGzip(_ response: HTTPResponse, _ compressed: [UInt8]) -> HTTPResponse {
        guard compressed.count < response.body.count else { return response }
        var response = response
        response.body = compressed
        response.headers.add("Content-Encoding", "gzip")
        if let tag = response.headers["etag"], !tag.hasPrefix("W/") {
            response.headers.replace("ETag", "W/" + tag)
        }
        return response
    }

    /// `conditional` then `compressIfAccepted`: the one ETag/304/gzip path, what every GET
    /// endpoint (the API routes, static files) goes through. A 304 carries the `Vary` the 200
    /// would have carried.
    public static func prepare(request: HTTPRequest, response: HTTPResponse) -> HTTPResponse {
        var checked = conditional(request: request, response: response)
        guard checked.status == 304 else { return compressIfAccepted(request: request, response: checked) }
        if mayCompress(response) && !varies(checked) { checked.headers.add("Vary", "Accept-Encoding") }
        return checked
    }

    /// The hook for bodies kept encoded (the service's result bodies): a 200 whose strong
    /// `etag` was computed once, with `etag(for:)`, when the body was encoded. `conditional`
    /// answers `If-None-Match` from it and the gzip cache keys on it: neither hashes the body
    /// again.
    public static func stored(_ body: [UInt8], etag: String, contentType: String = "application/json",
                              cacheControl: String = "no-cache") -> HTTPResponse {
        HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", contentType), ("Cache-Control", cacheControl),
                                                        ("X-Content-Type-Options", "nosniff"), ("ETag", etag)]),
                     body: body)
    }
}

/// Gzip encodings of recently served bodies, keyed by the body's identity (strong ETag or
/// hash, and length): one encoding per body, shared by every target and query string that
/// serves it. Bounded (entries and bytes; the oldest go first), shared by all threads; a body
/// being compressed is compressed once while other requests for it wait.
final class GzipCache: @unchecked Sendable {
    struct Key: Hashable, Sendable {
        let etag: String
        let length: Int
    }

    static let shared = GzipCache(maxEntries: 64, maxBytes: 16 << 20)

    private var mutex = pthread_mutex_t()
    private var cond = pthread_cond_t()
    private var map: [Key: [UInt8]] = [:]
    private var order: [Key] = []
    private var bytes = 0
    private var inProgress: Set<Key> = []
    let maxEntries: Int
    let maxBytes: Int

    init(maxEntries: Int, maxBytes: Int) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&cond, nil)
    }

    deinit {
        pthread_cond_destroy(&cond)
        pthread_mutex_destroy(&mutex)
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    func get(_ key: Key) -> [UInt8]? { locked { map[key] } }

    func put(_ key: Key, _ value: [UInt8]) { locked { store(key, value) } }

    /// The cached gzip of `body`, compressed now (once) when missing.
    func encoding(of body: [UInt8], key: Key) -> [UInt8]? {
        pthread_mutex_lock(&mutex)
        while true {
            if let hit = map[key] { pthread_mutex_unlock(&mutex); return hit }
            if !inProgress.contains(key) { break }
            pthread_cond_wait(&cond, &mutex)
        }
        inProgress.insert(key)
        pthread_mutex_unlock(&mutex)
        let fresh = HTTPCompression.gzip(body)
        pthread_mutex_lock(&mutex)
        inProgress.remove(key)
        if let fresh { store(key, fresh) }
        pthread_cond_broadcast(&cond)
        pthread_mutex_unlock(&mutex)
        return fresh
    }

    /// Caller holds the mutex.
    private func store(_ key: Key, _ value: [UInt8]) {
        guard value.count <= maxBytes else { return }
        if let old = map.updateValue(value, forKey: key) {
            bytes -= old.count
        } else {
            order.append(key)
        }
        bytes += value.count
        while order.count > maxEntries || bytes > maxBytes, !order.isEmpty {
            let oldest = order.removeFirst()
            if let v = map.removeValue(forKey: oldest) { bytes -= v.count }
        }
    }

    var count: Int { locked { map.count } }
}

/// Marks the server's event-loop threads, so work that must not run there (compressing a
/// large body) can tell.
enum LoopThread {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    static func markCurrent() { pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1)) }

    static var isCurrent: Bool { pthread_getspecific(key) != nil }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
