import Dispatch
import Foundation

/// Work spread over the machine's cores in contiguous chunks, keeping order.
public enum Parallel {
    /// Runs `body` for every index in `0..<count` over the cores, in contiguous chunks; one chunk
    /// per core, and no threads at all when there are fewer than `minimumPerWorker` items per core.
    public static func forEachChunk(_ count: Int, minimumPerWorker: Int = 16, _ body: @Sendable (Range<Int>) -> Void) {
        let workers = min(max(1, ProcessInfo.processInfo.activeProcessorCount), max(1, count / max(1, minimumPerWorker)))
        if workers == 1 { body(0..<count); return }
        let chunk = (count + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = w * chunk, end = min(count, start + chunk)
            if start < end { body(start..<end) }
        }
    }

    /// `items.map(body)` over the cores, in order.
    public static func map<T: Sendable, R: Sendable>(_ items: [T], minimumPerWorker: Int = 2,
                                                      _ body: @Sendable (T) -> R) -> [R] {
        let results = ParallelSlots<R>(count: items.count)
        forEachChunk(items.count, minimumPerWorker: minimumPerWorker) { range in
            for i in range { results.set(i, body(items[i])) }
        }
        return results.values()
    }
}

/// Slots written by exactly one worker each, read after every worker finished.
public final class ParallelSlots<T>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<T?>
    public init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }
    deinit {
        slots.baseAddress?.deinitialize(count: slots.count)
        slots.deallocate()
    }
    public func set(_ i: Int, _ value: T) { slots[i] = value }
    public func values() -> [T] { slots.map { $0! } }
}
