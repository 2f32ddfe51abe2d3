import Core

/// Human-readable explanations: what a rule checks and why, and every verdict on a VM.
public enum Explain {
    public static func rule(_ rule: Rule) -> String {
        var out = "\(rule.id): \(rule.title)\n"
        out += "  layer: \(rule.layer.rawValue) (\(rule.layer.title)), severity: \(rule.severity.rawValue), "
        out += "weight: \(format(rule.weight)), scope: \(rule.scope.rawValue)\n"
        if rule.breaksLayer { out += "  breaks layer: a failure or unknown takes the whole \(rule.layer.rawValue) layer down (sub-score 0)\n" }
        if let when = rule.when {
            out += "  applies when:\n" + when.expr.prettyPrinted(indent: "    ") + "\n"
        }
        out += "  checks:\n" + rule.check.expr.prettyPrinted(indent: "    ") + "\n"
        out += "  expected: \(rule.expected)\n"
        if !rule.rationale.isEmpty { out += "  why: \(rule.rationale)\n" }
        out += "  remediation: \(rule.remediation)\n"
        if !rule.references.isEmpty {
            out += "  references:\n" + rule.references.map { "    - \($0)\n" }.joined()
        }
        if !rule.tags.isEmpty { out += "  tags: \(rule.tags.joined(separator: ", "))\n" }
        if !rule.file.isEmpty { out += "  defined at: \(rule.file):\(rule.line)\n" }
        return out
    }

    /// Every rule's verdict on one VM, worst first, with observed against expected.
    public static func verdicts(_ v: DomainVerdict, rules: [String: RuleText]) -> String {
        var out = "\(v.name) (\(v.uuid)): score \(v.score.score)/100, grade \(v.score.grade), layers standing \(v.score.layersStanding) of \(v.score.layersTotal), profile \(v.profile)\n"
        for note in v.notes { out += "  note: \(note)\n" }
        out += layers(v.score)
        out += findings(v.findings, rules: rules)
        return out
    }

    public static func verdicts(_ v: HostVerdict, rules: [String: RuleText]) -> String {
        var out = "host: score \(v.score.score)/100, grade \(v.score.grade), layers standing \(v.score.layersStanding) of \(v.score.layersTotal), profile \(v.profile)\n"
        for note in v.notes { out += "  note: \(note)\n" }
        return out + layers(v.score) + findings(v.findings, rules: rules)
    }

    static func layers(_ score: Score) -> String {
        var out = ""
        for layer in Layer.allCases {
            guard let l = score.layers[layer.rawValue] else { continue }
            var counts = "\(l.pass) pass, \(l.fail) fail, \(l.unknown) unknown"
            if l.waived > 0 { counts += ", \(l.waived) waived" }
            let sub = l.score.map { "\($0)/100" } ?? "-"
            out += "  layer \(layer.rawValue): \(sub)\(l.down ? " DOWN" : "") (\(counts))\n"
        }
        return out
    }

    static func findings(_ findings: [Finding], rules: [String: RuleText]) -> String {
        let order: [FindingStatus: Int] = [.fail: 0, .unknown: 1, .waived: 2, .pass: 3, .notApplicable: 4]
        let sorted = findings.enumerated().sorted { a, b in
            let x = (order[a.element.status]!, -a.element.severity.rank, -a.element.pointsLost, a.offset)
            let y = (order[b.element.status]!, -b.element.severity.rank, -b.element.pointsLost, b.offset)
            return x < y
        }.map(\.element)
        var out = ""
        for f in sorted {
            let text = ScanReport.text(for: f, in: rules)
            out += "\n\(f.status.rawValue.uppercased()) \(f.rule) [\(f.layer.rawValue), \(f.severity.rawValue)"
            if f.pointsLost > 0 { out += ", -\(format(f.pointsLost)) points" }
            out += "] \(text.title)\n"
            if case .object(let o) = f.observed, !o.isEmpty {
                out += "  observed: " + o.keys.sorted().map { "\($0) = \(JSONWriter.string(o[$0]!))" }.joined(separator: ", ") + "\n"
            }
            out += "  expected: \(text.expected)\n"
            if let reason = f.reason { out += "  \(f.status == .waived ? "waived" : "reason"): \(reason)\n" }
            if let w = f.waiver {
                out += "  waiver: owner \(w["owner"]?.stringValue ?? "?"), expires \(w["expires"]?.stringValue ?? "?"), \(w["source"]?.stringValue ?? "")\n"
            }
            if f.status == .fail || f.status == .unknown { out += "  remediation: \(text.remediation)\n" }
        }
        return out
    }

    static func format(_ d: Double) -> String {
        d.rounded() == d ? String(Int(d)) : String((d * 100).rounded() / 100)
    }
}
