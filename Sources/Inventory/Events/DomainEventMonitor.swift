import CLibvirt
import Core
import Dispatch
import Foundation
import Glibc
import Synchronization

/// Delivers libvirt domain events (lifecycle, device hot-plug, reboot, metadata) as they happen,
/// and keeps delivering them across libvirtd restarts.
///
/// The monitor opens its own read-only connection (`virConnectOpenReadOnly`) after libvirt's
/// default event loop is registered, sets a keepalive (`virConnectSetKeepAlive`, 5 s x 3 by
/// default) and a close callback, and registers `virConnectDomainEventRegisterAny` for
/// `VIR_DOMAIN_EVENT_ID_LIFECYCLE`, `_DEVICE_ADDED`, `_DEVICE_REMOVED`, `_REBOOT` and
/// `_METADATA_CHANGE` on all domains.
///
/// Threads: libvirt's event loop runs on one dedicated thread shared by all monitors
/// (`LibvirtEventLoop`); `onEvent` is called on it, so it must return quickly (hand the event
/// to a queue). Each monitor also has a supervisor thread that opens the connection, waits for
/// it to close, and reconnects with `Backoff`; `onStateChange` is called on it.
///
/// When the connection closes (libvirtd stopped or restarted: EOF; a hung daemon: keepalive;
/// or `virConnectIsAlive` turning false, checked every `livenessCheckInterval`), the monitor
/// reports `.disconnected(reason:)`, reopens with backoff, registers again and reports
/// `.connected`. Events that happened while disconnected are lost: on `.connected` the caller
/// runs a full scan.
///
/// A monitor runs once: `start()` after `stop()` does nothing. `stop()` is idempotent, may be
/// called before `start()`, and may be called from inside either handler.
public final class DomainEventMonitor: Sendable {
    public enum ConnectionState: Sendable, Hashable {
        case connected
        case disconnected(reason: String)
    }

    public struct Options: Sendable, Hashable {
        /// `virConnectSetKeepAlive` interval in seconds and missed-reply count; libvirt closes a
        /// connection whose peer stays silent for about `interval * (count + 1)` seconds.
        public var keepAliveInterval: Int32
        public var keepAliveCount: UInt32
        public var backoff: Backoff
        /// How often the supervisor double-checks `virConnectIsAlive`, in seconds.
        public var livenessCheckInterval: Double
        /// The longest `stop()` waits for the supervisor, in seconds. It only matters when a
        /// connection attempt hangs inside libvirt (a daemon that accepts but never answers:
        /// `virConnectOpen` has no timeout); the supervisor then finishes on its own later.
        public var stopTimeout: Double

        public init(keepAliveInterval: Int32 = 5, keepAliveCount: UInt32 = 3, backoff: Backoff = .init(),
                    livenessCheckInterval: Double = 1, stopTimeout: Double = 10) {
            self.keepAliveInterval = keepAliveInterval
            self.keepAliveCount = keepAliveCount
            self.backoff = backoff
            self.livenessCheckInterval = livenessCheckInterval
            self.stopTimeout = stopTimeout
        }
    }

    public let uri: String
    public let options: Options
    private let core: MonitorCore

    /// - Parameters:
    ///   - onEvent: called on libvirt's event-loop thread for every domain event.
    ///   - onStateChange: called on the monitor's supervisor thread when the connection comes
    ///     up (`.connected`, after every callback is registered) or goes down.
    public init(uri: String = LibvirtConnection.defaultURI, options: Options = .init(),
                onEvent: @escaping @Sendable (DomainEvent) -> Void,
                onStateChange: @escaping @Sendable (ConnectionState) -> Void = { _ in }) {
        self.uri = uri
        self.options = options
        core = MonitorCore(uri: uri, options: options, onEvent: onEvent, onStateChange: onStateChange)
    }

    deinit { core.stop() }

    /// Registers libvirt's default event-loop implementation now (once per process; later calls
    /// do nothing). Call it at startup before opening any other connection: remote connections
    /// opened afterwards get their I/O serviced by the monitor's loop thread, which answers
    /// libvirtd's keepalive pings. libvirtd drops an idle client that does not answer them
    /// (after about 30-45 s with its default keepalive settings), and the next call on such a
    /// connection writes to a closed socket, which raises SIGPIPE: the process must ignore it.
    public static func registerEventImplementation() throws(InventoryError) {
        try LibvirtEventLoop.register()
    }

    /// Starts the event loop (registering libvirt's default implementation once per process) and
    /// the supervisor, which connects in the background. Throws only when libvirt's event loop
    /// cannot be set up; connection failures are reported through `onStateChange` and retried.
    public func start() throws(InventoryError) {
        try core.start()
    }

    /// Deregisters the callbacks, closes the connection and stops the threads; returns when
    /// they have stopped (at most `options.stopTimeout` seconds; when called from one of them
    /// it returns at once and they stop right after the current handler returns). No handler
    /// is called after it returned, except one already running; `state` becomes
    /// `.disconnected(reason: "stopped")`.
    public func stop() {
        core.stop()
    }

    /// The connection's current state.
    public var state: ConnectionState { core.currentState }
}

// MARK: - supervisor

/// The monitor's state and its supervisor thread. `@unchecked Sendable`: every mutable field is
/// read and written only while holding `condition`.
private final class MonitorCore: @unchecked Sendable {
    enum Phase { case idle, running, stopped }

    let uri: String
    let options: Options
    let onEvent: @Sendable (DomainEvent) -> Void
    let onStateChange: @Sendable (DomainEventMonitor.ConnectionState) -> Void
    typealias Options = DomainEventMonitor.Options

    private let condition = NSCondition()
    private var phase = Phase.idle
    private var stopRequested = false
    private var state = DomainEventMonitor.ConnectionState.disconnected(reason: "not started")
    private var generation = 0
    /// Set by the close callback: the generation of the connection that closed, and why.
    private var closed: (generation: Int, reason: String)?
    private var supervisorThread: UInt = 0
    private let done = DispatchSemaphore(value: 0)

    init(uri: String, options: Options, onEvent: @escaping @Sendable (DomainEvent) -> Void,
         onStateChange: @escaping @Sendable (DomainEventMonitor.ConnectionState) -> Void) {
        self.uri = uri
        self.options = options
        self.onEvent = onEvent
        self.onStateChange = onStateChange
    }

    var currentState: DomainEventMonitor.ConnectionState {
        condition.lock()
        defer { condition.unlock() }
        return state
    }

    func start() throws(InventoryError) {
        condition.lock()
        guard phase == .idle else { condition.unlock(); return }
        do {
            try LibvirtEventLoop.shared.retain()
        } catch {
            condition.unlock()
            throw error
        }
        phase = .running
        condition.unlock()
        let thread = Thread { [self] in supervise() }
        thread.name = "libvirt-event-monitor"
        thread.start()
    }

    func stop() {
        condition.lock()
        let wasRunning = phase == .running
        phase = .stopped
        stopRequested = true
        if wasRunning { state = .disconnected(reason: "stopped") }
        let supervisor = supervisorThread
        condition.broadcast()
        condition.unlock()
        guard wasRunning else { return }
        let me = UInt(pthread_self())
        // From the supervisor (a state handler) or the loop thread (an event handler) the
        // threads finish on their own once the handler returns; waiting here would deadlock.
        if me == supervisor || LibvirtEventLoop.shared.isCurrentThread { return }
        if done.wait(timeout: .now() + max(0, options.stopTimeout)) == .success {
            done.signal()  // a later stop() from another thread does not block
        }
    }

    private func supervise() {
        condition.lock()
        supervisorThread = UInt(pthread_self())
        condition.unlock()
        defer {
            LibvirtEventLoop.shared.release()
            done.signal()
        }
        var attempt = 0
        var reportedDown = false
        while !isStopRequested {
            let gen = nextGeneration()
            switch open(generation: gen) {
            case .success(let session):
                attempt = 0
                reportedDown = false
                guard report(.connected) else { session.close(); return }
                let reason = waitWhileConnected(session, generation: gen)
                session.close()
                guard let reason else { return }
                reportedDown = true
                guard report(.disconnected(reason: reason)) else { return }
            case .failure(let failure):
                if !reportedDown {
                    reportedDown = true
                    guard report(.disconnected(reason: failure.message)) else { return }
                }
                sleepUnlessStopped(options.backoff.delay(attempt: attempt))
                attempt += 1
            }
        }
    }

    private var isStopRequested: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopRequested
    }

    private func nextGeneration() -> Int {
        condition.lock()
        defer { condition.unlock() }
        generation += 1
        closed = nil
        return generation
    }

    /// Records and reports a new state; false when a stop was requested meanwhile (nothing is
    /// reported then).
    private func report(_ new: DomainEventMonitor.ConnectionState) -> Bool {
        condition.lock()
        if stopRequested { condition.unlock(); return false }
        state = new
        condition.unlock()
        onStateChange(new)
        return true
    }

    /// Called by the close callback (on the loop thread).
    fileprivate func connectionClosed(generation gen: Int, reason: String) {
        condition.lock()
        if gen == generation && closed == nil { closed = (gen, reason) }
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until the connection closes (returns why) or a stop is requested (returns nil).
    private func waitWhileConnected(_ session: EventSession, generation gen: Int) -> String? {
        let interval = max(0.05, options.livenessCheckInterval)
        while true {
            condition.lock()
            if stopRequested { condition.unlock(); return nil }
            if let c = closed, c.generation == gen { condition.unlock(); return c.reason }
            _ = condition.wait(until: Date(timeIntervalSinceNow: interval))
            let stop = stopRequested
            let c = closed
            condition.unlock()
            if stop { return nil }
            if let c, c.generation == gen { return c.reason }
            if !session.isAlive { return "connection closed: virConnectIsAlive reports it dead" }
        }
    }

    private func sleepUnlessStopped(_ seconds: Double) {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        while !stopRequested && Date() < deadline {
            _ = condition.wait(until: deadline)
        }
        condition.unlock()
    }

    /// Opens the connection and registers every callback; libvirt's message on failure.
    private func open(generation gen: Int) -> Result<EventSession, OpenFailure> {
        guard let conn = virConnectOpenReadOnly(uri) else {
            let m = LibvirtErrors.last(nil)?.message ?? "virConnectOpenReadOnly returned no connection"
            return .failure(OpenFailure(message: "cannot connect to libvirt at \(uri): \(m)"))
        }
        let session = EventSession(conn: conn)
        // Returns 1 when the peer does not support keepalive and -1 for drivers that have no
        // use for it (test:///, the in-process drivers): neither is a reason to give up.
        if virConnectSetKeepAlive(conn, options.keepAliveInterval, options.keepAliveCount) != 0 {
            _ = LibvirtErrors.last(conn)
        }
        let box = CallbackBox(core: self, generation: gen)
        if let failure = session.registerClose(box) {
            session.close()
            return .failure(failure)
        }
        for id in EventSession.eventIDs {
            if let failure = session.register(id, box) {
                // Lifecycle events are the point; the others are best effort.
                if id == EventSession.lifecycleID {
                    session.close()
                    return .failure(failure)
                }
            }
        }
        return .success(session)
    }
}

private struct OpenFailure: Error {
    var message: String
}

// MARK: - C callbacks

/// The Swift side of one callback registration, passed to libvirt as the `opaque` pointer
/// (`Unmanaged.passRetained`) and released by the registration's `freecb`.
final class CallbackBox: Sendable {
    /// Boxes alive in the process: tests check that every `freecb` ran.
    static let live = Atomic<Int>(0)

    private let core: MonitorCore
    let generation: Int

    fileprivate init(core: MonitorCore, generation: Int) {
        self.core = core
        self.generation = generation
        Self.live.add(1, ordering: .relaxed)
    }

    deinit { Self.live.subtract(1, ordering: .relaxed) }

    /// A retained pointer for one registration.
    func retainedPointer() -> UnsafeMutableRawPointer { Unmanaged.passRetained(self).toOpaque() }

    static func from(_ opaque: UnsafeMutableRawPointer) -> CallbackBox {
        Unmanaged<CallbackBox>.fromOpaque(opaque).takeUnretainedValue()
    }

    /// The `virFreeCallback` of every registration: drops the retain taken for it.
    static let free: @convention(c) (UnsafeMutableRawPointer?) -> Void = { opaque in
        guard let opaque else { return }
        Unmanaged<CallbackBox>.fromOpaque(opaque).release()
    }

    func deliver(_ kind: DomainEventKind, _ detail: String, domain: OpaquePointer) {
        let now = Date()
        let name = virDomainGetName(domain).map { String(cString: $0) } ?? ""
        var buf = [CChar](repeating: 0, count: 37)  // VIR_UUID_STRING_BUFLEN
        var uuid = ""
        if virDomainGetUUIDString(domain, &buf) == 0 {
            uuid = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased()
        }
        core.onEvent(DomainEvent(kind: kind, detail: detail, domainName: name, domainUUID: uuid, receivedAt: now))
    }

    func closed(reason: Int32) {
        core.connectionClosed(generation: generation, reason: DomainEventCodes.closeReason(Int(reason)))
    }
}

/// One open connection with its registrations; used only by the supervisor thread.
private final class EventSession {
    static let lifecycleID = Int32(VIR_DOMAIN_EVENT_ID_LIFECYCLE.rawValue)
    static let eventIDs: [Int32] = [
        lifecycleID,
        Int32(VIR_DOMAIN_EVENT_ID_DEVICE_ADDED.rawValue),
        Int32(VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED.rawValue),
        Int32(VIR_DOMAIN_EVENT_ID_REBOOT.rawValue),
        Int32(VIR_DOMAIN_EVENT_ID_METADATA_CHANGE.rawValue),
    ]

    private var conn: OpaquePointer?
    private var callbackIDs: [Int32] = []
    /// The retained box pointer given to the close callback, while registered.
    private var closeOpaque: UnsafeMutableRawPointer?

    init(conn: OpaquePointer) { self.conn = conn }

    var isAlive: Bool { conn.map { virConnectIsAlive($0) == 1 } ?? false }

    static let closeCallback: @convention(c) (OpaquePointer?, Int32, UnsafeMutableRawPointer?) -> Void = { _, reason, opaque in
        guard let opaque else { return }
        CallbackBox.from(opaque).closed(reason: reason)
    }

    /// Registers the close callback. Its retain on the box is owned by the session and dropped
    /// in `close()`, not by a `freecb`: drivers without close-callback support (test:///, the
    /// in-process drivers) accept the registration as a no-op and would never call `freecb`.
    /// libvirt calls the callback with its close-callback lock held, and unregistering takes
    /// that lock, so no call is in flight once `virConnectUnregisterCloseCallback` returned.
    func registerClose(_ box: CallbackBox) -> OpenFailure? {
        guard let conn else { return OpenFailure(message: "connection closed") }
        let opaque = box.retainedPointer()
        if virConnectRegisterCloseCallback(conn, Self.closeCallback, opaque, nil) != 0 {
            Unmanaged<CallbackBox>.fromOpaque(opaque).release()
            let m = LibvirtErrors.last(conn)?.message ?? "virConnectRegisterCloseCallback failed"
            return OpenFailure(message: "virConnectRegisterCloseCallback failed: \(m)")
        }
        closeOpaque = opaque
        return nil
    }

    /// Registers one event id for all domains; on failure libvirt keeps no reference to the
    /// box (it does not call `freecb`), so the retain taken for it is dropped here.
    func register(_ id: Int32, _ box: CallbackBox) -> OpenFailure? {
        guard let conn else { return OpenFailure(message: "connection closed") }
        let opaque = box.retainedPointer()
        let n = virConnectDomainEventRegisterAny(conn, nil, id, Self.callback(for: id), opaque, CallbackBox.free)
        if n < 0 {
            Unmanaged<CallbackBox>.fromOpaque(opaque).release()
            let m = LibvirtErrors.last(conn)?.message ?? "virConnectDomainEventRegisterAny failed"
            return OpenFailure(message: "cannot register libvirt domain event \(id): \(m)")
        }
        callbackIDs.append(n)
        return nil
    }

    /// Deregisters everything and closes the connection. Errors (the daemon is already gone)
    /// are expected and dropped: libvirt removes the registrations locally first.
    func close() {
        guard let c = conn else { return }
        conn = nil
        for id in callbackIDs where virConnectDomainEventDeregisterAny(c, id) != 0 {
            _ = LibvirtErrors.last(c)
        }
        callbackIDs = []
        if closeOpaque != nil, virConnectUnregisterCloseCallback(c, Self.closeCallback) != 0 {
            _ = LibvirtErrors.last(c)
        }
        if virConnectClose(c) < 0 { _ = LibvirtErrors.last(nil) }
        if let opaque = closeOpaque {
            Unmanaged<CallbackBox>.fromOpaque(opaque).release()
            closeOpaque = nil
        }
    }

    /// The C callback for an event id, cast to the generic type as `VIR_DOMAIN_EVENT_CALLBACK`
    /// does in C. None captures context: the Swift side is reached through `opaque`.
    private static func callback(for id: Int32) -> virConnectDomainEventGenericCallback {
        switch id {
        case lifecycleID:
            let cb: @convention(c) (OpaquePointer?, OpaquePointer?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = {
                _, dom, event, detail, opaque in
                guard let dom, let opaque else { return 0 }
                let decoded = DomainEventCodes.lifecycle(event: Int(event), detail: Int(detail))
                CallbackBox.from(opaque).deliver(decoded.kind, decoded.detail, domain: dom)
                return 0
            }
            return unsafeBitCast(cb, to: virConnectDomainEventGenericCallback.self)
        case Int32(VIR_DOMAIN_EVENT_ID_DEVICE_ADDED.rawValue):
            let cb: @convention(c) (OpaquePointer?, OpaquePointer?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
                _, dom, alias, opaque in
                guard let dom, let opaque else { return }
                CallbackBox.from(opaque).deliver(.deviceAdded, alias.map { String(cString: $0) } ?? "", domain: dom)
            }
            return unsafeBitCast(cb, to: virConnectDomainEventGenericCallback.self)
        case Int32(VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED.rawValue):
            let cb: @convention(c) (OpaquePointer?, OpaquePointer?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
                _, dom, alias, opaque in
                guard let dom, let opaque else { return }
                CallbackBox.from(opaque).deliver(.deviceRemoved, alias.map { String(cString: $0) } ?? "", domain: dom)
            }
            return unsafeBitCast(cb, to: virConnectDomainEventGenericCallback.self)
        case Int32(VIR_DOMAIN_EVENT_ID_METADATA_CHANGE.rawValue):
            let cb: @convention(c) (OpaquePointer?, OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
                _, dom, type, nsuri, opaque in
                guard let dom, let opaque else { return }
                let detail = DomainEventCodes.metadata(type: Int(type), namespaceURI: nsuri.map { String(cString: $0) })
                CallbackBox.from(opaque).deliver(.metadataChanged, detail, domain: dom)
            }
            return unsafeBitCast(cb, to: virConnectDomainEventGenericCallback.self)
        default:  // VIR_DOMAIN_EVENT_ID_REBOOT: the generic signature
            return { _, dom, opaque in
                guard let dom, let opaque else { return }
                CallbackBox.from(opaque).deliver(.reboot, "", domain: dom)
            }
        }
    }
}
