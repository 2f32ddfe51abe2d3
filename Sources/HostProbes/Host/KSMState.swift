import Core

/// `/sys/kernel/mm/ksm/run`: whether kernel same-page merging scans and merges anonymous pages.
/// `0` stopped (merged pages stay merged), `1` running, `2` stopped and every merged page split
/// again. Absent when the kernel is built without KSM (nothing is ever merged).
public struct KSMState: Sendable, Hashable {
    public static let runPath = "/sys/kernel/mm/ksm/run"

    /// The `run` value; nil when the kernel has no KSM.
    public var run: Int?

    public init(run: Int?) { self.run = run }

    /// KSM merges pages (run = 1). Pages merged before a `0` stay shared until they are written,
    /// so only `2` and an absent KSM are fully off; `0` counts as not merging new pages.
    public var merging: Bool { run == 1 }

    public static func read(root: HostRoot) throws(ProbeError) -> KSMState {
        let p = root.path(runPath)
        guard let text = try FileReader.readOptional(p) else { return KSMState(run: nil) }
        return KSMState(run: try parse(text, path: p))
    }

    public static func parse(_ text: String, path: String = runPath) throws(ProbeError) -> Int {
        guard let v = Int(text.trimmingWhitespace()), (0...2).contains(v) else {
            throw ProbeError.parse(path: path, reason: "expected 0, 1 or 2")
        }
        return v
    }
}
