import Core
import Foundation
import HTTPServer
import Logging
import Synchronization

/// The service's HTTP front: one route table (`routes`: the result endpoints here, history,
/// alerts and metrics in `ServiceRoutes`), one access check before any handler, one error
/// shape (`APIError`), then the HTTP layer's ETag/304/gzip path. Paths outside the table and
/// `/api/` go to the static file handler. Routes placed `.inline` are answered on the event
/// loop (they read memory only); result routes (`.encoded`) there too when their body is
/// encoded already, on the worker pool when it must be encoded; the others on the worker pool.
public struct APIRouter: NonBlockingHTTPHandler {
    let store: ResultStore
    let trigger: (any ScanTrigger)?
    let auth: Authenticator
    let policies: OnceBody
    let openAPI: OpenAPIDocument
    let staticFiles: (any HTTPHandler)?
    let maxBodyBytes: Int
    /// The running service, for the routes that read history (503 without one).
    weak var runtime: ServiceRuntime?
    let table = RouteTable(APIRouter.routes + ServiceRoutes.routes)

    /// - Parameters:
    ///   - store: the results to serve.
    ///   - trigger: starts scans for `POST /api/v1/scans` (503 when nil).
    ///   - tokens: the accepted tokens; empty means open access for loopback clients.
    ///   - logger: receives refused requests (peer and reason, never the token).
    ///   - policies: the loaded rules and profiles as JSON (`{"rules": [...], "profiles": [...]}`).
    ///   - openAPI: the document served at `/api/v1/openapi.{yaml,json}`.
    ///   - staticFiles: serves everything outside `/api/` and the table (404 when nil).
    ///   - maxBodyBytes: largest request body accepted (413 above).
    ///   - allowedHosts, port: the names and port `Host` may carry in open mode (see `Authenticator`).
    ///   - runtime: the service whose history, alerts and metrics `ServiceRoutes` serve.
    public init(store: ResultStore, trigger: (any ScanTrigger)?, tokens: TokenStore, logger: Logger,
                policies: @escaping @Sendable () -> JSONValue = { ["rules": [], "profiles": []] },
                openAPI: OpenAPIDocument = .bundled, staticFiles: (any HTTPHandler)? = nil,
                maxBodyBytes: Int = ServiceConfig.Limits().maxBodyBytes,
                allowedHosts: [String] = [], port: Int? = nil, runtime: ServiceRuntime? = nil) {
        self.store = store
        self.trigger = trigger
        self.auth = Authenticator(tokens: tokens, logger: logger, allowedHosts: allowedHosts, port: port)
        self.policies = OnceBody { JSONWriter.bytes(policies()) }
        self.openAPI = openAPI
        self.staticFiles = staticFiles
        self.maxBodyBytes = maxBodyBytes
        self.runtime = runtime
    }

    /// The result, scan and document endpoints (answered from memory) and `/healthz`.
    static let routes: [Route] = [
        Route("GET", "/healthz", .inline, .open) { r, _ in r.health() },
        Route("GET", "/api/v1/summary", .encoded, .read) { r, q in try r.summary(q) },
        Route("GET", "/api/v1/report", .encoded, .read, query: ["findings"]) { r, q in try r.report(q) },
        Route("GET", "/api/v1/domains", .encoded, .read, query: ["grade", "state", "layer", "q", "sort"]) { r, q in try r.domains(q) },
        Route("GET", "/api/v1/domains/{id}", .encoded, .read, query: ["findings"]) { r, q in try r.domain(q) },
        Route("GET", "/api/v1/domains/{id}/facts", .encoded, .read) { r, q in try r.domainFacts(q) },
        Route("GET", "/api/v1/host", .encoded, .read, query: ["findings"]) { r, q in try r.host(q) },
        Route("GET", "/api/v1/findings", .encoded, .read,
              query: ["severity", "layer", "status", "target", "rule", "domain"]) { r, q in try r.findings(q) },
        Route("GET", "/api/v1/policies", .inline, .read) { r, _ in r.stored(r.policies.body) },
        Route("GET", "/api/v1/scans", .inline, .read, query: ["limit"]) { r, q in try r.scans(q) },
        Route("POST", "/api/v1/scans", .inline, .admin(action: "start scans")) { r, _ in r.startScan() },
        Route("GET", "/api/v1/scans/{id}", .inline, .read) { r, q in try r.scan(q.id) },
        Route("GET", "/api/v1/openapi.yaml", .inline, .read) { r, _ in
            APIRouter.body(r.openAPI.yaml, contentType: "application/yaml")
        },
        Route("GET", "/api/v1/openapi.json", .inline, .read) { r, _ in
            APIRouter.body(r.openAPI.json, contentType: "application/json")
        },
    ]

    /// Routes placed on the worker pool, the dashboard's files, and result bodies not encoded
    /// yet are left to `handle` there.
    public func handleInline(_ request: HTTPRequest) -> HTTPResponse? {
        let match = table.match(request)
        switch RouteTable.placement(of: match) {
        case .worker: return nil
        case .inline: return respond(request, match, mayEncode: true)
        case .encoded: return respond(request, match, mayEncode: false)
        }
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        respond(request, table.match(request), mayEncode: true) ?? APIError.internalError().response
    }

    /// Thrown by a result route asked not to encode when its body is not held.
    private struct NotEncoded: Error {}

    /// The response to `request`, which `match` routed; nil when `mayEncode` is false and the
    /// body would have to be encoded.
    private func respond(_ request: HTTPRequest, _ match: RouteTable.Match, mayEncode: Bool) -> HTTPResponse? {
        switch match {
        case .page:
            if let refusal = auth.check(request, .page) { return refusal.error.response }
            return staticFiles?.handle(request) ?? APIError.notFound("no such path: \(request.path)").response
        case .unknownAPIPath:
            if let refusal = auth.check(request, .read) { return refusal.error.response }
            return APIError.notFound("no such API path: \(request.path)").response
        case .methodNotAllowed(let allow, let access):
            if let refusal = auth.check(request, access) { return refusal.error.response }
            return APIError.methodNotAllowed(allow).response
        case .route(let route, let routeRequest):
            if let refusal = auth.check(request, route.access) { return refusal.error.response }
            // A parameter the route does not know is a mistake (`grades=F` would list every
            // domain): refused, not ignored.
            if let unknown = route.unknownParameter(in: request.query) { return unknown.response }
            if request.method != "GET" && request.method != "HEAD" && request.body.count > maxBodyBytes {
                return APIError(status: 413, code: "content_too_large",
                                message: "request body larger than \(maxBodyBytes) bytes").response
            }
            var routeRequest = routeRequest
            routeRequest.mayEncode = mayEncode
            let response: HTTPResponse
            do {
                response = try route.handler(self, routeRequest)
            } catch is NotEncoded {
                return nil
            } catch let error as APIError {
                return error.response
            } catch {
                return APIError.internalError().response
            }
            return ResponseHelpers.prepare(request: request, response: response)
        }
    }

    // MARK: result endpoints

    /// The published results; 503 with `Retry-After` before the first scan.
    private func results() throws(APIError) -> ResultSnapshot {
        guard let snapshot = store.snapshot else {
            throw APIError(status: 503, code: "no_results", message: "no scan has completed yet",
                           headers: HTTPHeaders([("Retry-After", "10")]))
        }
        return snapshot
    }

    /// A result body from the store's bounded cache, encoded on demand through `ResultsJSON`.
    /// The tag is known without the body: a client holding it gets its 304 with nothing encoded.
    private func result(_ request: RouteRequest, _ route: ResultStore.Route,
                        domainQuery: DomainQuery? = nil, findingQuery: FindingQuery? = nil) throws -> HTTPResponse {
        if let tag = store.etag(route), ResponseHelpers.ifNoneMatch(request.http, matches: tag) {
            // Result bodies may be served gzipped: the 304 varies on Accept-Encoding like the 200.
            var unchanged = ResponseHelpers.stored([], etag: tag)
            unchanged.headers.add("Vary", "Accept-Encoding")
            return unchanged
        }
        // On the event loop only what is encoded already: encoding a large report there would
        // hold up every other connection (and `/healthz`).
        if !request.mayEncode && !store.holds(route) { throw NotEncoded() }
        guard let encoded = store.body(route, make: { snapshot, stale in
            Self.encode(route, snapshot, stale: stale, domainQuery: domainQuery, findingQuery: findingQuery)
        }) else { _ = try results(); throw APIError.internalError("results missing") }
        return stored(encoded)
    }

    /// `findings=problems|all` on the report, a domain and the host (default problems).
    static func listing(_ request: RouteRequest) throws(APIError) -> FindingsListing {
        guard let raw = try request.query.oneOf("findings", FindingsListing.allCases.map(\.rawValue)) else { return .problems }
        return FindingsListing(rawValue: raw) ?? .problems
    }

    func summary(_ request: RouteRequest) throws -> HTTPResponse {
        _ = try results()
        return try result(request, .summary)
    }

    func report(_ request: RouteRequest) throws -> HTTPResponse {
        let listing = try Self.listing(request)
        _ = try results()
        return try result(request, .report(listing: listing))
    }

    func host(_ request: RouteRequest) throws -> HTTPResponse {
        let listing = try Self.listing(request)
        _ = try results()
        return try result(request, .host(listing: listing))
    }

    func domains(_ request: RouteRequest) throws -> HTTPResponse {
        // Parameters are checked before results are needed.
        let domainQuery = try DomainQuery(query: request.http.query)
        _ = try results()
        return try result(request, .domains(query: Self.canonical(request.http.query)), domainQuery: domainQuery)
    }

    func domain(_ request: RouteRequest) throws -> HTTPResponse {
        let listing = try Self.listing(request)
        let snapshot = try results()
        guard let index = snapshot.domainIndex(request.id) else { throw unknownDomain(request.id) }
        return try result(request, .domain(index, listing: listing))
    }

    func domainFacts(_ request: RouteRequest) throws -> HTTPResponse {
        let snapshot = try results()
        guard let index = snapshot.domainIndex(request.id) else { throw unknownDomain(request.id) }
        return try result(request, .domainFacts(index))
    }

    func findings(_ request: RouteRequest) throws -> HTTPResponse {
        let findingQuery = try FindingQuery(query: request.http.query)
        _ = try results()
        return try result(request, .findings(query: Self.canonical(request.http.query)), findingQuery: findingQuery)
    }

    /// The query as a cache key: parameters sorted by name.
    static func canonical(_ query: [String: String]) -> String {
        query.sorted { $0.key < $1.key }.map { $0.key + "=" + $0.value }.joined(separator: "&")
    }

    /// Encodes a result body from the compact snapshot (through `ResultsJSON`).
    static func encode(_ route: ResultStore.Route, _ snapshot: ResultSnapshot, stale: Bool,
                       domainQuery: DomainQuery?, findingQuery: FindingQuery?) -> [UInt8] {
        let rules = snapshot.summaryReport.rules
        switch route {
        case .summary:
            return ResultsJSON.summary(snapshot.summaryReport, stale: stale)
        case .domains:
            if let domainQuery, !domainQuery.isDefault {
                return JSONWriter.bytes(ResultSnapshot.domainsList(domainQuery.apply(snapshot.domainSummaries)))
            }
            return JSONWriter.bytes(ResultSnapshot.domainsList(DomainQuery.sorted(snapshot.domainSummaries,
                                                                                 by: .init(key: .name, descending: false))))
        // Facts are copied from their encoded bytes, never decoded to be encoded again.
        case .domain(let index, let listing):
            return ResultsJSON.domain(snapshot.summaryReport.domains[index], rules: rules, listing: listing,
                                      facts: snapshot.facts.domains[index])
        case .domainFacts(let index):
            return snapshot.facts.domains[index]
        case .host(let listing):
            return ResultsJSON.host(snapshot.summaryReport.host, rules: rules, listing: listing, facts: snapshot.facts.host)
        case .report(let listing):
            return ResultsJSON.report(snapshot.summaryReport, listing: listing, facts: snapshot.facts)
        case .findings:
            let items = findingQuery.map { $0.apply(snapshot) } ?? snapshot.findings.map { ($0.finding, $0.target) }
            return ResultSnapshot.findingsList(items, rules: rules)
        }
    }

    private func unknownDomain(_ id: String) -> APIError {
        .notFound("no domain with UUID or name '\(id)'")
    }

    // MARK: scans

    func scans(_ request: RouteRequest) throws(APIError) -> HTTPResponse {
        let limit = try request.query.int("limit", default: 20, in: 1...100)
        let records = store.recentRecords(limit: limit)
        return Self.json(200, ["scans": .array(records.map(\.json)), "count": .int(records.count)], cache: "no-store")
    }

    func scan(_ id: String) throws(APIError) -> HTTPResponse {
        guard let record = store.record(id: id) else { throw .notFound("no scan with id '\(id)'") }
        return Self.json(200, record.json, cache: "no-store")
    }

    func startScan() -> HTTPResponse {
        guard let trigger else {
            return APIError(status: 503, code: "scans_unavailable", message: "this service does not run scans").response
        }
        let record = trigger.requestScan()
        var response = Self.json(202, record.json, cache: "no-store")
        response.headers.add("Location", "/api/v1/scans/\(record.id)")
        return response
    }

    /// Liveness and whether the results can be trusted: `status` is `degraded` with `reasons`
    /// when libvirt is disconnected, the results are stale, or scans are not reaching history.
    /// The HTTP status stays 200 either way (the process is alive and serving): probes that
    /// restart on failure must not restart a service that is waiting for libvirt or disk space.
    func health() -> HTTPResponse {
        let snapshot = store.snapshot
        var lastScan: JSONValue = .null
        if let snapshot {
            let age = max(0, Int(store.clock().timeIntervalSince(snapshot.publishedAt).rounded(.down)))
            lastScan = ["at": .string(snapshot.summaryReport.finishedAt), "ageSeconds": .int(age),
                        "id": .string(snapshot.summaryReport.scanId)]
        }
        let connected = store.isLibvirtConnected, stale = store.isStale
        let history = store.historyState
        var reasons: [String] = []
        // Before the first scan ends the connection is not known yet: starting is not degraded.
        // A failed scan marks the store stale (also before any result exists).
        if !connected && (snapshot != nil || stale) { reasons.append("libvirt is disconnected") }
        if stale && snapshot != nil { reasons.append("results are stale (the last scan could not read libvirt)") }
        if let problem = history.problem {
            reasons.append("history write failed, \(history.pending) scan\(history.pending == 1 ? "" : "s") waiting to be written: \(problem)")
        }
        let body: JSONValue = [
            "status": .string(reasons.isEmpty ? "ok" : "degraded"),
            "reasons": .array(reasons.map(JSONValue.string)),
            "libvirt": ["connected": .bool(connected)],
            "lastScan": lastScan,
            "stale": .bool(stale),
            "scanning": .bool(store.activeRecord() != nil),
            "history": ["pendingScans": .int(history.pending), "error": .from(history.problem)],
        ]
        return Self.json(200, body, cache: "no-store")
    }

    // MARK: responses

    /// A body kept encoded, with the tag computed when it was encoded (not hashed per request).
    func stored(_ body: EncodedBody) -> HTTPResponse {
        ResponseHelpers.stored(body.bytes, etag: body.etag)
    }

    /// A cacheable body without a stored tag (the HTTP layer computes it).
    static func body(_ bytes: [UInt8], contentType: String) -> HTTPResponse {
        HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", contentType), ("Cache-Control", "no-cache"),
                                                         ("X-Content-Type-Options", "nosniff")]), body: bytes)
    }

    static func json(_ status: Int, _ value: JSONValue, cache: String = "no-cache") -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "application/json"), ("Cache-Control", cache),
                                                           ("X-Content-Type-Options", "nosniff")]),
                     body: JSONWriter.bytes(value))
    }
}

/// A body that never changes while the service runs (the loaded policies), encoded and tagged on
/// first use instead of on every request.
final class OnceBody: Sendable {
    private let make: @Sendable () -> [UInt8]
    private let encoded = Mutex<EncodedBody?>(nil)

    init(_ make: @escaping @Sendable () -> [UInt8]) { self.make = make }

    var body: EncodedBody {
        encoded.withLock { held in
            if let held { return held }
            let fresh = EncodedBody(bytes: make())
            held = fresh
            return fresh
        }
    }
}
