import Core

/// What the qemu hook does with a VM whose definition fails policy.
public enum AdmissionMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Refuse the start (non-zero exit at `prepare begin` / `start begin`, no XML at `migrate` /
    /// `restore begin`).
    case enforce
    /// Admit, record the decision and raise an alert.
    case warn
    /// Admit and record the decision only.
    case dryrun
}

/// What the hook does when it cannot decide (bad policy file, crash, time budget exceeded).
public enum AdmissionFailurePolicy: String, Sendable, Hashable, Codable, CaseIterable {
    case failOpen = "fail-open"
    case failClosed = "fail-closed"
}

/// The admission settings: the service configuration's `admission:` section, with the command
/// line's `--mode` applied over it.
public struct AdmissionSettings: Sendable, Hashable {
    public var mode: AdmissionMode
    /// Severities whose failing (or decidable unknown) rules deny.
    public var denySeverities: Set<Severity>
    public var failurePolicy: AdmissionFailurePolicy
    /// Hard budget for the whole decision (policy load included), in milliseconds.
    public var timeoutMs: Int

    public init(mode: AdmissionMode = .warn, denySeverities: Set<Severity> = [.critical],
                failurePolicy: AdmissionFailurePolicy = .failOpen, timeoutMs: Int = 800) {
        self.mode = mode
        self.denySeverities = denySeverities
        self.failurePolicy = failurePolicy
        self.timeoutMs = timeoutMs
    }
}

/// A hook invocation (`<name> <operation> <sub-op> <extra>`) and what admission does with it.
public struct HookCall: Sendable, Hashable {
    public var name: String
    public var operation: String
    public var subOperation: String
    public var extra: String

    public init(name: String, operation: String, subOperation: String, extra: String) {
        self.name = name
        self.operation = operation
        self.subOperation = subOperation
        self.extra = extra
    }

    public enum Role: Sendable, Hashable {
        /// `prepare begin`: judge; a denial is a non-zero exit and libvirt refuses the start.
        case gate
        /// `migrate begin`, `restore begin`: judge and write the XML back when admitted.
        case filter
        /// Everything else (`reconnect`, `stopped`, `release`, `attach`, ...): exit 0 untouched.
        /// `start begin` too: libvirt runs `prepare begin` with the same XML earlier in every
        /// start (also of a restore or an incoming migration), so judging again would only double
        /// the hook's cost.
        case passThrough
    }

    public var role: Role {
        guard subOperation == "begin" else { return .passThrough }
        switch operation {
        case "prepare": return .gate
        case "migrate", "restore": return .filter
        default: return .passThrough
        }
    }
}

/// One decision: recorded in the history database, shown by the API and the dashboard.
public enum AdmissionOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    /// No denying finding.
    case admit
    /// Denying findings in `enforce` mode: the start is refused.
    case deny
    /// Denying findings in `warn` or `dryrun` mode: admitted.
    case wouldDeny = "would-deny"
    /// The hook could not decide and the failure policy admitted.
    case failedOpen = "failed-open"
    /// The hook could not decide and the failure policy refused.
    case failedClosed = "failed-closed"

    public var admitted: Bool { self != .deny && self != .failedClosed }
}
