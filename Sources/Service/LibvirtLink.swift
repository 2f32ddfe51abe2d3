import Core
import Foundation
import Inventory
import Synchronization

/// The service's libvirt connection and the one owner of its health: whether libvirt is
/// reachable, whether the published results are stale, since when libvirt has been down and when
/// the next attempt may be made. Every change goes through this type (scans report success or
/// failure, the event monitor reports losing its connection); everyone else reads `health`.
///
/// The connection is opened on demand, dropped when a call fails, and reopened on
/// `Backoff.libvirtLink` (1 s doubling to 60 s) so an absent libvirtd is not hammered.
public final class LibvirtLink: Sendable {
    public let uri: String

    /// What the rest of the service reads.
    public struct Health: Sendable, Equatable {
        /// libvirt answered the last scan (false before the first one).
        public var connected = false
        /// The published results may be outdated: the last scan failed or the event connection dropped.
        public var stale = false
        /// Since when libvirt has been unreachable (nil while connected).
        public var downSince: Date?
        public var lastError: String?
    }

    private struct State {
        var connection: LibvirtConnection?
        var failures = 0
        var nextAttempt = Date.distantPast
        var health = Health()
    }
    private let state = Mutex(State())
    private let open: @Sendable (String) throws -> LibvirtConnection
    private let backoff: Backoff
    private let onChange: (@Sendable (Health) -> Void)?

    /// - Parameter onChange: called with the new health whenever `connected` or `stale`
    ///   changes, in order (under the link's lock: it must not call back into the link).
    public init(uri: String, backoff: Backoff = .libvirtLink,
                open: @escaping @Sendable (String) throws -> LibvirtConnection = { try LibvirtConnection(uri: $0) },
                onChange: (@Sendable (Health) -> Void)? = nil) {
        self.uri = uri
        self.open = open
        self.backoff = backoff
        self.onChange = onChange
    }

    public struct Unavailable: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The open connection, opening one when none is open and the backoff allows it. Opening
    /// happens outside the lock: a slow libvirtd never blocks readers of `health`.
    public func connection(now: Date = Date()) throws -> LibvirtConnection {
        let existing = try state.withLock { s -> LibvirtConnection? in
            if let c = s.connection, c.isAlive { return c }
            if let c = s.connection { c.close(); s.connection = nil; s.health.downSince = s.health.downSince ?? now }
            guard now >= s.nextAttempt else {
                throw Unavailable(description: "libvirt at \(uri) unreachable (\(s.health.lastError ?? "not connected")); next attempt in \(Int(s.nextAttempt.timeIntervalSince(now).rounded(.up))) s")
            }
            return nil
        }
        if let existing { return existing }
        do {
            let c = try open(uri)
            state.withLock { s in
                s.connection?.close()
                s.connection = c
                s.failures = 0
            }
            return c
        } catch {
            state.withLock { s in
                s.failures += 1
                s.nextAttempt = now.addingTimeInterval(backoff.delay(attempt: s.failures - 1))
                s.health.downSince = s.health.downSince ?? now
                s.health.lastError = "\(error)"
            }
            throw Unavailable(description: "\(error)")
        }
    }

    /// A scan read libvirt completely: connected, results fresh.
    public func scanSucceeded(now: Date = Date()) {
        update { s in
            s.health.connected = true
            s.health.stale = false
            s.health.downSince = nil
            s.health.lastError = nil
        }
    }

    /// A scan failed: the connection is dropped (the next `connection()` reopens it, on the
    /// backoff), the results are stale and libvirt counts as disconnected.
    public func scanFailed(_ error: any Error, now: Date = Date()) {
        update { s in
            s.connection?.close()
            s.connection = nil
            s.health.connected = false
            s.health.stale = true
            s.health.downSince = s.health.downSince ?? now
            s.health.lastError = "\(error)"
        }
    }

    /// The event connection dropped: what the results say may have changed unseen.
    public func eventsLost(reason: String, now: Date = Date()) {
        update { s in
            s.health.connected = false
            s.health.stale = true
            s.health.downSince = s.health.downSince ?? now
            s.health.lastError = reason
        }
    }

    public var health: Health { state.withLock { $0.health } }

    /// True when a full rescan should be tried now: libvirt is down, the results are stale or the
    /// connection died, and the backoff allows an attempt.
    public func reconnectDue(now: Date = Date()) -> Bool {
        state.withLock { s in
            let alive = s.connection?.isAlive ?? false
            guard !alive || !s.health.connected || s.health.stale else { return false }
            return s.connection != nil || now >= s.nextAttempt
        }
    }

    /// When the next connection attempt may be made (nil while a connection is open).
    public var retryAt: Date? { state.withLock { $0.connection == nil ? $0.nextAttempt : nil } }

    private func update(_ change: (inout State) -> Void) {
        state.withLock { s in
            let before = s.health
            change(&s)
            if before.connected != s.health.connected || before.stale != s.health.stale { onChange?(s.health) }
        }
    }
}
