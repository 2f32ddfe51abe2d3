import Core

/// JUnit XML (the Ant/Jenkins/Surefire dialect every CI reads) for pipelines: one `testsuite` per
/// target (the host, then each VM by name), one `testcase` per rule verdict.
///
/// - pass: an empty testcase;
/// - fail: `<failure type="fail">` with observed, expected and remediation;
/// - unknown: `<failure type="unknown">` with the reason (unknown is never a pass);
/// - waived: `<skipped message="waived: REASON">` (an accepted risk, not a failure);
/// - not-applicable: `<skipped message="not applicable">`.
///
/// `classname` is `virtaudit.host` or `virtaudit.vm.<name>`; the testcase `name` is the rule id
/// (with the subject in brackets for a rule that reports several findings, `waiver.expired[dac.*]`);
/// `file` and `line` attributes come from `locate` (for `virtaudit check`).
public enum JUnitRenderer {
    public static func render(report: ScanReport, rules: [RuleText],
                              locate: FindingLocator = { _, _ in nil }) -> String {
        let byId = Dictionary(rules.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var suites: [String] = []
        var total = (tests: 0, failures: 0, skipped: 0)
        let targets: [(DomainReport?, [Finding])] = [(nil, report.host.findings)] + report.domains.map { ($0, $0.findings) }
        for (d, findings) in targets {
            var cases: [String] = []
            var counts = (tests: 0, failures: 0, skipped: 0)
            for f in findings {
                counts.tests += 1
                cases.append(testcase(f, domain: d, report: report, rule: byId[f.rule] ?? report.text(for: f), locate: locate, counts: &counts))
            }
            total.tests += counts.tests
            total.failures += counts.failures
            total.skipped += counts.skipped
            let name = d.map { "vm \($0.name)" } ?? "host \(report.host.hostname)"
            var suite = "  <testsuite name=\"\(attr(name))\" tests=\"\(counts.tests)\" failures=\"\(counts.failures)\" errors=\"0\" skipped=\"\(counts.skipped)\" time=\"0\" timestamp=\"\(attr(report.finishedAt))\" hostname=\"\(attr(report.host.hostname))\">\n"
            suite += "    <properties>\n"
            var props: [(String, String)] = [("hostId", report.hostId ?? "hostname:" + report.host.hostname), ("scanId", report.scanId)]
            if let d {
                props += [("uuid", d.uuid), ("state", d.state), ("profile", d.profile), ("score", String(d.score)), ("grade", d.grade)]
            } else {
                props += [("score", String(report.host.score)), ("grade", report.host.grade)]
            }
            for (k, v) in props { suite += "      <property name=\"\(attr(k))\" value=\"\(attr(v))\"/>\n" }
            suite += "    </properties>\n"
            suite += cases.joined()
            suite += "  </testsuite>\n"
            suites.append(suite)
        }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"virtaudit\" tests=\"\(total.tests)\" failures=\"\(total.failures)\" errors=\"0\" skipped=\"\(total.skipped)\" time=\"\(seconds(report.durationMs))\">\n"
        out += suites.joined()
        out += "</testsuites>\n"
        return out
    }

    static func testcase(_ f: Finding, domain d: DomainReport?, report: ScanReport, rule: RuleText,
                         locate: FindingLocator, counts: inout (tests: Int, failures: Int, skipped: Int)) -> String {
        let classname = d.map { "virtaudit.vm.\($0.name)" } ?? "virtaudit.host"
        // A rule with several findings on one target (an expired waiver each) names its subject.
        let name = FindingID.subject(of: f).map { "\(f.rule)[\($0)]" } ?? f.rule
        var open = "    <testcase name=\"\(attr(name))\" classname=\"\(attr(classname))\" time=\"0\""
        if let l = locate(d, f) {
            open += " file=\"\(attr(l.uri))\""
            if let line = l.line { open += " line=\"\(line)\"" }
        }
        let id = SeverityGate.id(f, domain: d, report: report)
        let observed = JSONWriter.string(f.observed)
        switch f.status {
        case .pass:
            return open + "/>\n"
        case .notApplicable:
            counts.skipped += 1
            return open + ">\n      <skipped message=\"not applicable\"/>\n    </testcase>\n"
        case .waived:
            counts.skipped += 1
            let was = f.waiver?["status"]?.stringValue.map { " (\($0))" } ?? ""
            return open + ">\n      <skipped message=\"\(attr("waived\(was): " + (f.reason ?? "")))\"/>\n    </testcase>\n"
        case .fail, .unknown:
            counts.failures += 1
            let message = f.status == .unknown
                ? "[\(f.severity.rawValue)] \(rule.title): unknown" + (f.reason.map { " (\($0))" } ?? "")
                : "[\(f.severity.rawValue)] \(rule.title)"
            var body = "rule: \(f.rule)\nid: \(id)\nseverity: \(f.severity.rawValue)\nlayer: \(f.layer.rawValue)\n"
            body += "status: \(f.status.rawValue)\n"
            if let r = f.reason { body += "reason: \(r)\n" }
            body += "observed: \(observed)\nexpected: \(rule.expected)\n"
            let remediation = rule.remediation
            if !remediation.isEmpty { body += "remediation: \(remediation)\n" }
            if case let refs = rule.references, !refs.isEmpty { body += "references: \(refs.joined(separator: " "))\n" }
            return open + ">\n      <failure message=\"\(attr(message))\" type=\"\(f.status.rawValue)\">\(text(body))</failure>\n    </testcase>\n"
        }
    }

    static func seconds(_ ms: Double) -> String {
        let s = (ms / 10).rounded() / 100
        return String(s)
    }

    /// Attribute text: markup escaped, characters XML 1.0 forbids dropped, line breaks kept as
    /// character references.
    static func attr(_ s: String) -> String { escape(s, attribute: true) }
    static func text(_ s: String) -> String { escape(s, attribute: false) }

    static func escape(_ s: String, attribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "'" where attribute: out += "&apos;"
            case "\n" where attribute: out += "&#10;"
            case "\r": out += "&#13;"
            case "\t" where attribute: out += "&#9;"
            case "\t", "\n": out.unicodeScalars.append(u)
            default:
                let v = u.value
                // XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
                if (0x20...0xD7FF).contains(v) || (0xE000...0xFFFD).contains(v) || v >= 0x10000 {
                    out.unicodeScalars.append(u)
                } else {
                    out += "\u{FFFD}"
                }
            }
        }
        return out
    }
}
