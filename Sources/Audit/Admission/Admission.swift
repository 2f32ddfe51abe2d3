import Core
import Foundation
import HostProbes

/// Admission control: judges a domain definition (the XML libvirt hands its qemu hook) with the
/// same pipeline as `virtaudit check` and a live scan (`OfflineCheck` -> `Evaluator`), plus the
/// host facts that are cheap to read (`HostProbe`: qemu.conf, LSM state, kernel; the IOMMU groups
/// of the VM's hostdevs). Rules that need
/// a running qemu process are not decidable before it exists and never deny.
public enum Admission {
    /// A rule that denies (or would deny) the VM.
    public struct Denial: Sendable, Hashable, Codable {
        public var rule: String
        public var severity: Severity
        public var layer: Layer
        /// `fail`, or `unknown` when the fact could not be read (unknown is never pass).
        public var status: String
        public var title: String
        public var observed: JSONValue
        public var remediation: String
        public var reason: String?

        /// One line for libvirt's error text: rule id, observed, remediation.
        public var line: String {
            var s = "\(rule) (\(severity.rawValue), \(layer.rawValue)) \(status): observed \(JSONWriter.string(observed))"
            if status == "unknown", let reason { s += " (\(reason))" }
            s += "; remediation: \(remediation)"
            return s.split(whereSeparator: \.isNewline).joined(separator: " ")
        }
    }

    /// What the policies say about one definition.
    public struct Verdict: Sendable, Hashable {
        public var name: String
        public var uuid: String
        public var denials: [Denial]
        /// Rules that would deny but a (current) waiver accepts for this VM.
        public var waived: [String]
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        case input(String)
        case policy(String)
        case timeout(Int)

        public var description: String {
            switch self {
            case .input(let m): return "domain XML on standard input is not usable: \(m)"
            case .policy(let m): return m
            case .timeout(let ms): return "no decision within the \(ms) ms budget"
            }
        }
    }

    /// Judges one domain XML document. `host` is the host fact tree (nil: the host is unknown,
    /// its rules undecided).
    /// `hostRoot`: the host whose IOMMU groups the hostdevs are judged against (nil: undecided).
    public static func judge(xml: [UInt8], auditor: Auditor, settings: AdmissionSettings, host: FactBuilder?,
                             hostRoot: HostRoot? = nil, now: Date = Date()) throws(Failure) -> Verdict {
        let report: CheckReport
        switch OfflineCheck.run([CheckArtifact(name: "domain XML", bytes: notStarted(xml))], auditor: auditor, now: now, host: host, hostRoot: hostRoot) {
        case .success(let r): report = r
        case .failure(let e): throw .input(e.description)
        }
        guard report.inputs.count == 1, report.inputs[0].kind == .domainXML || report.inputs[0].kind == .domainStatusXML else {
            throw .input("expected one <domain> document, got \(report.inputs.first?.format ?? "nothing")")
        }
        guard report.targets.count == 1, let t = report.targets.first else {
            throw .input("expected one domain, got \(report.targets.count)")
        }
        var denials: [Denial] = []
        var waived: [String] = []
        for c in t.findings where settings.denySeverities.contains(c.finding.severity) {
            let f = c.finding
            let text = ScanReport.text(for: f, in: report.rules)
            switch c.status {
            case "fail", "unknown":
                denials.append(Denial(rule: f.rule, severity: f.severity, layer: f.layer, status: c.status, title: text.title,
                                      observed: f.observed, remediation: text.remediation, reason: f.reason))
            case "waived":
                waived.append(f.rule)
            default:
                break
            }
        }
        return Verdict(name: t.name, uuid: t.uuid, denials: denials.sorted { $0.rule < $1.rule }, waived: waived.sorted())
    }

    /// The XML libvirt hands the hook at `prepare begin` already carries the new domain id, but no
    /// qemu runs yet: without the root element's `id` attribute the definition is judged as a VM
    /// that is not running (its XML rules decided, its process rules not applicable), as a
    /// shut-off VM is in a scan.
    static func notStarted(_ xml: [UInt8]) -> [UInt8] {
        guard let text = String(bytes: xml, encoding: .utf8), let open = text.range(of: "<domain"),
              let close = text.range(of: ">", range: open.upperBound..<text.endIndex) else { return xml }
        let tag = text[open.lowerBound..<close.upperBound]
        guard let id = tag.range(of: #"\sid\s*=\s*('[^']*'|"[^"]*")"#, options: .regularExpression) else { return xml }
        var out = text
        out.removeSubrange(id)
        return Array(out.utf8)
    }

    /// The outcome of a verdict in a mode.
    public static func outcome(_ v: Verdict, mode: AdmissionMode) -> AdmissionOutcome {
        if v.denials.isEmpty { return .admit }
        return mode == .enforce ? .deny : .wouldDeny
    }

    /// The outcome when no verdict could be reached.
    public static func outcome(failure policy: AdmissionFailurePolicy) -> AdmissionOutcome {
        policy == .failOpen ? .failedOpen : .failedClosed
    }

    /// The host facts admission reads: qemu.conf, LSM state, kernel (`HostProbe`), all files under
    /// `root`, no libvirt call.
    public static func hostFacts(root: HostRoot) -> FactBuilder {
        HostProbe.collect(root: root)
    }
}
