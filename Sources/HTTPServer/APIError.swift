import Core

/// An error answered with a JSON body, `{"error": {"code": ..., "message": ..., <details>}}`:
/// the one error shape of the server (parser refusals, static files) and of the API routes.
/// The body is written by `JSONWriter`, like every other JSON the service sends.
public struct APIError: Error, Sendable, Equatable {
    public var status: Int
    /// Machine-readable, one of the `Error.code` values of `Docs/openapi.yaml`.
    public var code: String
    public var message: String
    /// Further members of the `error` object (`parameter` for a rejected query parameter);
    /// they never replace `code` or `message`.
    public var details: [String: JSONValue]
    /// Header fields the response carries (`Allow`, `WWW-Authenticate`, `Retry-After`).
    public var headers: HTTPHeaders

    /// - Parameter code: nil for the usual code of `status` (see `defaultCode`).
    public init(status: Int, code: String? = nil, message: String, details: [String: JSONValue] = [:],
                headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.code = code ?? Self.defaultCode(status)
        self.message = message
        self.details = details
        self.headers = headers
    }

    /// 400 for a query parameter the endpoint does not accept, naming it in `parameter`.
    public static func badParameter(_ name: String, _ message: String) -> APIError {
        APIError(status: 400, code: "bad_request", message: message, details: ["parameter": .string(name)])
    }

    public static func notFound(_ message: String) -> APIError {
        APIError(status: 404, code: "not_found", message: message)
    }

    /// 405 with the `Allow` field listing what the path accepts.
    public static func methodNotAllowed(_ methods: [String]) -> APIError {
        let list = methods.joined(separator: ", ")
        return APIError(status: 405, code: "method_not_allowed", message: "allowed methods: \(list)",
                        headers: HTTPHeaders([("Allow", list)]))
    }

    public static func internalError(_ message: String = "internal error") -> APIError {
        APIError(status: 500, code: "internal_error", message: message)
    }

    /// The JSON body.
    public var body: [UInt8] {
        var error = details
        error["code"] = .string(code)
        error["message"] = .string(message)
        return JSONWriter.bytes(["error": .object(error)])
    }

    /// The response: the JSON body, never cached, never sniffed, plus `headers`.
    public var response: HTTPResponse {
        var fields = HTTPHeaders([("Content-Type", "application/json"), ("Cache-Control", "no-store"),
                                  ("X-Content-Type-Options", "nosniff")])
        for field in headers { fields.replace(field.name, field.value) }
        return HTTPResponse(status: status, headers: fields, body: body)
    }

    /// The code an error of `status` carries when the caller names none.
    public static func defaultCode(_ status: Int) -> String {
        switch status {
        case 400: return "bad_request"
        case 401: return "unauthorized"
        case 403: return "forbidden"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 408: return "request_timeout"
        case 413: return "content_too_large"
        case 414: return "uri_too_long"
        case 431: return "header_fields_too_large"
        case 500: return "internal_error"
        case 501: return "not_implemented"
        case 503: return "service_unavailable"
        case 505: return "http_version_not_supported"
        default: return status >= 500 ? "server_error" : "client_error"
        }
    }
}
