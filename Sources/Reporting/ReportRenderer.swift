import Core
import Foundation
import History

/// Renders a scan (and what changed since the previous report) as JSON, HTML and Markdown.
public enum ReportRenderer {
    static let severities: [Severity] = [.critical, .high, .medium, .low, .info]

    static func failing(_ findings: [Finding]) -> [Finding] {
        findings.filter { $0.status == .fail || $0.status == .unknown }
            .sorted { ($0.severity.rank, $1.rule) > ($1.severity.rank, $0.rule) }
    }

    static func counts(_ report: ScanReport) -> [Severity: Int] {
        var c: [Severity: Int] = [:]
        for f in report.domains.flatMap(\.findings) + report.host.findings where f.status == .fail {
            c[f.severity, default: 0] += 1
        }
        return c
    }

    static func grades(_ report: ScanReport) -> [(String, Int)] {
        var g: [String: Int] = [:]
        for d in report.domains { g[d.grade, default: 0] += 1 }
        return g.sorted { $0.key < $1.key }
    }

    /// "N of M" layers standing, or "-" for a report recorded before they were kept.
    static func standing(_ standing: Int?, _ total: Int?) -> String {
        guard let standing, let total else { return "-" }
        return "\(standing) of \(total)"
    }

    /// Each layer's sub-score in layer order: "dac 100, mac 0 (down), seccomp -".
    /// ` (unmanaged qemu)` or ` (libvirt in another mount namespace)` after the state of a VM the
    /// connected libvirt does not list (`management.kind`); empty for its own domains.
    static func managed(_ d: DomainReport) -> String {
        switch d.facts[path: "management.kind"]?.stringValue {
        case "unmanaged": return " (unmanaged qemu)"
        case "libvirt-namespaced":
            return d.facts[path: "management.kubevirt"] == .bool(true) ? " (KubeVirt pod)" : " (libvirt in another mount namespace)"
        default: return ""
        }
    }

    static func layerLine(_ layers: [String: LayerScore]) -> String {
        Layer.allCases.compactMap { layer -> String? in
            guard let l = layers[layer.rawValue] else { return nil }
            return "\(layer.rawValue) \(l.score.map(String.init) ?? "-")\(l.down ? " (down)" : "")"
        }.joined(separator: ", ")
    }

    // MARK: JSON

    /// The JSON report file: `kind`, `generatedAt`, `summary`, the scan (`report`, results
    /// format 2, listing `listing`) and `changes` since the previous report (or null).
    public static func json(_ report: ScanReport, diff: ScanDiff?, listing: FindingsListing = .problems) -> String {
        var s = JSONStream(pretty: true, capacity: 1 << 16)
        s.beginObject()
        s.field("kind", "virtaudit-report")
        s.field("generatedAt", Timestamp.format(Date()))
        s.key("summary"); s.value(summary(report))
        s.key("report"); ResultsJSON.writeReport(report, listing: listing, into: &s)
        s.key("changes"); s.value(diff.flatMap { try? JSONValue(encoding: $0) })
        s.endObject()
        return String(decoding: s.bytes, as: UTF8.self) + "\n"
    }

    static func summary(_ report: ScanReport) -> JSONValue {
        let c = counts(report)
        return [
            "host": ["name": .string(report.host.hostname), "score": .int(report.host.score), "grade": .string(report.host.grade),
                     "layersStanding": .from(report.host.layersStanding), "layersTotal": .from(report.host.layersTotal)],
            "domains": .int(report.domains.count),
            "byGrade": .object(Dictionary(grades(report).map { ($0.0, JSONValue.int($0.1)) }, uniquingKeysWith: { a, _ in a })),
            "failingBySeverity": .object(Dictionary(severities.map { ($0.rawValue, JSONValue.int(c[$0] ?? 0)) }, uniquingKeysWith: { a, _ in a })),
            "scanId": .string(report.scanId),
            "finishedAt": .string(report.finishedAt),
            "stale": .bool(report.stale),
        ]
    }

    // MARK: Markdown

    public static func markdown(_ report: ScanReport, diff: ScanDiff?) -> String {
        var md = "# virtaudit report: \(report.host.hostname)\n\n"
        md += "Scan `\(report.scanId)` finished \(report.finishedAt) (\(report.domains.count) domains, \(report.connection))"
        md += report.stale ? ". **Stale: libvirt was unreachable; these are the last good results.**\n\n" : ".\n\n"
        md += "**Host score \(report.host.score) (grade \(report.host.grade), layers standing \(standing(report.host.layersStanding, report.host.layersTotal))).** "
        let c = counts(report)
        md += "Failing findings: " + severities.map { "\($0.rawValue) \(c[$0] ?? 0)" }.joined(separator: ", ") + ".\n\n"
        if let d = diff {
            md += "## Changes since the previous report (\(d.fromAt))\n\n"
            if d.new.isEmpty && d.resolved.isEmpty && d.changed.isEmpty && d.addedTargets.isEmpty && d.removedTargets.isEmpty {
                md += "No change.\n\n"
            }
            for ch in d.new { md += "- NEW \(ch.finding.severity) `\(ch.finding.rule)` on \(mdEscape(ch.name)): \(mdEscape(ch.finding.title))\n" }
            for ch in d.resolved { md += "- RESOLVED `\(ch.finding.rule)` on \(mdEscape(ch.name))\n" }
            for ch in d.changed { md += "- CHANGED `\(ch.finding.rule)` on \(mdEscape(ch.name)): \(ch.previous?.status ?? "?") -> \(ch.finding.status)\n" }
            for n in d.addedTargets { md += "- VM added: \(mdEscape(n))\n" }
            for n in d.removedTargets { md += "- VM removed: \(mdEscape(n))\n" }
            md += "\n"
        }
        md += "## Virtual machines\n\n| VM | state | score | grade | layers standing | failing |\n|---|---|---:|:---:|:---:|---:|\n"
        for d in report.domains.sorted(by: { ($0.score, $0.name) < ($1.score, $1.name) }) {
            md += "| \(mdEscape(d.name)) | \(d.state)\(managed(d)) | \(d.score) | \(d.grade) | \(standing(d.layersStanding, d.layersTotal)) | \(d.findings.filter { $0.status == .fail }.count) |\n"
        }
        md += "\n## Host findings\n\n" + mdFindings(failing(report.host.findings), report.rules)
        for d in report.domains.sorted(by: { ($0.score, $0.name) < ($1.score, $1.name) }) {
            let f = failing(d.findings)
            if f.isEmpty { continue }
            md += "\n## \(mdEscape(d.name)) (score \(d.score), grade \(d.grade))\n\n"
            md += "Layers standing \(standing(d.layersStanding, d.layersTotal)): \(layerLine(d.layers)).\n\n" + mdFindings(f, report.rules)
        }
        return md
    }

    static func mdFindings(_ findings: [Finding], _ rules: [String: RuleText]) -> String {
        if findings.isEmpty { return "None.\n" }
        return findings.map { f in
            let text = ScanReport.text(for: f, in: rules)
            var s = "- **\(f.severity.rawValue.uppercased())** \(f.status.rawValue) `\(f.rule)` (\(f.layer.rawValue)): \(mdEscape(text.title))\n"
            if let r = f.reason { s += "  - reason: \(mdEscape(r))\n" }
            s += "  - expected: \(mdEscape(text.expected))\n  - fix: \(mdEscape(text.remediation))\n"
            return s
        }.joined()
    }

    static func mdEscape(_ s: String) -> String {
        var out = ""
        for ch in s {
            if "\\`*_[]<>|#".contains(ch) { out.append("\\") }
            out.append(ch == "\n" ? " " : ch)
        }
        return out
    }

    // MARK: HTML

    public static func html(_ report: ScanReport, diff: ScanDiff?) -> String {
        let c = counts(report)
        var h = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>virtaudit report: \(esc(report.host.hostname)) \(esc(report.finishedAt))</title>
            <style>
            body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1d232a;background:#fff}
            h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d5dbe1;padding-bottom:.3rem}
            table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #e4e8ec;vertical-align:top}
            th{background:#f3f5f7}.num{text-align:right}.grade{font-weight:700}
            .sev{display:inline-block;min-width:5.5rem;font-weight:700}.critical{color:#9b1c1c}.high{color:#b4410e}.medium{color:#8a6100}.low{color:#3b5d7a}.info{color:#555}
            .muted{color:#5b6670}code{background:#f3f5f7;padding:0 .25rem;border-radius:3px}
            .stale{background:#fff4d6;border:1px solid #e0b84a;padding:.5rem .8rem}
            @media (prefers-color-scheme: dark){body{background:#15191d;color:#e3e7eb}th{background:#22282e}td,th{border-color:#2d343b}code{background:#22282e}.muted{color:#9aa5af}.stale{background:#3a3013}}
            </style></head><body>
            <h1>virtaudit report: \(esc(report.host.hostname))</h1>
            <p class="muted">Scan <code>\(esc(report.scanId))</code> finished \(esc(report.finishedAt)); \(report.domains.count) domains; \(esc(report.connection)).</p>

            """
        if report.stale { h += "<p class=\"stale\">Stale: libvirt was unreachable; these are the last good results.</p>\n" }
        h += "<p><strong>Host score \(report.host.score), grade \(esc(report.host.grade)), layers standing \(standing(report.host.layersStanding, report.host.layersTotal)).</strong> Failing findings: "
        h += severities.map { "<span class=\"\($0.rawValue)\">\($0.rawValue) \(c[$0] ?? 0)</span>" }.joined(separator: ", ") + ".</p>\n"
        if let d = diff {
            h += "<h2>Changes since the previous report (\(esc(d.fromAt)))</h2>\n<ul>\n"
            for ch in d.new { h += "<li>New <span class=\"sev \(esc(ch.finding.severity))\">\(esc(ch.finding.severity))</span> <code>\(esc(ch.finding.rule))</code> on \(esc(ch.name)): \(esc(ch.finding.title))</li>\n" }
            for ch in d.resolved { h += "<li>Resolved <code>\(esc(ch.finding.rule))</code> on \(esc(ch.name))</li>\n" }
            for ch in d.changed { h += "<li>Changed <code>\(esc(ch.finding.rule))</code> on \(esc(ch.name)): \(esc(ch.previous?.status ?? "?")) to \(esc(ch.finding.status))</li>\n" }
            for n in d.addedTargets { h += "<li>VM added: \(esc(n))</li>\n" }
            for n in d.removedTargets { h += "<li>VM removed: \(esc(n))</li>\n" }
            if d.new.isEmpty && d.resolved.isEmpty && d.changed.isEmpty && d.addedTargets.isEmpty && d.removedTargets.isEmpty { h += "<li>No change.</li>\n" }
            h += "</ul>\n"
        }
        h += "<h2>Virtual machines</h2>\n<table><thead><tr><th scope=\"col\">VM</th><th scope=\"col\">State</th><th scope=\"col\" class=\"num\">Score</th><th scope=\"col\">Grade</th><th scope=\"col\">Layers standing</th><th scope=\"col\" class=\"num\">Failing</th></tr></thead><tbody>\n"
        for d in report.domains.sorted(by: { ($0.score, $0.name) < ($1.score, $1.name) }) {
            h += "<tr><td><a href=\"#vm-\(esc(d.uuid))\">\(esc(d.name))</a></td><td>\(esc(d.state + managed(d)))</td><td class=\"num\">\(d.score)</td><td class=\"grade\">\(esc(d.grade))</td><td>\(standing(d.layersStanding, d.layersTotal))</td><td class=\"num\">\(d.findings.filter { $0.status == .fail }.count)</td></tr>\n"
        }
        h += "</tbody></table>\n<h2>Host findings</h2>\n" + htmlFindings(failing(report.host.findings), report.rules)
        for d in report.domains.sorted(by: { ($0.score, $0.name) < ($1.score, $1.name) }) {
            h += "<h2 id=\"vm-\(esc(d.uuid))\">\(esc(d.name)): score \(d.score), grade \(esc(d.grade))</h2>\n"
            h += "<p class=\"muted\">Layers standing \(standing(d.layersStanding, d.layersTotal)): \(esc(layerLine(d.layers))).</p>\n"
            h += htmlFindings(failing(d.findings), report.rules)
        }
        h += "</body></html>\n"
        return h
    }

    static func htmlFindings(_ findings: [Finding], _ rules: [String: RuleText]) -> String {
        if findings.isEmpty { return "<p>No failing or unknown findings.</p>\n" }
        var h = "<table><thead><tr><th scope=\"col\">Severity</th><th scope=\"col\">Finding</th><th scope=\"col\">Expected / fix</th></tr></thead><tbody>\n"
        for f in findings {
            let text = ScanReport.text(for: f, in: rules)
            h += "<tr><td><span class=\"sev \(f.severity.rawValue)\">\(f.severity.rawValue)</span><br>\(esc(f.status.rawValue))</td>"
            h += "<td><code>\(esc(f.rule))</code> (\(esc(f.layer.rawValue)))<br>\(esc(text.title))"
            if let r = f.reason { h += "<br><span class=\"muted\">\(esc(r))</span>" }
            h += "</td><td>\(esc(text.expected))<br><span class=\"muted\">\(esc(text.remediation))</span></td></tr>\n"
        }
        return h + "</tbody></table>\n"
    }

    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
