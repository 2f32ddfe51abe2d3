import Core

/// `/sys/kernel/security/lockdown`: the lockdown LSM's modes with the active one in brackets,
/// `none [integrity] confidentiality`. Absent when the LSM is not built in or securityfs is not
/// mounted; the mode is then unknown, not `none`.
public struct KernelLockdown: Sendable, Hashable {
    public static let path = "/sys/kernel/security/lockdown"

    /// `none`, `integrity` or `confidentiality`.
    public let mode: String
    /// Every mode the kernel offers, in its order.
    public let available: [String]

    public init(mode: String, available: [String]) {
        self.mode = mode
        self.available = available
    }

    /// Absent file: `.unsupported` saying the lockdown LSM is not available (not built in, not in
    /// `lsm=`, or securityfs not mounted), so the mode is unknown rather than assumed `none`.
    public static func read(root: HostRoot) throws(ProbeError) -> KernelLockdown {
        let p = root.path(path)
        let text: String
        do {
            text = try FileReader.readString(p, limit: 4096)
        } catch .notFound {
            throw ProbeError.unsupported("\(p) does not exist: the lockdown LSM is not available (not built in or not enabled, or securityfs is not mounted)")
        }
        return try parse(text, path: p)
    }

    /// Words separated by blanks, exactly one of them in brackets; words are lowercase letters.
    public static func parse(_ text: String, path: String = path) throws(ProbeError) -> KernelLockdown {
        var mode: String?
        var available: [String] = []
        for word in text.trimmingWhitespace().split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            var w = Substring(word)
            let bracketed = w.hasPrefix("[") && w.hasSuffix("]") && w.count > 2
            if bracketed { w = w.dropFirst().dropLast() }
            guard !w.isEmpty, w.utf8.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) else {
                throw ProbeError.parse(path: path, reason: "unexpected word '\(HostReasonText.quote(word, limit: 32))'")
            }
            if bracketed {
                if mode != nil { throw ProbeError.parse(path: path, reason: "more than one active mode") }
                mode = String(w)
            }
            available.append(String(w))
        }
        guard let mode else { throw ProbeError.parse(path: path, reason: "no active mode in brackets") }
        return KernelLockdown(mode: mode, available: available)
    }

    /// Records `host.kernel.lockdown.*`.
    public func record(into facts: inout FactBuilder) {
        facts.set("host.kernel.lockdown.mode", .string(mode))
        facts.set("host.kernel.lockdown.available", .from(available))
    }
}
