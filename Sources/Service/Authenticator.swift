import HTTPServer
import Logging

/// Decides who a request comes from: `Authorization: Bearer <token>` against the token store.
/// With no tokens configured, loopback clients get full access (the service refuses to bind
/// anything else in that case). Failures are logged with the peer and a reason, never the token.
public struct Authenticator: Sendable {
    public enum Failure: Error, Sendable, Equatable {
        /// 401: no or unusable credentials.
        case unauthenticated(reason: String)
        /// 403: credentials fine, role insufficient (or a remote peer in open mode).
        case forbidden(reason: String)
    }

    public let tokens: TokenStore
    let logger: Logger

    public init(tokens: TokenStore, logger: Logger) {
        self.tokens = tokens
        self.logger = logger
    }

    /// The role the request carries, or why it has none.
    public func role(of request: HTTPRequest) -> Result<TokenRole, Failure> {
        guard let header = request.headers["Authorization"] else {
            if tokens.isEmpty {
                if request.isLoopback { return .success(.admin) }
                return fail(request, .forbidden(reason: "remote client and no tokens configured"))
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

    /// Logs and returns a 403 for a request whose role is insufficient.
    func forbidden(_ request: HTTPRequest, reason: String) -> Failure {
        fail(request, .forbidden(reason: reason)).failureValue ?? .forbidden(reason: reason)
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
        case .unauthenticated(let r), .forbidden(let r): reason = r
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
