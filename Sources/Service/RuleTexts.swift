import Policy
import Reporting

extension RuleText {
    /// A rule's texts for the SARIF and JUnit renderers.
    public init(_ r: Rule) {
        self.init(id: r.id, title: r.title, layer: r.layer, severity: r.severity, expected: r.expected,
                  rationale: r.rationale, remediation: r.remediation, references: r.references, tags: r.tags)
    }

    /// Every loaded rule's texts, in policy order.
    public static func all(_ policies: PolicySet) -> [RuleText] { policies.rules.map(RuleText.init) }
}
