import Core

/// `virtaudit scan --explain VM`: every rule's verdict for one VM, grouped by layer, with what
/// was observed, what was expected, the points it cost and what to change.
public enum ExplainRenderer {
    public static func render(_ d: DomainReport, rules: [String: RuleText]) -> String {
        var out = "\(d.name) (\(d.uuid)) \(d.state), profile \(d.profile): score \(d.score), grade \(d.grade)"
        if let standing = d.layersStanding, let total = d.layersTotal { out += ", layers standing \(standing) of \(total)" }
        out += "\n"
        for layer in Layer.allCases {
            let findings = d.findings.filter { $0.layer == layer }
            guard !findings.isEmpty else { continue }
            let sub = d.layers[layer.rawValue].map { l in " sub-score \(l.score.map(String.init) ?? "-")\(l.down ? " (DOWN)" : "")" } ?? ""
            out += "\n[\(layer.rawValue)] \(layer.title)\(sub)\n"
            for f in findings.sorted(by: { ($0.status.order, -$0.severity.rank, $0.rule) < ($1.status.order, -$1.severity.rank, $1.rule) }) {
                let text = ScanReport.text(for: f, in: rules)
                out += "  \(f.status.rawValue.uppercased().padding(14)) \(f.severity.rawValue.padding(8)) \(f.rule): \(text.title)\n"
                if f.status == .notApplicable { continue }
                out += "      observed: \(observed(f.observed))\n"
                out += "      expected: \(text.expected)\n"
                if let r = f.reason { out += "      reason:   \(r)\n" }
                if f.pointsLost > 0 { out += "      cost:     \(String(format: "%.1f", f.pointsLost)) points\n" }
                if f.status == .fail || f.status == .unknown { out += "      fix:      \(text.remediation)\n" }
                if let w = f.waiver { out += "      waiver:   \(JSONWriter.string(w))\n" }
            }
        }
        return out
    }

    static func observed(_ v: JSONValue) -> String {
        if case .object(let o) = v, !o.isEmpty {
            return o.keys.sorted().map { "\($0) = \(JSONWriter.string(o[$0]!))" }.joined(separator: ", ")
        }
        return JSONWriter.string(v)
    }
}

extension FindingStatus {
    var order: Int {
        switch self {
        case .fail: return 0
        case .unknown: return 1
        case .waived: return 2
        case .pass: return 3
        case .notApplicable: return 4
        }
    }
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
