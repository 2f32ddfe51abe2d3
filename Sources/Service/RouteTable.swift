import HTTPServer

/// Where a route's handler runs.
enum Placement: Sendable {
    /// On the event-loop thread: answered from memory, never blocks.
    case inline
    /// On the worker pool: reads SQLite or the disk.
    case worker
    /// A result body: on the event loop when it is encoded already (or the answer is a 304 or
    /// an error), otherwise on the worker pool, which encodes it.
    case encoded
}

/// Who may call a route. `Authenticator.check` enforces it before any handler runs.
enum Access: Sendable, Equatable {
    /// Anyone, without credentials or a `Host` check (liveness probes).
    case open
    /// The dashboard's files: no token (they hold no data), but in open mode the `Host` check.
    case page
    /// A read or admin token; in open mode a loopback client that names this service in `Host`.
    case read
    /// An admin token (`action` says what the read role cannot do); in open mode, also a
    /// request a page cannot send cross-site.
    case admin(action: String)

    /// Open below page below read below admin.
    var strictness: Int {
        switch self {
        case .open: return 0
        case .page: return 1
        case .read: return 2
        case .admin: return 3
        }
    }
}

/// A path with `{name}` segments, each matching one non-empty segment.
struct PathPattern: Sendable, Equatable, CustomStringConvertible {
    let description: String
    /// Literal segments; nil where a parameter goes.
    private let segments: [String?]

    init(_ text: String) {
        description = text
        segments = text.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            $0.hasPrefix("{") && $0.hasSuffix("}") ? nil : String($0)
        }
    }

    /// The parameter values when `path` matches, in order.
    func match(_ path: String) -> [String]? {
        guard path.hasPrefix("/") else { return nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard parts.count == segments.count else { return nil }
        var parameters: [String] = []
        for (part, segment) in zip(parts, segments) {
            if let segment {
                guard part == segment else { return nil }
            } else {
                guard !part.isEmpty else { return nil }
                parameters.append(String(part))
            }
        }
        return parameters
    }
}

/// A request as a route's handler gets it: the path's parameters and the query parser.
struct RouteRequest: Sendable {
    let http: HTTPRequest
    let parameters: [String]
    var query: QueryParser { QueryParser(http.query) }
    /// False on the event loop: a result route whose body is not encoded yet hands the request
    /// to a worker instead of encoding it there.
    var mayEncode = true
    /// The `{id}` of the path.
    var id: String { parameters.first ?? "" }
}

/// One entry of the service's route table.
struct Route: Sendable {
    let method: String
    let pattern: PathPattern
    let placement: Placement
    let access: Access
    /// The query parameters the route takes (as documented in `Docs/openapi.yaml`); any other
    /// is a 400 before the handler runs.
    let query: Set<String>
    /// Errors thrown as `APIError` become their response; any other error a 500.
    let handler: @Sendable (APIRouter, RouteRequest) throws -> HTTPResponse

    init(_ method: String, _ pattern: String, _ placement: Placement, _ access: Access, query: Set<String> = [],
         _ handler: @escaping @Sendable (APIRouter, RouteRequest) throws -> HTTPResponse) {
        self.method = method
        self.pattern = PathPattern(pattern)
        self.placement = placement
        self.access = access
        self.query = query
        self.handler = handler
    }

    /// A 400 naming the first query parameter the route does not take, nil when all are known.
    func unknownParameter(in query: [String: String]) -> APIError? {
        guard let name = query.keys.sorted().first(where: { !self.query.contains($0) }) else { return nil }
        let allowed = self.query.isEmpty ? "this path takes no query parameters"
            : "allowed: " + self.query.sorted().joined(separator: ", ")
        return .badParameter(name, "unknown query parameter '\(name)'; \(allowed)")
    }
}

/// Every path the service answers besides the dashboard's files, and what a request's path
/// and method select: a route, a 405 (with `Allow`) for a known path, a 404 inside `/api/`,
/// or the static files.
struct RouteTable: Sendable {
    let routes: [Route]

    enum Match {
        case route(Route, RouteRequest)
        /// The path exists, the method does not: `allow` for the 405, `access` checked first.
        case methodNotAllowed(allow: [String], access: Access)
        /// Inside `/api/` but no route: a 404 once the client is authenticated.
        case unknownAPIPath
        /// Everything else: the dashboard's files.
        case page
    }

    init(_ routes: [Route]) { self.routes = routes }

    func match(_ request: HTTPRequest) -> Match {
        var allow: [String] = []
        var access: Access?
        for route in routes {
            guard let parameters = route.pattern.match(request.path) else { continue }
            if route.method == request.method {
                return .route(route, RouteRequest(http: request, parameters: parameters))
            }
            if !allow.contains(route.method) { allow.append(route.method) }
            // The least demanding access of the path's routes decides who may learn the 405.
            if route.access.strictness < access?.strictness ?? .max { access = route.access }
        }
        if let access { return .methodNotAllowed(allow: allow, access: access) }
        if request.path == "/api" || request.path.hasPrefix("/api/") { return .unknownAPIPath }
        return .page
    }

    /// Where a request is answered: a route's placement; the dashboard's files read the disk.
    func placement(of request: HTTPRequest) -> Placement { Self.placement(of: match(request)) }

    static func placement(of match: Match) -> Placement {
        switch match {
        case .route(let route, _): return route.placement
        case .methodNotAllowed, .unknownAPIPath: return .inline
        case .page: return .worker
        }
    }

    /// The documented paths (`{id}` patterns) with their methods.
    var paths: [String: Set<String>] {
        routes.reduce(into: [:]) { $0[$1.pattern.description, default: []].insert($1.method) }
    }
}
