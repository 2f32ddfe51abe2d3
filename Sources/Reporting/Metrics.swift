import Core
import Foundation
import History

/// Renders the Prometheus text exposition format (version 0.0.4) for `GET /metrics`.
public enum MetricsRenderer {
    public struct ServiceState: Sendable {
        public var libvirtConnected: Bool
        public var stale: Bool
        public var scansTotal: Int
        public var scanFailuresTotal: Int
        /// Outbox entries by delivery state (pending, delivered, failed, expired).
        public var alerts: [String: Int]
        public var eventsTotal: Int
        /// How scans reach the history database.
        public var history = History()

        public struct History: Sendable {
            /// Failed scan writes (each retry of a held scan counts).
            public var writeFailuresTotal = 0
            /// Scans held in memory until the database takes them.
            public var pendingScans = 0
            /// Scans dropped unwritten from a full backlog.
            public var scansDroppedTotal = 0
            /// Alerts held in memory because the outbox could not be written.
            public var heldAlerts = 0
            public init(writeFailuresTotal: Int = 0, pendingScans: Int = 0, scansDroppedTotal: Int = 0, heldAlerts: Int = 0) {
                self.writeFailuresTotal = writeFailuresTotal
                self.pendingScans = pendingScans
                self.scansDroppedTotal = scansDroppedTotal
                self.heldAlerts = heldAlerts
            }
        }

        /// Admission decisions of the qemu hook (history database), by decision and mode.
        public var admissions: [AdmissionCount]

        public init(libvirtConnected: Bool, stale: Bool, scansTotal: Int, scanFailuresTotal: Int = 0,
                    alerts: [String: Int] = [:], eventsTotal: Int = 0, admissions: [AdmissionCount] = []) {
            self.libvirtConnected = libvirtConnected
            self.stale = stale
            self.scansTotal = scansTotal
            self.scanFailuresTotal = scanFailuresTotal
            self.alerts = alerts
            self.eventsTotal = eventsTotal
            self.admissions = admissions
        }
    }

    static let gradeValue: [String: Int] = ["A": 5, "B": 4, "C": 3, "D": 2, "E": 1, "F": 0]

    public static func render(_ report: ScanReport?, state: ServiceState) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
            out += name
            if !labels.isEmpty {
                out += "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
            }
            out += " " + format(value) + "\n"
        }

        family("virtaudit_up", "gauge", "1 when the service has a complete scan result.")
        sample("virtaudit_up", [], report == nil ? 0 : 1)
        family("virtaudit_libvirt_connected", "gauge", "1 when the libvirt connection is alive.")
        sample("virtaudit_libvirt_connected", [], state.libvirtConnected ? 1 : 0)
        family("virtaudit_results_stale", "gauge", "1 when results are the last good ones because libvirt is unreachable.")
        sample("virtaudit_results_stale", [], state.stale ? 1 : 0)
        family("virtaudit_scans_total", "counter", "Scans completed since the service started.")
        sample("virtaudit_scans_total", [], Double(state.scansTotal))
        family("virtaudit_scan_failures_total", "counter", "Scans that failed since the service started (libvirt unreachable, or not written to history).")
        sample("virtaudit_scan_failures_total", [], Double(state.scanFailuresTotal))
        family("virtaudit_libvirt_events_total", "counter", "libvirt domain events received.")
        sample("virtaudit_libvirt_events_total", [], Double(state.eventsTotal))
        family("virtaudit_history_write_failures_total", "counter", "Scan writes to the history database that failed (disk full, I/O error).")
        sample("virtaudit_history_write_failures_total", [], Double(state.history.writeFailuresTotal))
        family("virtaudit_history_pending_scans", "gauge", "Scans held in memory until the history database takes them.")
        sample("virtaudit_history_pending_scans", [], Double(state.history.pendingScans))
        family("virtaudit_history_scans_dropped_total", "counter", "Scans dropped unwritten because the in-memory backlog was full.")
        sample("virtaudit_history_scans_dropped_total", [], Double(state.history.scansDroppedTotal))
        family("virtaudit_alerts_held", "gauge", "Alerts held in memory because the outbox could not be written.")
        sample("virtaudit_alerts_held", [], Double(state.history.heldAlerts))
        family("virtaudit_alerts", "gauge", "Alert outbox entries by delivery state.")
        for s in ["pending", "delivered", "failed", "expired"] {
            sample("virtaudit_alerts", [("state", s)], Double(state.alerts[s] ?? 0))
        }
        family("virtaudit_admission_decisions_total", "counter",
               "Admission decisions of the qemu hook (virtaudit admit) kept in the history database, by decision and mode.")
        for a in state.admissions {
            sample("virtaudit_admission_decisions_total", [("decision", a.decision), ("mode", a.mode)], Double(a.count))
        }
        guard let r = report else { return out }

        family("virtaudit_last_scan_timestamp_seconds", "gauge", "When the last complete scan finished (Unix time).")
        sample("virtaudit_last_scan_timestamp_seconds", [], Timestamp.parse(r.finishedAt) ?? 0)
        family("virtaudit_scan_duration_seconds", "gauge", "Duration of the last complete scan.")
        sample("virtaudit_scan_duration_seconds", [], r.durationMs / 1000)
        family("virtaudit_host_score", "gauge", "The host's own score (0-100).")
        sample("virtaudit_host_score", [("host", r.host.hostname)], Double(r.host.score))
        family("virtaudit_domains", "gauge", "Domains by state.")
        var byState: [String: Int] = [:]
        for d in r.domains { byState[d.state, default: 0] += 1 }
        for (s, n) in byState.sorted(by: { $0.key < $1.key }) { sample("virtaudit_domains", [("state", s)], Double(n)) }
        family("virtaudit_domains_by_management", "gauge",
               "VMs by who manages them: libvirt (the connected daemon), libvirt-namespaced, unmanaged.")
        var byKind: [String: Int] = ["libvirt": 0, "libvirt-namespaced": 0, "unmanaged": 0]
        for d in r.domains { byKind[d.facts[path: "management.kind"]?.stringValue ?? "libvirt", default: 0] += 1 }
        for (k, n) in byKind.sorted(by: { $0.key < $1.key }) { sample("virtaudit_domains_by_management", [("management", k)], Double(n)) }
        family("virtaudit_domain_score", "gauge", "Each VM's score (0-100).")
        for d in r.domains {
            sample("virtaudit_domain_score", [("domain", d.name), ("uuid", d.uuid), ("state", d.state), ("profile", d.profile)], Double(d.score))
        }
        family("virtaudit_domain_grade", "gauge", "Each VM's grade as a number: A=5, B=4, C=3, D=2, E=1, F=0 (label grade has the letter).")
        for d in r.domains {
            sample("virtaudit_domain_grade", [("domain", d.name), ("uuid", d.uuid), ("grade", d.grade)], Double(gradeValue[d.grade] ?? 0))
        }
        family("virtaudit_domain_layer_score", "gauge", "Each VM's sub-score per defense layer (0-100).")
        for d in r.domains {
            for (layer, s) in d.layers.sorted(by: { $0.key < $1.key }) {
                guard let score = s.score else { continue }  // no decided rule: no sub-score
                sample("virtaudit_domain_layer_score", [("domain", d.name), ("uuid", d.uuid), ("layer", layer)], Double(score))
            }
        }
        family("virtaudit_findings_failing", "gauge", "Failing findings by target kind, severity and layer.")
        var counts: [String: Int] = [:]
        func count(_ kind: String, _ findings: [Finding]) {
            for f in findings where f.status == .fail { counts["\(kind)|\(f.severity.rawValue)|\(f.layer.rawValue)", default: 0] += 1 }
        }
        count("host", r.host.findings)
        for d in r.domains { count("domain", d.findings) }
        for (key, n) in counts.sorted(by: { $0.key < $1.key }) {
            let p = key.split(separator: "|").map(String.init)
            sample("virtaudit_findings_failing", [("target", p[0]), ("severity", p[1]), ("layer", p[2])], Double(n))
        }
        family("virtaudit_findings_unknown", "gauge", "Findings whose facts could not be read, by target kind.")
        sample("virtaudit_findings_unknown", [("target", "host")], Double(r.host.findings.filter { $0.status == .unknown }.count))
        sample("virtaudit_findings_unknown", [("target", "domain")], Double(r.domains.flatMap(\.findings).filter { $0.status == .unknown }.count))
        return out
    }

    static func escape(_ s: String) -> String {
        var o = ""
        for ch in s {
            switch ch {
            case "\\": o += "\\\\"
            case "\"": o += "\\\""
            case "\n": o += "\\n"
            default: o.append(ch)
            }
        }
        return o
    }

    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.rounded() == v && abs(v) < 1e15 { return String(Int(v)) }
        return String(v)
    }
}
