import Core

/// `/sys/kernel/mm/ksm/{run,pages_shared,pages_sharing}`: Kernel Samepage Merging. `run` is 0
/// (stopped: pages merged before stay merged until written), 1 (merging) or 2 (stopped and every
/// merged page split again); `pages_sharing` counts the pages currently deduplicated. qemu marks
/// guest RAM mergeable unless the domain has `<memoryBacking><nosharepages/>`. The directory is
/// absent when the kernel is built without KSM (nothing is ever merged).
public struct KSMState: Sendable, Hashable {
    public static let directory = "/sys/kernel/mm/ksm"
    public static let runPath = directory + "/run"

    public let run: Int
    public let pagesShared: Int?
    public let pagesSharing: Int?

    public init(run: Int, pagesShared: Int? = nil, pagesSharing: Int? = nil) {
        self.run = run
        self.pagesShared = pagesShared
        self.pagesSharing = pagesSharing
    }

    /// KSM merges new pages (run = 1).
    public var merging: Bool { run == 1 }

    /// Nil when the kernel has no KSM (CONFIG_KSM off: no directory).
    public static func read(root: HostRoot) throws(ProbeError) -> KSMState? {
        let runPath = root.path(Self.runPath)
        guard let text = try FileReader.readOptional(runPath) else { return nil }
        let r = try parse(text, path: runPath)
        func counter(_ name: String) -> Int? {
            (try? FileReader.readOptional(root.path(directory + "/" + name))).flatMap { $0.flatMap { Int($0.trimmingWhitespace()) } }
        }
        return KSMState(run: r, pagesShared: counter("pages_shared"), pagesSharing: counter("pages_sharing"))
    }

    public static func parse(_ text: String, path: String = runPath) throws(ProbeError) -> Int {
        guard let v = Int(text.trimmingWhitespace()), (0...2).contains(v) else {
            throw ProbeError.parse(path: path, reason: "expected 0, 1 or 2")
        }
        return v
    }
}
