import Dispatch
import Foundation
import Synchronization

/// The service's one timer thread. Each job has a deadline; the thread sleeps until the
/// earliest one (or until woken), runs what is due and sets each job's next deadline
/// `interval` after its run ended. Nothing polls.
///
/// Waiting: `Mutex<State>` holds the jobs; a semaphore is the condition variable (Swift's
/// Synchronization has none). The thread computes the earliest deadline under the lock, then
/// waits on the semaphore with that timeout; `wake()` (after adding a job, after a job on its
/// own thread ended, on `stop()`) signals it. A signal sent before the wait is kept by the
/// semaphore, so no wake-up is lost; an extra one only costs one more look at the deadlines.
///
/// Jobs are `inline` (short: run on the scheduler thread) or `detached` (may block: network,
/// disk; each run gets its own thread, and the job is not due again until that run ended, so a
/// hanging alert sink delays only itself).
public final class Scheduler: Sendable {
    public enum Placement: Sendable { case inline, detached }

    private struct Job: Sendable {
        var name: String
        var interval: TimeInterval
        var next: Date
        var placement: Placement
        var running = false
        var body: @Sendable () -> Void
    }
    private struct State {
        var jobs: [Job] = []
        var stopped = false
        var started = false
    }
    private let state = Mutex(State())
    private let signal = DispatchSemaphore(value: 0)
    private let clock: @Sendable () -> Date

    public init(clock: @escaping @Sendable () -> Date = { Date() }) { self.clock = clock }

    /// Runs `body` every `interval` seconds, first at `first` (default: one interval from now).
    public func every(_ interval: TimeInterval, name: String, first: Date? = nil, placement: Placement = .inline,
                      _ body: @escaping @Sendable () -> Void) {
        let now = clock()
        state.withLock { s in
            s.jobs.append(Job(name: name, interval: max(0.001, interval), next: first ?? now.addingTimeInterval(interval),
                              placement: placement, body: body))
        }
        wake()
    }

    /// The job names with their next deadlines (for tests and logs).
    public var deadlines: [(name: String, next: Date)] { state.withLock { s in s.jobs.map { ($0.name, $0.next) } } }

    public func start() {
        let go = state.withLock { s -> Bool in
            defer { s.started = true }
            return !s.started && !s.stopped
        }
        guard go else { return }
        let thread = Thread { [self] in loop() }
        thread.name = "virtaudit-scheduler"
        thread.start()
    }

    /// Ends the loop; runs in progress finish on their own.
    public func stop() {
        state.withLock { $0.stopped = true }
        wake()
    }

    public func wake() { signal.signal() }

    /// The jobs due at `now` (marked running) and the time until the next deadline among the others.
    private func takeDue(now: Date) -> (due: [(Int, Job)], wait: TimeInterval?)? {
        state.withLock { s in
            if s.stopped { return nil }
            var due: [(Int, Job)] = []
            var earliest: Date?
            for i in s.jobs.indices where !s.jobs[i].running {
                if s.jobs[i].next <= now {
                    s.jobs[i].running = true
                    due.append((i, s.jobs[i]))
                } else {
                    earliest = min(earliest ?? s.jobs[i].next, s.jobs[i].next)
                }
            }
            return (due, earliest.map { $0.timeIntervalSince(now) })
        }
    }

    private func finished(_ index: Int) {
        let now = clock()
        state.withLock { s in
            s.jobs[index].running = false
            s.jobs[index].next = now.addingTimeInterval(s.jobs[index].interval)
        }
    }

    private func loop() {
        while let (due, wait) = takeDue(now: clock()) {
            for (index, job) in due {
                switch job.placement {
                case .inline:
                    job.body()
                    finished(index)
                case .detached:
                    let t = Thread { [self] in
                        job.body()
                        finished(index)
                        wake()
                    }
                    t.name = "virtaudit-\(job.name)"
                    t.start()
                }
            }
            // Jobs run inline just got new deadlines: look again before sleeping.
            if !due.isEmpty { continue }
            if let wait {
                _ = signal.wait(timeout: .now() + max(0, wait))
            } else {
                signal.wait()
            }
        }
    }
}
