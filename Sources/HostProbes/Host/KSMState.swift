import Core

/// `/sys/kernel/mm/ksm/{run,pages_shared,pages_sharing}`: Kernel Samepage Merging. `run` is 0
/// (stopped), 1 (merging) or 2 (stopped and every merged page unmerged); `pages_sharing` counts the
/// pages currently deduplicated. qemu marks guest RAM mergeable unless the domain has
/// `<memoryBacking><nosharepages/>`.
public struct KSMState: Sendable, Hashable {
    public static let directory = "/sys/kernel/mm/ksm"

    public let run: Int
    public let pagesShared: Int?
    public let pagesSharing: Int?

    public init(run: Int, pagesShared: Int?, pagesSharing: Int?) {
        self.run = run
        self.pagesShared = pagesShared
        self.pagesSharing = pagesSharing
    }

    /// Nil when the kernel has no KSM (CONFIG_KSM off: no directory).
    public static func read(root: HostRoot) throws(ProbeError) -> KSMState? {
        let runPath = root.path(directory + "/run")
        guard let run = try FileReader.readOptional(runPath) else { return nil }
        guard let r = Int(run), (0...2).contains(r) else { throw ProbeError.parse(path: runPath, reason: "expected 0, 1 or 2") }
        let shared = (try? FileReader.readOptional(root.path(directory + "/pages_shared"))).flatMap { $0.flatMap { Int($0) } }
        let sharing = (try? FileReader.readOptional(root.path(directory + "/pages_sharing"))).flatMap { $0.flatMap { Int($0) } }
        return KSMState(run: r, pagesShared: shared, pagesSharing: sharing)
    }
}
