import Core
import Foundation
import Inventory
import Synchronization

/// The service's libvirt connection: opened on demand, dropped when a call fails, and reopened
/// with exponential backoff (1 s doubling to 60 s) so an absent libvirtd is not hammered.
public final class LibvirtLink: Sendable {
    public let uri: String
    private struct State {
        var connection: LibvirtConnection?
        var failures = 0
        var nextAttempt = Date.distantPast
        var downSince: Date?
        var lastError: String?
    }
    private let state = Mutex(State())
    private let open: @Sendable (String) throws -> LibvirtConnection

    public init(uri: String, open: @escaping @Sendable (String) throws -> LibvirtConnection = { try LibvirtConnection(uri: $0) }) {
        self.uri = uri
        self.open = open
    }

    public static func backoff(failures: Int) -> TimeInterval {
        min(60, pow(2, Double(max(0, failures - 1))))
    }

    public struct Unavailable: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The open connection, opening one when none is open and the backoff allows it.
    public func connection(now: Date = Date()) throws -> LibvirtConnection {
        try state.withLock { s in
            if let c = s.connection, c.isAlive { return c }
            if let c = s.connection { c.close(); s.connection = nil; s.downSince = s.downSince ?? now }
            guard now >= s.nextAttempt else {
                throw Unavailable(description: "libvirt at \(uri) unreachable (\(s.lastError ?? "not connected")); next attempt in \(Int(s.nextAttempt.timeIntervalSince(now).rounded(.up))) s")
            }
            do {
                let c = try open(uri)
                s.connection = c
                s.failures = 0
                s.downSince = nil
                s.lastError = nil
                return c
            } catch {
                s.failures += 1
                s.nextAttempt = now.addingTimeInterval(LibvirtLink.backoff(failures: s.failures))
                s.downSince = s.downSince ?? now
                s.lastError = "\(error)"
                throw Unavailable(description: "\(error)")
            }
        }
    }

    /// Drops the connection after a failed call (the next `connection()` reopens it).
    public func invalidate(_ error: any Error, now: Date = Date()) {
        state.withLock { s in
            s.connection?.close()
            s.connection = nil
            s.downSince = s.downSince ?? now
            s.lastError = "\(error)"
        }
    }

    public var isConnected: Bool { state.withLock { $0.connection?.isAlive ?? false } }
    /// Since when libvirt has been unreachable (nil while connected).
    public var downSince: Date? { state.withLock { $0.downSince } }
    public var retryAt: Date? { state.withLock { $0.connection == nil ? $0.nextAttempt : nil } }
}
