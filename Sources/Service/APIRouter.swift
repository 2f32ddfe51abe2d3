import Core
import Foundation
import HTTPServer
import Logging

/// The HTTP API: a pure function from request to response over the result store. Paths outside
/// `/api/` and `/healthz` go to the static file handler.
public struct APIRouter: HTTPHandler {
    let store: ResultStore
    let trigger: (any ScanTrigger)?
    let auth: Authenticator
    let policies: @Sendable () -> JSONValue
    let openAPI: OpenAPIDocument
    let staticFiles: (any HTTPHandler)?
    let maxBodyBytes: Int

    /// - Parameters:
    ///   - store: the results to serve.
    ///   - trigger: starts scans for `POST /api/v1/scans` (503 when nil).
    ///   - tokens: the accepted tokens; empty means open access for loopback clients.
    ///   - logger: receives refused requests (peer and reason, never the token).
    ///   - policies: the loaded rules and profiles as JSON (`{"rules": [...], "profiles": [...]}`).
    ///   - openAPI: the document served at `/api/v1/openapi.{yaml,json}`.
    ///   - staticFiles: serves everything outside `/api/` and `/healthz` (404 when nil).
    ///   - maxBodyBytes: largest request body accepted (413 above).
    ///   - allowedHosts, port: the names and port `Host` may carry in open mode (see `Authenticator`).
    public init(store: ResultStore, trigger: (any ScanTrigger)?, tokens: TokenStore, logger: Logger,
                policies: @escaping @Sendable () -> JSONValue = { ["rules": [], "profiles": []] },
                openAPI: OpenAPIDocument = .bundled, staticFiles: (any HTTPHandler)? = nil,
                maxBodyBytes: Int = ServiceConfig.Limits().maxBodyBytes,
                allowedHosts: [String] = [], port: Int? = nil) {
        self.store = store
        self.trigger = trigger
        self.auth = Authenticator(tokens: tokens, logger: logger, allowedHosts: allowedHosts, port: port)
        self.policies = policies
        self.openAPI = openAPI
        self.staticFiles = staticFiles
        self.maxBodyBytes = maxBodyBytes
    }

    enum Route: Equatable {
        case summary, report, domains, domain(String), domainFacts(String), host, findings, policies
        case scans, scan(String), openAPIYAML, openAPIJSON

        var methods: [String] { self == .scans ? ["GET", "POST"] : ["GET"] }

        init?(path: String) {
            guard path.hasPrefix("/api/v1/") else { return nil }
            let parts = path.dropFirst("/api/v1/".count).split(separator: "/", omittingEmptySubsequences: false)
                .map(String.init)
            switch parts.count {
            case 1:
                switch parts[0] {
                case "summary": self = .summary
                case "report": self = .report
                case "domains": self = .domains
                case "host": self = .host
                case "findings": self = .findings
                case "policies": self = .policies
                case "scans": self = .scans
                case "openapi.yaml": self = .openAPIYAML
                case "openapi.json": self = .openAPIJSON
                default: return nil
                }
            case 2 where parts[0] == "domains" && !parts[1].isEmpty: self = .domain(parts[1])
            case 2 where parts[0] == "scans" && !parts[1].isEmpty: self = .scan(parts[1])
            case 3 where parts[0] == "domains" && !parts[1].isEmpty && parts[2] == "facts": self = .domainFacts(parts[1])
            default: return nil
            }
        }
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        if request.path == "/healthz" {
            guard request.method == "GET" else { return Self.methodNotAllowed(["GET"]) }
            return health()
        }
        guard request.path == "/api" || request.path.hasPrefix("/api/") else {
            if auth.tokens.isEmpty, let reason = auth.openModeRefusal(request) {
                return Self.refusal(auth.forbidden(request, reason: reason))
            }
            return staticFiles?.handle(request)
                ?? Self.error(404, "not_found", "no such path: \(request.path)")
        }
        let role: TokenRole
        switch auth.role(of: request) {
        case .success(let r): role = r
        case .failure(let failure): return Self.refusal(failure)
        }
        guard let route = Route(path: request.path) else {
            return Self.error(404, "not_found", "no such API path: \(request.path)")
        }
        guard route.methods.contains(request.method) else { return Self.methodNotAllowed(route.methods) }
        if request.method == "POST" {
            guard role.allows(.admin) else {
                return Self.refusal(auth.forbidden(request, reason: "token role '\(role.rawValue)' cannot start scans"))
            }
            if auth.tokens.isEmpty, let reason = auth.crossSiteRefusal(request) {
                return Self.refusal(auth.forbidden(request, reason: reason))
            }
            guard request.body.count <= maxBodyBytes else {
                return Self.error(413, "content_too_large", "request body larger than \(maxBodyBytes) bytes")
            }
        }
        do {
            return try dispatch(route, request)
        } catch let error as QueryError {
            return Self.error(400, "bad_request", error.message, details: ["parameter": .string(error.parameter)])
        } catch {
            return Self.error(500, "internal_error", "internal error")
        }
    }

    private func dispatch(_ route: Route, _ request: HTTPRequest) throws -> HTTPResponse {
        switch route {
        case .openAPIYAML:
            return cached(request, openAPI.yaml, contentType: "application/yaml")
        case .openAPIJSON:
            return cached(request, openAPI.json)
        case .policies:
            return cached(request, EncodedBody(policies()))
        case .scans:
            if request.method == "POST" { return startScan() }
            let limit = try Self.limit(request.query)
            let records = store.recentRecords(limit: limit)
            return Self.json(200, ["scans": .array(records.map(\.json)), "count": .int(records.count)],
                             cache: "no-store")
        case .scan(let id):
            guard let record = store.record(id: id) else {
                return Self.error(404, "not_found", "no scan with id '\(id)'")
            }
            return Self.json(200, record.json, cache: "no-store")
        default:
            break
        }
        // Result endpoints: parameters are checked before results are needed.
        let domainQuery = route == .domains ? try DomainQuery(query: request.query) : nil
        let findingQuery = route == .findings ? try FindingQuery(query: request.query) : nil
        let listing = try Self.listing(route, request.query) ?? .problems
        guard let snapshot = store.snapshot else {
            var headers = HTTPHeaders()
            headers.add("Retry-After", "10")
            return Self.error(503, "no_results", "no scan has completed yet", headers: headers)
        }
        let body: ResultStore.Route
        switch route {
        case .summary:
            body = .summary
        case .domains:
            body = .domains(query: Self.canonical(request.query))
        case .domain(let id):
            guard let index = snapshot.domainIndex(id) else { return unknownDomain(id) }
            body = .domain(index, listing: listing)
        case .domainFacts(let id):
            guard let index = snapshot.domainIndex(id) else { return unknownDomain(id) }
            body = .domainFacts(index)
        case .host:
            body = .host(listing: listing)
        case .report:
            body = .report(listing: listing)
        case .findings:
            body = .findings(query: Self.canonical(request.query))
        default:
            return Self.error(500, "internal_error", "unrouted path")
        }
        // The tag is known without the body: a client holding it gets its 304 with nothing encoded.
        if let tag = store.etag(body), let header = request.headers["If-None-Match"],
           Conditional.matches(ifNoneMatch: header, etag: tag) {
            return cached(request, [], etag: tag)
        }
        guard let encoded = store.body(body, make: { snapshot, stale in
            Self.encode(body, snapshot, stale: stale, domainQuery: domainQuery, findingQuery: findingQuery)
        }) else {
            return Self.error(503, "no_results", "no scan has completed yet")
        }
        return cached(request, encoded)
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
        case .domain(let index, let listing):
            return ResultsJSON.domain(snapshot.domain(index), rules: rules, listing: listing)
        case .domainFacts(let index):
            return snapshot.domainFacts[index]
        case .host(let listing):
            return ResultsJSON.host(snapshot.host, rules: rules, listing: listing)
        case .report(let listing):
            return ResultsJSON.report(snapshot.report, listing: listing)
        case .findings:
            let items = findingQuery.map { $0.apply(snapshot) } ?? snapshot.findings.map { ($0.finding, $0.target) }
            return ResultSnapshot.findingsList(items, rules: rules)
        }
    }

    /// `findings=problems|all` on the report, a domain and the host (default problems); nil for
    /// other routes. Another value is a 400.
    static func listing(_ route: Route, _ query: [String: String]) throws -> FindingsListing? {
        switch route {
        case .report, .domain, .host: break
        default: return nil
        }
        guard let raw = query["findings"] else { return .problems }
        guard let listing = FindingsListing(rawValue: raw) else {
            throw QueryError(parameter: "findings", message: "'findings' has unknown value '\(raw)'; allowed: problems, all")
        }
        return listing
    }

    private func startScan() -> HTTPResponse {
        guard let trigger else {
            return Self.error(503, "scans_unavailable", "this service does not run scans")
        }
        let record = trigger.requestScan()
        var headers = Self.jsonHeaders(cache: "no-store")
        headers.add("Location", "/api/v1/scans/\(record.id)")
        return HTTPResponse(status: 202, headers: headers, body: Array(JSONWriter.string(record.json).utf8))
    }

    /// Liveness and whether the results can be trusted: `status` is `degraded` with `reasons`
    /// when libvirt is disconnected, the results are stale, or scans are not reaching history.
    /// The HTTP status stays 200 either way (the process is alive and serving): probes that
    /// restart on failure must not restart a service that is waiting for libvirt or disk space.
    private func health() -> HTTPResponse {
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

    private func unknownDomain(_ id: String) -> HTTPResponse {
        Self.error(404, "not_found", "no domain with UUID or name '\(id)'")
    }

    private func cached(_ request: HTTPRequest, _ body: EncodedBody, contentType: String = "application/json") -> HTTPResponse {
        cached(request, body.bytes, etag: body.etag, contentType: contentType)
    }

    private func cached(_ request: HTTPRequest, _ bytes: [UInt8], etag: String? = nil,
                        contentType: String = "application/json") -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", contentType)
        headers.add("Cache-Control", "no-cache")
        headers.add("X-Content-Type-Options", "nosniff")
        return Conditional.respond(to: request, body: bytes, etag: etag ?? Conditional.etag(for: bytes), headers: headers)
    }

    static func limit(_ query: [String: String]) throws -> Int {
        guard let raw = query["limit"] else { return 20 }
        guard let n = Int(raw), (1...100).contains(n) else {
            throw QueryError(parameter: "limit", message: "'limit' must be an integer from 1 to 100, got '\(raw)'")
        }
        return n
    }

    // MARK: responses

    static func jsonHeaders(cache: String) -> HTTPHeaders {
        HTTPHeaders([("Content-Type", "application/json"), ("Cache-Control", cache), ("X-Content-Type-Options", "nosniff")])
    }

    static func json(_ status: Int, _ value: JSONValue, cache: String = "no-cache") -> HTTPResponse {
        HTTPResponse(status: status, headers: jsonHeaders(cache: cache), body: Array(JSONWriter.string(value).utf8))
    }

    /// `{"error": {"code": ..., "message": ...}}`.
    static func error(_ status: Int, _ code: String, _ message: String, details: [String: JSONValue] = [:],
                      headers extra: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var error: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        error.merge(details) { a, _ in a }
        var response = json(status, ["error": .object(error)], cache: "no-store")
        for field in extra { response.headers.replace(field.name, field.value) }
        return response
    }

    static func methodNotAllowed(_ methods: [String]) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Allow", methods.joined(separator: ", "))
        return error(405, "method_not_allowed", "allowed methods: \(methods.joined(separator: ", "))", headers: headers)
    }

    static func refusal(_ failure: Authenticator.Failure) -> HTTPResponse {
        switch failure {
        case .unauthenticated(let reason):
            var headers = HTTPHeaders()
            headers.add("WWW-Authenticate", "Bearer realm=\"virtaudit\"")
            return error(401, "unauthorized", "authentication required: \(reason)", headers: headers)
        case .forbidden(let reason):
            return error(403, "forbidden", reason)
        case .badRequest(let reason):
            return error(400, "bad_request", reason)
        }
    }
}
