import Foundation
import XCTest
@testable import Inventory

/// Collects what a monitor delivers, and lets a test wait for it.
final class EventRecorder: @unchecked Sendable {
    private let condition = NSCondition()
    private var events: [DomainEvent] = []
    private var states: [DomainEventMonitor.ConnectionState] = []

    var onEvent: @Sendable (DomainEvent) -> Void {
        { [self] e in
            condition.lock()
            events.append(e)
            condition.broadcast()
            condition.unlock()
        }
    }

    var onStateChange: @Sendable (DomainEventMonitor.ConnectionState) -> Void {
        { [self] s in
            condition.lock()
            states.append(s)
            condition.broadcast()
            condition.unlock()
        }
    }

    var allEvents: [DomainEvent] {
        condition.lock()
        defer { condition.unlock() }
        return events
    }

    var allStates: [DomainEventMonitor.ConnectionState] {
        condition.lock()
        defer { condition.unlock() }
        return states
    }

    /// The first event matching `match`, waiting up to `timeout` seconds for it.
    func waitForEvent(timeout: Double, _ match: (DomainEvent) -> Bool) -> DomainEvent? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let e = events.first(where: match) { return e }
            if !condition.wait(until: deadline) { return events.first(where: match) }
        }
    }

    /// Waits until at least `count` states matching `match` were reported.
    @discardableResult
    func waitForStates(count: Int = 1, timeout: Double, _ match: (DomainEventMonitor.ConnectionState) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if states.filter(match).count >= count { return true }
            if !condition.wait(until: deadline) { return states.filter(match).count >= count }
        }
    }

    func waitForConnected(count: Int = 1, timeout: Double = 10) -> Bool {
        waitForStates(count: count, timeout: timeout) { $0 == .connected }
    }
}

extension DomainEventMonitor.ConnectionState {
    var isDisconnected: Bool {
        if case .disconnected = self { return true }
        return false
    }

    var reason: String? {
        if case .disconnected(let r) = self { return r }
        return nil
    }
}
