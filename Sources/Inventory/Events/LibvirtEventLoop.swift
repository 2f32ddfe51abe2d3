import CLibvirt
import Dispatch
import Foundation
import Glibc
import Synchronization

/// libvirt's default event loop, run on one dedicated thread shared by every monitor in the
/// process.
///
/// `virEventRegisterDefaultImpl` is called exactly once per process, before the first
/// connection that needs events is opened (the remote driver only sets up asynchronous I/O,
/// events and keepalive on connections opened after an implementation is registered). The loop
/// thread (a `Thread`, never the Swift concurrency pool, since `virEventRunDefaultImpl` blocks in
/// `poll`) runs while at least one monitor holds it (`retain()`/`release()`); the last
/// `release()` stops it and waits for it to exit.
///
/// Waking the loop to stop: a timer added once with `virEventAddTimeout(-1, ...)` stays disabled;
/// `release()` sets the run's stop flag and arms the timer with `virEventUpdateTimeout(timer, 0)`.
/// That makes the blocked `virEventRunDefaultImpl` return after dispatching the timer, and the
/// thread sees the flag and exits; the exiting thread disables the timer again once no other
/// stopping run still needs it. No periodic polling while the loop runs.
final class LibvirtEventLoop: Sendable {
    static let shared = LibvirtEventLoop()

    /// One run of the loop thread.
    private final class Run: Sendable {
        let stop = Atomic<Bool>(false)
        let thread = Atomic<UInt>(0)
        let done = DispatchSemaphore(value: 0)
    }

    private struct State {
        var users = 0
        var run: Run?
        /// Runs told to stop that have not exited yet; the wake-up timer stays armed meanwhile.
        var stopping = 0
    }

    private let state = Mutex(State())

    /// The wake-up timer id, or libvirt's message when the implementation could not be set up.
    private static let registration: Result<Int32, InventoryError> = {
        LibvirtErrors.silenceDefaultPrinting()
        if virEventRegisterDefaultImpl() != 0 {
            let m = LibvirtErrors.last(nil)?.message ?? "virEventRegisterDefaultImpl failed"
            return .failure(.call(function: "virEventRegisterDefaultImpl", message: m))
        }
        let timer = virEventAddTimeout(-1, { _, _ in }, nil, nil)
        if timer < 0 {
            let m = LibvirtErrors.last(nil)?.message ?? "virEventAddTimeout failed"
            return .failure(.call(function: "virEventAddTimeout", message: m))
        }
        return .success(timer)
    }()

    /// Registers the default implementation (once per process) without starting the thread.
    static func register() throws(InventoryError) {
        if case .failure(let e) = registration { throw e }
    }

    /// True while the loop thread runs.
    var isRunning: Bool { state.withLock { $0.run != nil } }

    /// True when called on the loop thread (from inside an event callback).
    var isCurrentThread: Bool {
        state.withLock { s in s.run.map { $0.thread.load(ordering: .acquiring) == UInt(pthread_self()) } ?? false }
    }

    /// Takes a hold on the loop, starting its thread for the first holder.
    func retain() throws(InventoryError) {
        try Self.register()
        state.withLock { s in
            s.users += 1
            if s.run == nil {
                let run = Run()
                s.run = run
                let thread = Thread {
                    run.thread.store(UInt(pthread_self()), ordering: .releasing)
                    while !run.stop.load(ordering: .acquiring) {
                        if virEventRunDefaultImpl() < 0 {
                            _ = LibvirtErrors.last(nil)
                            usleep(10_000)
                        }
                    }
                    LibvirtEventLoop.shared.exited()
                    run.done.signal()
                }
                thread.name = "libvirt-events"
                thread.start()
            }
        }
    }

    /// Drops a hold; the last one stops the thread and, unless called on the loop thread
    /// itself, waits until it has left `virEventRunDefaultImpl`.
    func release() {
        let ending: Run? = state.withLock { s in
            guard s.users > 0 else { return nil }
            s.users -= 1
            guard s.users == 0, let run = s.run else { return nil }
            s.run = nil
            return run
        }
        guard let run = ending, case .success(let timer) = Self.registration else { return }
        state.withLock { s in
            run.stop.store(true, ordering: .releasing)
            s.stopping += 1
            virEventUpdateTimeout(timer, 0)
        }
        if run.thread.load(ordering: .acquiring) != UInt(pthread_self()) {
            run.done.wait()
        }
    }

    /// Called by a loop thread that left its loop: disarms the wake-up timer when no other
    /// stopping run needs it.
    private func exited() {
        guard case .success(let timer) = Self.registration else { return }
        state.withLock { s in
            s.stopping = max(0, s.stopping - 1)
            if s.stopping == 0 { virEventUpdateTimeout(timer, -1) }
        }
    }
}
