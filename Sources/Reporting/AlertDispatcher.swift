import Core
import Foundation
import History
import Synchronization

/// Queues alerts in the durable outbox (one entry per sink) and delivers what is due, retrying
/// with exponential backoff until delivered or expired. Nothing is dropped on failure.
///
/// Each sink is delivered on its own (`deliverDue(sink:)`, one loop per sink in the service):
/// a sink that hangs until its timeout delays only its own entries, never another sink's.
/// When the outbox itself cannot be written (the disk is full), alerts are held in memory
/// (bounded) and delivered from there, so the alert that says history is failing still goes out.
public struct AlertDispatcher: Sendable {
    public let store: HistoryStore
    public let sinks: [any AlertSink]
    /// First retry after `baseDelay` seconds, doubling up to `maxDelay`.
    public let baseDelay: TimeInterval
    public let maxDelay: TimeInterval
    /// The retry schedule (`baseDelay` doubling to `maxDelay`, no jitter).
    public let backoff: Backoff
    /// How long an undelivered alert keeps being retried.
    public let ttl: TimeInterval
    /// The same alert key is not queued again within this window.
    public let dedupeWindow: TimeInterval
    let held = HeldAlerts()

    /// Most alerts held in memory while the outbox cannot be written; the oldest go first.
    public static let heldLimit = 1_000

    public init(store: HistoryStore, sinks: [any AlertSink], baseDelay: TimeInterval = 5, maxDelay: TimeInterval = 600,
                ttl: TimeInterval = 86_400, dedupeWindow: TimeInterval = 86_400) {
        self.store = store
        self.sinks = sinks
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        // A cap below the first delay makes every delay the cap.
        backoff = Backoff(initial: min(baseDelay, maxDelay), maximum: maxDelay, multiplier: 2, jitter: 0)
        self.ttl = ttl
        self.dedupeWindow = dedupeWindow
    }

    /// Queues alerts; returns how many entries were added (de-duplicated ones are not). An
    /// alert the outbox cannot take is held in memory and still delivered; the error is
    /// rethrown after every alert was queued or held.
    @discardableResult
    public func enqueue(_ alerts: [Alert], now: Date = Date()) throws(HistoryError) -> Int {
        var added = 0
        var failure: HistoryError?
        for alert in alerts {
            for sink in sinks {
                do throws(HistoryError) {
                    if try store.enqueueAlert(key: alert.key, sink: sink.name, payload: alert.payload, now: now,
                                              dedupeWindow: dedupeWindow, ttl: ttl) != nil {
                        added += 1
                    }
                } catch {
                    failure = failure ?? error
                    if held.add(.init(key: alert.key, sink: sink.name, payload: alert.payload, attempts: 0,
                                      nextAttempt: now, expires: now.addingTimeInterval(ttl)), limit: Self.heldLimit) {
                        added += 1
                    }
                }
            }
        }
        if let failure { throw failure }
        return added
    }

    /// Alerts held in memory because the outbox could not take them.
    public var heldCount: Int { held.count }

    public func retryDelay(afterAttempts attempts: Int) -> TimeInterval {
        backoff.delay(attempt: max(0, attempts))
    }

    public struct Outcome: Sendable, Hashable {
        public var delivered = 0
        public var failed = 0
    }

    /// Delivers every due entry once, sinks one after another (tests and one-shot use; the
    /// service runs `deliverDue(sink:)` per sink concurrently).
    public func deliverDue(now: Date = Date()) async -> Outcome {
        var outcome = Outcome()
        for sink in sinks {
            let o = await deliverDue(sink: sink.name, now: now)
            outcome.delivered += o.delivered
            outcome.failed += o.failed
        }
        // Entries for sinks no longer configured fail with a reason (and are retried later).
        if let due = try? store.dueAlerts(now: now) {
            let names = Set(sinks.map(\.name))
            for entry in due where !names.contains(entry.sink) {
                try? store.markFailed(id: entry.id, error: "no sink named \(entry.sink) is configured",
                                      retryAt: now.addingTimeInterval(retryDelay(afterAttempts: entry.attempts)))
                outcome.failed += 1
            }
        }
        return outcome
    }

    /// Delivers the due entries of one sink once, held ones first.
    public func deliverDue(sink name: String, now: Date = Date()) async -> Outcome {
        var outcome = Outcome()
        guard let sink = sinks.first(where: { $0.name == name }) else { return outcome }
        for entry in held.due(sink: name, now: now) {
            do {
                try await sink.deliver(Array(JSONWriter.data(entry.payload)))
                held.remove(entry)
                outcome.delivered += 1
            } catch {
                held.retry(entry, at: Date().addingTimeInterval(retryDelay(afterAttempts: entry.attempts)))
                outcome.failed += 1
            }
        }
        guard let due = try? store.dueAlerts(now: now, sink: name) else { return outcome }
        for entry in due {
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

/// Alerts the outbox could not take, kept in memory until delivered or expired.
final class HeldAlerts: Sendable {
    struct Entry: Sendable, Hashable {
        var key: String
        var sink: String
        var payload: JSONValue
        var attempts: Int
        var nextAttempt: Date
        var expires: Date
    }
    private let entries = Mutex<[Entry]>([])

    var count: Int { entries.withLock { $0.count } }

    /// Adds an entry unless one with the same key and sink is held; returns whether it was added.
    func add(_ entry: Entry, limit: Int) -> Bool {
        entries.withLock { list in
            if list.contains(where: { $0.key == entry.key && $0.sink == entry.sink }) { return false }
            list.append(entry)
            if list.count > limit { list.removeFirst(list.count - limit) }
            return true
        }
    }

    func due(sink: String, now: Date) -> [Entry] {
        entries.withLock { list in
            list.removeAll { $0.expires <= now }
            return list.filter { $0.sink == sink && $0.nextAttempt <= now }
        }
    }

    func remove(_ entry: Entry) {
        entries.withLock { list in list.removeAll { $0.key == entry.key && $0.sink == entry.sink } }
    }

    func retry(_ entry: Entry, at date: Date) {
        entries.withLock { list in
            if let i = list.firstIndex(where: { $0.key == entry.key && $0.sink == entry.sink }) {
                list[i].attempts += 1
                list[i].nextAttempt = date
            }
        }
    }
}
