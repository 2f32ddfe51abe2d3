import Core
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where alerts go.
public protocol AlertSink: Sendable {
    var name: String { get }
    /// Delivers one alert body (JSON). Throws when the receiver did not accept it.
    func deliver(_ body: [UInt8]) async throws
}

public struct DeliveryError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// POSTs the alert JSON to a URL, signed with HMAC-SHA256 over "<timestamp>.<body>" with a
/// shared secret (`X-Virtaudit-Signature: sha256=<hex>`, `X-Virtaudit-Timestamp`). Any 2xx is
/// delivered; anything else (or a timeout) is retried by the dispatcher.
public struct WebhookSink: AlertSink {
    public let name: String
    public let url: URL
    public let secret: String?
    public let timeout: TimeInterval

    public init(name: String = "webhook", url: URL, secret: String?, timeout: TimeInterval = 10) {
        self.name = name
        self.url = url
        self.secret = secret
        self.timeout = timeout
    }

    public func deliver(_ body: [UInt8]) async throws {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("virtaudit", forHTTPHeaderField: "User-Agent")
        let ts = Int(Date().timeIntervalSince1970)
        request.setValue(String(ts), forHTTPHeaderField: "X-Virtaudit-Timestamp")
        if let s = secret {
            request.setValue(Signature.webhook(secret: s, timestamp: ts, body: body), forHTTPHeaderField: "X-Virtaudit-Signature")
        }
        try await AlertmanagerSink.post(request, timeout: timeout)
    }
}

/// Runs a command with the alert JSON on standard input; exit status 0 is delivered. The
/// command runs in its own process group (see `AlertCommand`): when it runs longer than
/// `timeout` the group gets SIGTERM, then SIGKILL `grace` seconds later, and it is reaped;
/// processes it leaves behind are ended when it exits.
public struct CommandSink: AlertSink {
    public let name: String
    public let argv: [String]
    public let timeout: TimeInterval
    public let grace: TimeInterval

    public init(name: String = "command", argv: [String], timeout: TimeInterval = 30, grace: TimeInterval = 2) {
        self.name = name
        self.argv = argv
        self.timeout = timeout
        self.grace = grace
    }

    public func deliver(_ body: [UInt8]) async throws {
        let exe = argv.first ?? ""
        let r = try await AlertCommand.run(argv: argv, input: body, timeout: timeout, grace: grace)
        if r.timedOut {
            throw DeliveryError(description: "\(exe) timed out after \(Int(timeout)) s (process group killed)")
        }
        if !r.succeeded {
            let stderr = String(decoding: r.stderrHead.prefix(300), as: UTF8.self).trimmingWhitespace()
            let how = r.exitStatus.map { "exited \($0)" } ?? "killed by signal \(r.signal ?? 0)"
            throw DeliveryError(description: "\(exe) \(how)\(stderr.isEmpty ? "" : ": " + stderr)")
        }
    }
}
