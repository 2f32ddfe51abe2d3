import Core
import Foundation
import History
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// POSTs a batch of alerts (a JSON array, see `AlertmanagerAlert`) to one Alertmanager's
/// `/api/v2/alerts`. An HA pair is two sinks: each gets every batch. Any 2xx is delivered;
/// anything else (or a timeout) is retried by the dispatcher. `https://` URLs are verified
/// against the system's trust store.
public struct AlertmanagerSink: AlertSink {
    public let name: String
    /// The Alertmanager base URL (e.g. `http://am1:9093`); the API path is appended.
    public let url: URL
    public let bearerToken: String?
    public let timeout: TimeInterval

    public init(name: String, url: URL, bearerToken: String? = nil, timeout: TimeInterval = 10) {
        self.name = name
        self.url = url
        self.bearerToken = bearerToken
        self.timeout = timeout
    }

    /// `<base>/api/v2/alerts`, keeping a path prefix (Alertmanager behind `--web.route-prefix`).
    public var endpoint: URL {
        var s = url.absoluteString
        while s.hasSuffix("/") { s.removeLast() }
        return URL(string: s + "/api/v2/alerts")!
    }

    public func deliver(_ body: [UInt8]) async throws {
        var request = URLRequest(url: endpoint, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("virtaudit", forHTTPHeaderField: "User-Agent")
        if let t = bearerToken { request.setValue("Bearer " + t, forHTTPHeaderField: "Authorization") }
        try await Self.post(request, timeout: timeout)
    }

    /// Sends one request in an ephemeral session (no cookies, no cache); any 2xx is success,
    /// anything else a `DeliveryError` with the status and the start of the answer. Shared
    /// with `WebhookSink`.
    static func post(_ request: URLRequest, timeout: TimeInterval) async throws {
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: config)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw DeliveryError(description: "no HTTP response") }
        guard (200..<300).contains(http.statusCode) else {
            let text = String(decoding: data.prefix(300), as: UTF8.self).trimmingWhitespace()
            throw DeliveryError(description: "\(request.url?.absoluteString ?? "") answered HTTP \(http.statusCode)\(text.isEmpty ? "" : ": " + text)")
        }
    }
}

extension AlertDispatcher {
    /// Queues one Alertmanager batch for every sink of this dispatcher, merged with what is
    /// still pending for it (`HistoryStore.enqueueBatch`). A batch the outbox cannot take is
    /// held in memory and still delivered; the error is rethrown after.
    public func enqueueBatch(_ alerts: [AlertmanagerAlert], now: Date = Date()) throws(HistoryError) {
        let payload = JSONValue.array(alerts.map(\.json))
        let key = "alertmanager:" + Timestamp.format(now) + ":" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        var failure: HistoryError?
        for sink in sinks {
            do throws(HistoryError) {
                try store.enqueueBatch(key: key, sink: sink.name, payload: payload, now: now, ttl: ttl,
                                       merge: AlertmanagerState.merge)
            } catch {
                failure = failure ?? error
                _ = held.add(.init(key: key, sink: sink.name, payload: payload, attempts: 0, nextAttempt: now,
                                   expires: now.addingTimeInterval(ttl)), limit: Self.heldLimit)
            }
        }
        if let failure { throw failure }
    }
}
