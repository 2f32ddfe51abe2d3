import Core

public enum RuleScope: String, Sendable, Hashable, CaseIterable {
    /// Evaluated once per VM, over the VM's facts plus the host's under `host.`.
    case domain
    /// Evaluated once per host, over the host's facts.
    case host
}

/// A parsed `check` or `when` expression, kept with its source text.
public struct Expression: Sendable, CustomStringConvertible {
    public let source: String
    public let expr: Expr
    /// Fact paths read by the expression, deduplicated, in order of appearance (for `observed`).
    public let observedPaths: [FactPath]
    public let references: [Parser.Reference]

    public init(_ source: String) throws(ExpressionError) {
        let (expr, refs) = try Parser.parse(source)
        self.source = source
        self.expr = expr
        self.references = refs
        var seen = Set<String>()
        observedPaths = refs.map(\.observedPath).filter { seen.insert($0.text).inserted }
    }

    public var description: String { expr.description }
}

/// One rule of the layered-defense policy (`policies/rules/<layer>.yaml`).
public struct Rule: Sendable {
    public let id: String
    public let layer: Layer
    public let scope: RuleScope
    public let severity: Severity
    /// The weight given in the file, if any; otherwise the weight follows the (profile's) severity.
    public let explicitWeight: Double?
    public let title: String
    public let when: Expression?
    public let check: Expression
    public let expected: String
    public let rationale: String
    public let remediation: String
    public let references: [String]
    public let tags: [String]
    /// `breaks_layer: true`: the rule guards a protection without which the layer does not
    /// stand (labelling off, qemu as root, no seccomp filter...). When it fails or is unknown
    /// the layer counts as down: sub-score 0 for the score (Docs/scoring.md).
    public let breaksLayer: Bool
    public let file: String
    public let line: Int

    public init(id: String, layer: Layer, scope: RuleScope = .domain, severity: Severity, weight: Double? = nil,
                title: String, when: Expression? = nil, check: Expression, expected: String? = nil,
                rationale: String = "", remediation: String, references: [String] = [], tags: [String] = [],
                breaksLayer: Bool = false, file: String = "", line: Int = 0) {
        self.id = id
        self.layer = layer
        self.scope = scope
        self.severity = severity
        self.explicitWeight = weight
        self.title = title
        self.when = when
        self.check = check
        self.expected = expected ?? check.expr.description
        self.rationale = rationale
        self.remediation = remediation
        self.references = references
        self.tags = tags
        self.breaksLayer = breaksLayer
        self.file = file
        self.line = line
    }

    /// The rule's weight at its own severity.
    public var weight: Double { explicitWeight ?? Rule.defaultWeight(severity) }

    /// The weight at `severity` (a profile may change the severity; an explicit weight stays).
    public func weight(at severity: Severity) -> Double { explicitWeight ?? Rule.defaultWeight(severity) }

    public static func defaultWeight(_ severity: Severity) -> Double {
        switch severity {
        case .critical: return 10
        case .high: return 6
        case .medium: return 3
        case .low: return 1
        case .info: return 0
        }
    }
}
