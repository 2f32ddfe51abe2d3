/// The wait before each attempt to reopen a lost libvirt connection: exponential, capped, with
/// jitter so that many hosts' services do not hammer a restarted libvirtd in step.
///
/// Attempt `n` (0-based) waits `min(maximum, initial * multiplier^n)` seconds, scaled by a
/// factor drawn uniformly from `[1 - jitter, 1 + jitter]` and capped at `maximum` again.
/// The default schedule is 0.5 s, 1 s, 2 s, ... 30 s, each ±20 %.
public struct ReconnectBackoff: Sendable, Hashable {
    public var initial: Double
    public var maximum: Double
    public var multiplier: Double
    /// Fraction of the delay that is randomized, 0...1.
    public var jitter: Double

    public init(initial: Double = 0.5, maximum: Double = 30, multiplier: Double = 2, jitter: Double = 0.2) {
        self.initial = max(0, initial)
        self.maximum = max(self.initial, maximum)
        self.multiplier = max(1, multiplier)
        self.jitter = min(1, max(0, jitter))
    }

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

    public func delay(attempt: Int) -> Double {
        delay(attempt: attempt, unit: Double.random(in: 0...1))
    }
}
