import Core

/// The terminal text of `virtaudit check`: per input its kind, per VM its score over the rules
/// the input decides, the failing findings with file:line, and how many rules were
/// not-applicable-offline.
public enum CheckRenderer {
    public static func table(_ r: CheckReport) -> String {
        var out = ""
        for i in r.inputs {
            out += "\(i.file): \(i.kind.rawValue) (\(i.format))"
            if !i.targets.isEmpty { out += " -> \(i.targets.joined(separator: ", "))" }
            out += "\n"
        }
        for w in r.warnings { out += "warning: \(w)\n" }
        out += "\n"
        if r.targets.isEmpty { out += "(no VM in the input: host devices only)\n" }
        var rows = [["NAME", "STATE", "SCORE", "GRADE", "FAIL", "PASS", "UNKNOWN", "N/A-OFFLINE"]]
        for t in r.targets {
            rows.append([t.name, t.state, String(t.score), t.grade, String(t.counts["fail"] ?? 0), String(t.counts["pass"] ?? 0),
                         String(t.counts["unknown"] ?? 0), String(t.counts["not-applicable-offline"] ?? 0)])
        }
        if !r.targets.isEmpty { out += TableRenderer.formatTable(rows) }
        for t in r.targets {
            let shown = t.findings.filter { $0.status == "fail" || $0.status == "unknown" || $0.status == "waived" }
                .sorted { ($0.finding.severity.rank, $1.finding.rule) > ($1.finding.severity.rank, $0.finding.rule) }
            guard !shown.isEmpty else { continue }
            out += "\n\(t.name):\n"
            for f in shown {
                let loc = f.location.map { "\($0.file):\($0.line)" } ?? "-"
                out += "  \(TableRenderer.pad(f.status.uppercased(), 8)) \(TableRenderer.pad(f.finding.severity.rawValue, 8)) \(f.finding.rule): \(ScanReport.text(for: f.finding, in: r.rules).title)  [\(loc)]\n"
                if f.status == "unknown", let why = f.finding.reason { out += "           \(why)\n" }
            }
        }
        if let groups = r.iommu?["groups"]?.arrayValue, !groups.isEmpty {
            out += "\nIOMMU groups in the listings:\n"
            for g in groups {
                let viable: String
                switch g["viable"] {
                case .bool(true)?: viable = "viable"
                case .bool(false)?: viable = "NOT viable"
                default: viable = "viability unknown"
                }
                let members = (g["devices"]?.arrayValue ?? []).map { d -> String in
                    let addr = d["address"]?.stringValue ?? "?"
                    let driver = d["driverKnown"] == .bool(false) ? "driver unknown" : (d["driver"]?.stringValue ?? "no driver")
                    let assigned = (d["assignedTo"]?.arrayValue ?? []).compactMap(\.stringValue)
                    return addr + " (" + driver + (assigned.isEmpty ? "" : ", assigned to " + assigned.joined(separator: ", ")) + ")"
                }
                out += "  group \(g["group"]?.intValue.map(String.init) ?? "?"): \(viable): \(members.joined(separator: ", "))\n"
                for reason in (g["reasons"]?.arrayValue ?? []).compactMap(\.stringValue) { out += "    \(reason)\n" }
            }
        }
        let ungrouped = (r.iommu?["devices"]?.arrayValue ?? []).filter { $0["group"]?.isNull ?? true }
        if !ungrouped.isEmpty {
            out += "\nPCI devices without an IOMMU group in the input (no IOMMU, or not listed):\n"
            for d in ungrouped {
                let driver = d["driver"] == .string("unknown") ? "driver unknown" : (d["driver"]?.stringValue ?? "no driver")
                out += "  \(d["address"]?.stringValue ?? "?") (\(driver)) from \(d["source"]?.stringValue ?? "?")\n"
            }
        }
        let offline = r.targets.reduce(0) { $0 + ($1.counts["not-applicable-offline"] ?? 0) }
        if offline > 0 {
            out += "\n\(offline) rule verdict(s) not-applicable-offline: they need the running qemu process or the host (see --format json for each reason).\n"
            out += "Scores count only the rules the input decides; not-applicable-offline is neither pass nor fail.\n"
        }
        return out
    }
}
