/// The wait before each retry of something that failed (reopening libvirt, delivering an
/// alert): exponential, capped, optionally with jitter so that many hosts' services do not
/// hammer a restarted daemon in step. The one backoff of the code base: the libvirt link
/// (`Service/LibvirtLink`), the event monitor (`Inventory/Events`) and alert delivery
/// (`Reporting/AlertDispatcher`) each hold one with their own constants.
///
/// Attempt `n` (0-based) waits `min(maximum, initial * multiplier^n)` seconds, scaled by a
/// factor drawn uniformly from `[1 - jitter, 1 + jitter]` and capped at `maximum` again.
/// The default schedule is 0.5 s, 1 s, 2 s, ... 30 s, each ±20 %.
public struct Backoff: Sendable, Hashable {
    public var initial: Double
    public var maximum: Double
    public var multiplier: Double
    /// Fraction of the delay that is randomized, 0...1 (0: deterministic).
    public var jitter: Double

    public init(initial: Double = 0.5, maximum: Double = 30, multiplier: Double = 2, jitter: Double = 0.2) {
        self.initial = max(0, initial)
        self.maximum = max(self.initial, maximum)
        self.multiplier = max(1, multiplier)
        self.jitter = min(1, max(0, jitter))
    }

    /// The libvirt link's schedule: 1 s doubling to 60 s, no jitter (one service, one daemon).
    public static let libvirtLink = Backoff(initial: 1, maximum: 60, multiplier: 2, jitter: 0)

    /// The delay before attempt `attempt` without jitter.
    public func baseDelay(attempt: Int) -> Double {
        var d = initial
        var n = 0
        while n < attempt && d < maximum {
            d *= multiplier
            n += 1
        }
        return min(d, maximum)
    }

    /// The delay before attempt `attempt`; `unit` in 0...1 picks the point in the jitter range
    /// (0.5 gives the base delay). Pure, for tests; `delay(attempt:)` draws `unit` at random.
    public func delay(attempt: Int, unit: Double) -> Double {
        let u = min(1, max(0, unit))
        let factor = 1 - jitter + 2 * jitter * u
        return min(maximum, baseDelay(attempt: attempt) * factor)
    }

    /// The delay before attempt `attempt` (with jitter drawn at random when `jitter > 0`).
    public func delay(attempt: Int) -> Double {
        jitter == 0 ? baseDelay(attempt: attempt) : delay(attempt: attempt, unit: Double.random(in: 0...1))
    }
}
