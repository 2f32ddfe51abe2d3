import Core
import Foundation
import History

/// Queues alerts in the durable outbox (one entry per sink) and delivers what is due, retrying
/// with exponential backoff until delivered or expired. Nothing is dropped on failure.
public struct AlertDispatcher: Sendable {
    public let store: HistoryStore
    public let sinks: [any AlertSink]
    /// First retry after `baseDelay` seconds, doubling up to `maxDelay`.
    public let baseDelay: TimeInterval
    public let maxDelay: TimeInterval
    /// How long an undelivered alert keeps being retried.
    public let ttl: TimeInterval
    /// The same alert key is not queued again within this window.
    public let dedupeWindow: TimeInterval

    public init(store: HistoryStore, sinks: [any AlertSink], baseDelay: TimeInterval = 5, maxDelay: TimeInterval = 600,
                ttl: TimeInterval = 86_400, dedupeWindow: TimeInterval = 86_400) {
        self.store = store
        self.sinks = sinks
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.ttl = ttl
        self.dedupeWindow = dedupeWindow
    }

    /// Queues alerts; returns how many entries were added (de-duplicated ones are not).
    @discardableResult
    public func enqueue(_ alerts: [Alert], now: Date = Date()) throws(HistoryError) -> Int {
        var added = 0
        for alert in alerts {
            for sink in sinks {
                if try store.enqueueAlert(key: alert.key, sink: sink.name, payload: alert.payload, now: now,
                                          dedupeWindow: dedupeWindow, ttl: ttl) != nil {
                    added += 1
                }
            }
        }
        return added
    }

    public func retryDelay(afterAttempts attempts: Int) -> TimeInterval {
        min(maxDelay, baseDelay * pow(2, Double(max(0, attempts))))
    }

    public struct Outcome: Sendable, Hashable {
        public var delivered = 0
        public var failed = 0
    }

    /// Delivers every due entry once.
    public func deliverDue(now: Date = Date()) async -> Outcome {
        var outcome = Outcome()
        guard let due = try? store.dueAlerts(now: now) else { return outcome }
        let byName = Dictionary(sinks.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for entry in due {
            guard let sink = byName[entry.sink] else {
                try? store.markFailed(id: entry.id, error: "no sink named \(entry.sink) is configured",
                                      retryAt: now.addingTimeInterval(retryDelay(afterAttempts: entry.attempts)))
                outcome.failed += 1
                continue
            }
            do {
                try await sink.deliver(Array(JSONWriter.data(entry.payload)))
                try? store.markDelivered(id: entry.id)
                outcome.delivered += 1
            } catch {
                try? store.markFailed(id: entry.id, error: "\(error)",
                                      retryAt: Date().addingTimeInterval(retryDelay(afterAttempts: entry.attempts)))
                outcome.failed += 1
            }
        }
        return outcome
    }
}
