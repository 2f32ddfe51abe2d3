import Core
import Glibc

/// Serves the files under a root directory (the dashboard's `web/`).
///
/// Containment, in layers: the decoded path may not contain `..` or `.` segments, hidden
/// (dot) names, backslashes or NUL; a target with an encoded slash or backslash (`%2f`,
/// `%5c`) is refused before decoding can turn it into a separator; the file is then resolved
/// with `realpath` and must lie under the root's own `realpath` (so a symlink out of the root
/// is a 404); only regular files are served. Percent-decoding happens once, in the parser:
/// `%252e` stays the literal name `%2e`.
public struct StaticFiles: HTTPHandler {
    public let root: String
    /// The root's resolved path, nil when the root does not exist.
    private let realRoot: String?
    /// Files larger than this are not served.
    public var maxFileBytes: Int

    public init(root: String, maxFileBytes: Int = 32 << 20) {
        self.root = root
        self.realRoot = StaticFiles.realpath(root)
        self.maxFileBytes = maxFileBytes
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return APIError.methodNotAllowed(["GET", "HEAD"]).response
        }
        guard let file = resolve(request) else {
            return APIError.notFound("not found").response
        }
        let bytes: [UInt8]
        do { bytes = try FileReader.read(file, limit: maxFileBytes) } catch {
            return APIError.notFound("not found").response
        }
        let type = StaticFiles.contentType(for: file)
        var response = HTTPResponse(status: 200, contentType: type, body: bytes)
        response.headers.add("Cache-Control", "no-cache")
        response.headers.add("X-Content-Type-Options", "nosniff")
        if type.hasPrefix("text/html") {
            response.headers.add("Content-Security-Policy", "default-src 'self'")
            response.headers.add("Referrer-Policy", "no-referrer")
            response.headers.add("X-Frame-Options", "DENY")
        }
        return ResponseHelpers.prepare(request: request, response: response)
    }

    /// The file a request names, or nil when it is outside the root, hidden, not a regular
    /// file or missing.
    public func resolve(_ request: HTTPRequest) -> String? {
        guard let realRoot else { return nil }
        let rawPath = request.target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        let lowerRaw = rawPath.lowercased()
        if lowerRaw.contains("%2f") || lowerRaw.contains("%5c") || lowerRaw.contains("%00") { return nil }
        let path = request.path
        guard path.hasPrefix("/"), !path.contains("\\"), !path.utf8.contains(0) else { return nil }
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == ".." || segment == "." || segment.hasPrefix(".") { return nil }
            segments.append(segment)
        }
        var candidate = realRoot + (segments.isEmpty ? "" : "/" + segments.joined(separator: "/"))
        if path.hasSuffix("/") || segments.isEmpty { candidate += "/index.html" }
        guard var resolved = contained(candidate, in: realRoot) else { return nil }
        if StaticFiles.fileType(resolved) == S_IFDIR {
            guard let index = contained(resolved + "/index.html", in: realRoot) else { return nil }
            resolved = index
        }
        return StaticFiles.fileType(resolved) == S_IFREG ? resolved : nil
    }

    private func contained(_ path: String, in root: String) -> String? {
        guard let real = StaticFiles.realpath(path) else { return nil }
        return real.hasPrefix(root == "/" ? "/" : root + "/") ? real : nil
    }

    static func realpath(_ path: String) -> String? {
        guard let p = Glibc.realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(validatingCString: p)
    }

    static func fileType(_ path: String) -> mode_t? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return st.st_mode & S_IFMT
    }

    /// The Content-Type for a file name's extension.
    public static func contentType(for path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: ".") else { return "application/octet-stream" }
        switch name[name.index(after: dot)...].lowercased() {
        case "html", "htm": return "text/html; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "json", "map": return "application/json"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "ico": return "image/x-icon"
        case "woff2": return "font/woff2"
        case "txt": return "text/plain; charset=utf-8"
        case "webmanifest": return "application/manifest+json"
        default: return "application/octet-stream"
        }
    }
}
