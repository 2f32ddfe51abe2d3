import Core
import Foundation
import HTTPServer
import Logging

/// Decides who a request comes from: `Authorization: Bearer <token>` against the token store.
/// With no tokens configured, loopback clients get full access (the service refuses to bind
/// anything else in that case), but only as themselves, not as a web page in a browser on the
/// host: the `Host` must be a loopback name or a configured one (DNS rebinding), and a
/// state-changing request must be one a page cannot send cross-site without permission (a
/// JSON body or an `X-Requested-With` header) from no other origin (CSRF). Failures are logged
/// with the peer and a reason, never the token.
public struct Authenticator: Sendable {
    public enum Failure: Error, Sendable, Equatable {
        /// 401: no or unusable credentials.
        case unauthenticated(reason: String)
        /// 403: credentials fine, role insufficient (or a remote peer, a foreign `Host` or a
        /// cross-site request in open mode).
        case forbidden(reason: String)
        /// 400: ambiguous credentials (more than one `Authorization` field).
        case badRequest(reason: String)

        /// The error answered for the refusal.
        public var error: APIError {
            switch self {
            case .unauthenticated(let reason):
                return APIError(status: 401, code: "unauthorized", message: "authentication required: \(reason)",
                                headers: HTTPHeaders([("WWW-Authenticate", "Bearer realm=\"virtaudit\"")]))
            case .forbidden(let reason):
                return APIError(status: 403, code: "forbidden", message: reason)
            case .badRequest(let reason):
                return APIError(status: 400, code: "bad_request", message: reason)
            }
        }
    }

    public let tokens: TokenStore
    let logger: Logger
    /// Host names accepted in `Host` and `Origin` in open mode besides the loopback ones
    /// (lowercased, without port).
    let allowedHosts: Set<String>
    /// The port the service listens on; a `Host`/`Origin` naming another port is refused
    /// (nil: any port).
    let port: Int?

    /// - Parameters:
    ///   - allowedHosts: names (besides `localhost`, `127.x.x.x` and `[::1]`) clients may use
    ///     to reach the service in open mode (the `allowed_hosts` setting).
    ///   - port: the listening port that `Host` and `Origin` must name (when they name one).
    public init(tokens: TokenStore, logger: Logger, allowedHosts: [String] = [], port: Int? = nil) {
        self.tokens = tokens
        self.logger = logger
        self.allowedHosts = Set(allowedHosts.map { Self.normalizedName($0) })
        self.port = port
    }

    /// The one access check, run before any handler: nil when `request` may use a route
    /// that requires `access`, else the (logged) refusal.
    func check(_ request: HTTPRequest, _ access: Access) -> Failure? {
        switch access {
        case .open:
            return nil
        case .page:
            guard tokens.isEmpty, let reason = openModeRefusal(request) else { return nil }
            return fail(request, .forbidden(reason: reason)).failureValue
        case .read, .admin:
            let role: TokenRole
            switch self.role(of: request) {
            case .success(let r): role = r
            case .failure(let failure): return failure
            }
            guard case .admin(let action) = access else { return nil }
            guard role.allows(.admin) else {
                return fail(request, .forbidden(reason: "token role '\(role.rawValue)' cannot \(action)")).failureValue
            }
            if tokens.isEmpty, let reason = crossSiteRefusal(request) {
                return fail(request, .forbidden(reason: reason)).failureValue
            }
            return nil
        }
    }

    /// The role the request carries, or why it has none.
    public func role(of request: HTTPRequest) -> Result<TokenRole, Failure> {
        let credentials = request.headers.values("Authorization")
        if credentials.count > 1 {
            return fail(request, .badRequest(reason: "more than one Authorization header"))
        }
        guard let header = credentials.first else {
            if tokens.isEmpty {
                guard request.isLoopback else {
                    return fail(request, .forbidden(reason: "remote client and no tokens configured"))
                }
                if let reason = openModeRefusal(request) { return fail(request, .forbidden(reason: reason)) }
                return .success(.admin)
            }
            return fail(request, .unauthenticated(reason: "missing credentials"))
        }
        guard let token = Self.bearerToken(header) else {
            return fail(request, .unauthenticated(reason: "malformed Authorization header"))
        }
        guard let entry = tokens.match(token: token) else {
            return fail(request, .unauthenticated(reason: "unknown token"))
        }
        return .success(entry.role)
    }

    /// Why an open-mode (no tokens) request is refused, nil when it is fine: a `Host` that is
    /// not a loopback or configured name with the service's port (DNS rebinding: a page from
    /// another site whose name now resolves to 127.0.0.1).
    public func openModeRefusal(_ request: HTTPRequest) -> String? {
        if let host = request.headers["Host"], !isAllowedAuthority(host) {
            return "Host '\(host)' is not a name of this service (allowed_hosts)"
        }
        return nil
    }

    /// Why a state-changing open-mode request is refused, nil when it is fine: it is a
    /// "simple" request any page may send cross-site (no JSON `Content-Type`, no
    /// `X-Requested-With`), or its `Origin` or `Sec-Fetch-Site` name another site (CSRF).
    public func crossSiteRefusal(_ request: HTTPRequest) -> String? {
        let contentType = request.headers["Content-Type"]?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        let json = contentType == "application/json" || (contentType.hasPrefix("application/") && contentType.hasSuffix("+json"))
        if !json && !request.headers.contains("X-Requested-With") {
            return "cross-site request refused: a state-changing request needs Content-Type: application/json or an X-Requested-With header"
        }
        if let origin = request.headers["Origin"], !isAllowedOrigin(origin) {
            return "cross-site request refused: Origin '\(origin)' is not this service"
        }
        if let site = request.headers["Sec-Fetch-Site"]?.lowercased(), site != "same-origin" && site != "none" {
            return "cross-site request refused: Sec-Fetch-Site '\(site)'"
        }
        return nil
    }

    /// `host[:port]` names this service: a loopback name or literal, or a configured name,
    /// and no port or the service's.
    func isAllowedAuthority(_ authority: String) -> Bool {
        guard let (name, port) = Self.splitAuthority(authority) else { return false }
        if let port, let own = self.port, own != 0, port != own { return false }
        return Self.isLoopbackName(name) || allowedHosts.contains(name)
    }

    /// `scheme://host[:port]` of this service (`null` and other schemes are refused).
    func isAllowedOrigin(_ origin: String) -> Bool {
        let lower = origin.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            let rest = lower.dropFirst(scheme.count)
            guard !rest.contains("/") else { return false }
            return isAllowedAuthority(String(rest))
        }
        return false
    }

    /// Name (lowercased, brackets kept for IPv6, trailing dot dropped) and port of `host[:port]`.
    static func splitAuthority(_ authority: String) -> (String, Int?)? {
        let a = authority.trimmingCharacters(in: .whitespaces).lowercased()
        var name: Substring
        var portText: Substring? = nil
        if a.hasPrefix("[") {
            guard let close = a.firstIndex(of: "]") else { return nil }
            name = a[...close]
            let rest = a[a.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
        } else {
            let parts = a.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return nil }
            name = parts[0]
            if parts.count == 2 { portText = parts[1] }
        }
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty else { return nil }
        var port: Int? = nil
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p), portText.allSatisfy(\.isASCII) else { return nil }
            port = p
        }
        return (String(name), port)
    }

    static func normalizedName(_ name: String) -> String {
        var n = name.trimmingCharacters(in: .whitespaces).lowercased()
        if n.hasSuffix(".") { n.removeLast() }
        if n.contains(":") && !n.hasPrefix("[") { n = "[" + n + "]" }
        return n
    }

    /// `localhost`, or a loopback address (`IPAddress.isLoopback`), IPv6 in brackets
    /// (`127.0.0.1`, `[::1]`, `[::ffff:127.0.0.1]`).
    static func isLoopbackName(_ name: String) -> Bool {
        if name == "localhost" { return true }
        if name.hasPrefix("[") && name.hasSuffix("]") {
            let inner = String(name.dropFirst().dropLast())
            return inner.contains(":") && IPAddress.isLoopback(inner)
        }
        return !name.contains(":") && IPAddress.isLoopback(name)
    }

    /// The token of `Bearer <token>` (scheme case-insensitive), nil when malformed.
    static func bearerToken(_ header: String) -> String? {
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = String(parts[1])
        guard token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return nil }
        return token
    }

    private func fail(_ request: HTTPRequest, _ failure: Failure) -> Result<TokenRole, Failure> {
        let reason: String
        switch failure {
        case .unauthenticated(let r), .forbidden(let r), .badRequest(let r): reason = r
        }
        logger.warning("request refused", metadata: [
            "remote": .string(request.remoteAddress),
            "reason": .string(reason),
            "method": .string(request.method),
            "path": .string(request.path),
        ])
        return .failure(failure)
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}
