import Core

extension RuleText {
    /// A rule's texts, as results documents carry them under `rules`.
    public init(_ r: Rule) {
        self.init(id: r.id, title: r.title, layer: r.layer, severity: r.severity, expected: r.expected,
                  rationale: r.rationale, remediation: r.remediation, references: r.references, tags: r.tags)
    }

    /// The texts of `waiver.expired`, which no rule file defines: the finding's `reason` and
    /// `observed` (the waiver, the rules it covered) say which waiver and where.
    public static let expiredWaiver = RuleText(
        id: ExpiredWaiver.ruleId, title: "A waiver has expired", layer: .host, severity: ExpiredWaiver.severity,
        expected: "no expired waivers: every waiver is renewed or removed by its expiry date",
        rationale: "An expired waiver no longer hides its rules: they are scored again, and the waiver file should say so.",
        remediation: "Fix the rules listed in `observed.rules` and delete the waiver (its file and line are in `reason`), or renew it with a new 'expires' date if the risk is still accepted.")

    /// Every loaded rule's texts, in policy order.
    public static func all(_ policies: PolicySet) -> [RuleText] { policies.rules.map(RuleText.init) }
}

extension PolicySet {
    /// The texts of every loaded rule and of `waiver.expired`, by rule id: what a scan's
    /// `ScanReport.rules` holds.
    public var ruleTexts: [String: RuleText] {
        var out: [String: RuleText] = [RuleText.expiredWaiver.id: .expiredWaiver]
        for r in rules { out[r.id] = RuleText(r) }
        return out
    }
}
