import Core

/// Picks rules in a profile's `include`, `exclude` and `severity` lists:
/// `layer:<layer>`, `tag:<tag>`, or a rule id glob (`mac.*`, `dac.non-root-user`).
public enum RuleSelector: Sendable, Hashable, CustomStringConvertible {
    case id(Glob)
    case layer(Layer)
    case tag(String)

    public func matches(_ rule: Rule) -> Bool {
        switch self {
        case .id(let g): return g.matches(rule.id)
        case .layer(let l): return rule.layer == l
        case .tag(let t): return rule.tags.contains(t)
        }
    }

    public var description: String {
        switch self {
        case .id(let g): return g.pattern
        case .layer(let l): return "layer:" + l.rawValue
        case .tag(let t): return "tag:" + t
        }
    }
}

/// A named selection of rules with severity overrides, assigned to VMs by metadata or name.
public struct Profile: Sendable {
    public let name: String
    public let description: String
    public let isDefault: Bool
    /// nil: every rule.
    public let include: [RuleSelector]?
    public let exclude: [RuleSelector]
    /// Raises every selected rule's severity by this many levels (up to critical; info stays
    /// info), before `severityOverrides`.
    public let raise: Int
    /// Applied in file order after `raise`; a later matching entry wins.
    public let severityOverrides: [(selector: RuleSelector, severity: Severity)]
    /// VM name globs that select this profile.
    public let matchNames: [Glob]
    /// Values of the VM's `domain.metadata.profile` that select this profile (besides its name).
    public let matchMetadata: [String]
    /// Management contexts that select this profile (`Profile.contexts`, from `management.*`).
    public let matchContexts: [String]

    /// The contexts `match.contexts` may name: `kubevirt` (a KubeVirt virt-launcher pod),
    /// `container` (a container the cgroup path names), `libvirt-namespaced` (a libvirt daemon in
    /// another mount namespace) and `unmanaged` (a qemu no visible libvirt lists).
    public static let contexts = ["kubevirt", "container", "libvirt-namespaced", "unmanaged"]

    /// The contexts a VM is in, from its `management.*` facts.
    public static func contexts(of facts: JSONValue) -> Set<String> {
        var out: Set<String> = []
        if facts[path: "management.kubevirt"] == .bool(true) { out.insert("kubevirt") }
        if let c = facts[path: "management.container"], c.objectValue != nil { out.insert("container") }
        if let k = facts[path: "management.kind"]?.stringValue, k != "libvirt" { out.insert(k) }
        return out
    }
    public let file: String
    public let line: Int

    public init(name: String, description: String = "", isDefault: Bool = false, include: [RuleSelector]? = nil,
                exclude: [RuleSelector] = [], raise: Int = 0, severityOverrides: [(selector: RuleSelector, severity: Severity)] = [],
                matchNames: [Glob] = [], matchMetadata: [String] = [], matchContexts: [String] = [],
                file: String = "", line: Int = 0) {
        self.name = name
        self.description = description
        self.isDefault = isDefault
        self.include = include
        self.exclude = exclude
        self.raise = raise
        self.severityOverrides = severityOverrides
        self.matchNames = matchNames
        self.matchMetadata = matchMetadata
        self.matchContexts = matchContexts
        self.file = file
        self.line = line
    }

    /// The implicit profile used when no profile files exist: every rule at its own severity.
    public static let all = Profile(name: "default", description: "every rule at its own severity", isDefault: true)

    public func selects(_ rule: Rule) -> Bool {
        if let include, !include.contains(where: { $0.matches(rule) }) { return false }
        return !exclude.contains { $0.matches(rule) }
    }

    public func severity(for rule: Rule) -> Severity {
        var s = rule.severity
        if raise > 0 && s != .info {
            let order: [Severity] = [.low, .medium, .high, .critical]
            s = order[min(order.count - 1, order.firstIndex(of: s)! + raise)]
        }
        for o in severityOverrides where o.selector.matches(rule) { s = o.severity }
        return s
    }

    /// True when this profile is the one a VM's metadata names.
    public func isNamed(byMetadata value: String) -> Bool {
        value == name || matchMetadata.contains(value)
    }
}
