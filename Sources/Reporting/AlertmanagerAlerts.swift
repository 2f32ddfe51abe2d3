import Core
import Foundation

/// The alerts virtaudit holds in Alertmanager (`POST /api/v2/alerts`), level-triggered: every
/// failing finding of an alerting severity is an alert that fires while the finding fails and
/// ends (`endsAt`) when it stops failing (fixed, waived, VM gone), plus one alert while libvirt
/// is unreachable. The whole firing set is re-sent periodically (Alertmanager resolves an alert
/// it has not heard of within its `resolve_timeout`), and resolved alerts are sent once with
/// their `endsAt`.
///
/// Labels (the alert's identity in Alertmanager): `alertname` (`VirtauditFinding` or
/// `VirtauditLibvirtUnreachable`), `severity`, `host`, `vm` and `vm_uuid` (VM findings only),
/// `rule`, `layer`, `finding_id` (the stable finding id). Annotations: `summary`, `observed`
/// (compact JSON), `remediation`, `dashboard` (link, when a dashboard URL is configured).
public struct AlertmanagerAlert: Sendable, Hashable {
    public var labels: [String: String]
    public var annotations: [String: String]
    public var startsAt: String
    /// Set when the alert resolved (the finding stopped failing).
    public var endsAt: String?
    public var generatorURL: String?

    public init(labels: [String: String], annotations: [String: String], startsAt: String, endsAt: String? = nil,
                generatorURL: String? = nil) {
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
    }

    /// Alertmanager identifies an alert by its label set; this is that set as one string.
    public var identity: String {
        labels.keys.sorted().map { "\($0)=\(labels[$0]!)" }.joined(separator: "\u{0}")
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "labels": .object(labels.mapValues { .string($0) }),
            "annotations": .object(annotations.mapValues { .string($0) }),
            "startsAt": .string(startsAt),
        ]
        if let endsAt { o["endsAt"] = .string(endsAt) }
        if let generatorURL { o["generatorURL"] = .string(generatorURL) }
        return .object(o)
    }

    public init?(json: JSONValue) {
        guard case .object(let o) = json, case .object(let l)? = o["labels"], let s = o["startsAt"]?.stringValue else { return nil }
        var annotations: [String: String] = [:]
        if case .object(let a)? = o["annotations"] { annotations = a.compactMapValues(\.stringValue) }
        self.init(labels: l.compactMapValues(\.stringValue), annotations: annotations, startsAt: s,
                  endsAt: o["endsAt"]?.stringValue, generatorURL: o["generatorURL"]?.stringValue)
    }
}

/// Which findings alert, and the dashboard to link.
public struct AlertmanagerPolicy: Sendable, Hashable {
    public var severities: Set<Severity>
    /// Base URL of the dashboard as operators reach it (e.g. `https://hv1.example:8470/`).
    public var dashboardURL: String?

    public init(severities: Set<Severity> = [.critical, .high], dashboardURL: String? = nil) {
        self.severities = severities
        self.dashboardURL = dashboardURL
    }
}

/// The firing set and what changed: `update` with each scan, `libvirt(unreachableSince:)` as the
/// link goes down and up, `batch` for what to send now. Not thread-safe: the owner locks it.
public struct AlertmanagerState: Sendable {
    public let policy: AlertmanagerPolicy
    /// Firing alerts by identity.
    public private(set) var firing: [String: AlertmanagerAlert] = [:]
    /// Resolved since the last batch was taken.
    public private(set) var resolved: [String: AlertmanagerAlert] = [:]

    public init(policy: AlertmanagerPolicy) {
        self.policy = policy
    }

    public static let findingAlertName = "VirtauditFinding"
    public static let libvirtAlertName = "VirtauditLibvirtUnreachable"

    /// The alerts a report fires. `firstSeen` gives a finding id's first-seen time (history);
    /// without it an alert starts at the report's start.
    public func alerts(for report: ScanReport, firstSeen: (String) -> String? = { _ in nil }) -> [AlertmanagerAlert] {
        var out: [AlertmanagerAlert] = []
        let host = report.host.hostname
        func add(_ f: Finding, _ d: DomainReport?) {
            guard f.status == .fail, policy.severities.contains(f.severity) else { return }
            let id = SeverityGate.id(f, domain: d, report: report)
            var labels = ["alertname": Self.findingAlertName, "severity": f.severity.rawValue, "host": host,
                          "rule": f.rule, "layer": f.layer.rawValue, "finding_id": id]
            if let d {
                labels["vm"] = d.name
                labels["vm_uuid"] = d.uuid
            }
            let target = d.map { "\($0.name) on \(host)" } ?? host
            let text = report.text(for: f)
            var annotations = ["summary": "\(target) fails \(f.rule) (\(f.severity.rawValue)): \(text.title)",
                               "observed": JSONWriter.string(f.observed), "remediation": text.remediation]
            let link = dashboardLink(domain: d)
            if let link { annotations["dashboard"] = link }
            out.append(AlertmanagerAlert(labels: labels, annotations: annotations,
                                         startsAt: firstSeen(id) ?? report.startedAt, generatorURL: link))
        }
        for f in report.host.findings { add(f, nil) }
        for d in report.domains { for f in d.findings { add(f, d) } }
        return out
    }

    func dashboardLink(domain: DomainReport?) -> String? {
        guard var base = policy.dashboardURL else { return nil }
        if !base.hasSuffix("/") { base += "/" }
        guard let d = domain else { return base }
        return base + "#/vm/" + d.uuid
    }

    /// Replaces the finding alerts with those of `report`; findings no longer firing resolve at `now`.
    public mutating func update(report: ScanReport, now: Date = Date(), firstSeen: (String) -> String? = { _ in nil }) {
        let current = alerts(for: report, firstSeen: firstSeen)
        let ids = Set(current.map(\.identity))
        let ended = Timestamp.format(now)
        for (key, alert) in firing where alert.labels["alertname"] == Self.findingAlertName && !ids.contains(key) {
            var a = alert
            a.endsAt = ended
            resolved[key] = a
            firing[key] = nil
        }
        for var a in current {
            let key = a.identity
            if let old = firing[key] { a.startsAt = old.startsAt }
            resolved[key] = nil
            firing[key] = a
        }
    }

    /// libvirt unreachable since `since` (fires), or reachable again (nil: resolves).
    public mutating func libvirt(unreachableSince since: Date?, host: String, uri: String, now: Date = Date()) {
        let labels = ["alertname": Self.libvirtAlertName, "severity": Severity.high.rawValue, "host": host]
        let key = AlertmanagerAlert(labels: labels, annotations: [:], startsAt: "").identity
        if let since {
            guard firing[key] == nil else { return }
            var annotations = ["summary": "libvirt (\(uri)) unreachable on \(host); results are stale",
                               "remediation": "Check that libvirtd (or virtqemud) is running and its socket is reachable: systemctl status libvirtd"]
            if let link = dashboardLink(domain: nil) { annotations["dashboard"] = link }
            firing[key] = AlertmanagerAlert(labels: labels, annotations: annotations, startsAt: Timestamp.format(since),
                                            generatorURL: dashboardLink(domain: nil))
            resolved[key] = nil
        } else if var a = firing.removeValue(forKey: key) {
            a.endsAt = Timestamp.format(now)
            resolved[key] = a
        }
    }

    /// What to send now: every firing alert and the alerts resolved since the last batch (which
    /// are then forgotten). Sorted by identity, so equal states give equal batches.
    public mutating func takeBatch() -> [AlertmanagerAlert] {
        let out = (Array(firing.values) + Array(resolved.values)).sorted { $0.identity < $1.identity }
        resolved = [:]
        return out
    }

    /// Merges queued batches into one, oldest first: for each alert the newest state wins, and an
    /// alert only an older batch carries (a resolution not yet delivered) is kept.
    public static func merge(_ batches: [JSONValue]) -> JSONValue {
        var order: [String] = []
        var latest: [String: AlertmanagerAlert] = [:]
        for batch in batches {
            guard case .array(let items) = batch else { continue }
            for item in items {
                guard let a = AlertmanagerAlert(json: item) else { continue }
                let key = a.identity
                if latest[key] == nil { order.append(key) }
                latest[key] = a
            }
        }
        return .array(order.compactMap { latest[$0]?.json })
    }
}
