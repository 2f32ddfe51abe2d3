import Core

/// The JSON shapes the API serves, built field by field so that every documented key is present
/// (absent values are null) and the output matches Docs/openapi.yaml.
enum ReportJSON {
    static func layers(_ layers: [String: LayerScore]) -> JSONValue {
        .object(layers.mapValues { l in
            ["score": .from(l.score), "pass": .int(l.pass), "fail": .int(l.fail),
             "unknown": .int(l.unknown), "waived": .int(l.waived), "down": .bool(l.down)]
        })
    }

    static func finding(_ f: Finding) -> JSONValue {
        [
            "id": .from(f.id),
            "rule": .string(f.rule),
            "layer": .string(f.layer.rawValue),
            "severity": .string(f.severity.rawValue),
            "status": .string(f.status.rawValue),
            "title": .string(f.title),
            "observed": f.observed,
            "expected": .string(f.expected),
            "remediation": .string(f.remediation),
            "reason": .from(f.reason),
            "pointsLost": .double(f.pointsLost),
            "waiver": f.waiver ?? .null,
        ]
    }

    /// Counts of failing findings per severity; every severity is present.
    static func severityCounts(_ findings: [Finding]) -> [String: Int] {
        var counts = Dictionary(uniqueKeysWithValues: Severity.allCases.map { ($0.rawValue, 0) })
        for f in findings where f.status == .fail { counts[f.severity.rawValue, default: 0] += 1 }
        return counts
    }

    static func counts(_ counts: [String: Int]) -> JSONValue { .object(counts.mapValues(JSONValue.int)) }

    /// The fields a domain's detail and its list entry share.
    static func domainFields(_ d: DomainReport) -> [String: JSONValue] {
        [
            "name": .string(d.name),
            "uuid": .string(d.uuid),
            "state": .string(d.state),
            "id": .from(d.id),
            "profile": .string(d.profile),
            "score": .int(d.score),
            "grade": .string(d.grade),
            "layers": layers(d.layers),
            "layersStanding": .from(d.layersStanding),
            "layersTotal": .from(d.layersTotal),
            "management": management(d.facts),
        ]
    }

    /// Who manages the VM (`management.*` facts): the connected libvirt, a libvirt daemon in another
    /// mount namespace, or nobody visible. Null for a report recorded before this was kept.
    static func management(_ facts: JSONValue) -> JSONValue {
        guard let kind = facts[path: "management.kind"]?.stringValue else { return .null }
        func value(_ path: String) -> JSONValue { facts[path: path] ?? .null }
        return .object([
            "kind": .string(kind), "pid": value("management.pid"), "daemonPid": value("management.daemon.pid"),
            "container": value("management.container"), "kubevirt": facts[path: "management.kubevirt"] ?? .bool(false),
        ])
    }

    static func domain(_ d: DomainReport) -> JSONValue {
        var o = domainFields(d)
        o["facts"] = d.facts
        o["findings"] = .array(d.findings.map(finding))
        return .object(o)
    }

    static func domainSummary(_ d: DomainReport) -> JSONValue {
        var o = domainFields(d)
        o["failing"] = counts(severityCounts(d.findings))
        o["links"] = ["self": .string("/api/v1/domains/\(d.uuid)")]
        return .object(o)
    }

    static func host(_ h: HostReport) -> JSONValue {
        [
            "hostname": .string(h.hostname),
            "score": .int(h.score),
            "grade": .string(h.grade),
            "layers": layers(h.layers),
            "layersStanding": .from(h.layersStanding),
            "layersTotal": .from(h.layersTotal),
            "facts": h.facts,
            "findings": .array(h.findings.map(finding)),
        ]
    }

    static func report(_ r: ScanReport) -> JSONValue {
        [
            "version": .int(r.version),
            "scanId": .string(r.scanId),
            "startedAt": .string(r.startedAt),
            "finishedAt": .string(r.finishedAt),
            "durationMs": .double(r.durationMs),
            "connection": .string(r.connection),
            "root": .string(r.root),
            "hostId": .from(r.hostId),
            "stale": .bool(r.stale),
            "errors": .array(r.errors.map(JSONValue.string)),
            "host": host(r.host),
            "domains": .array(r.domains.map(domain)),
        ]
    }

    static func target(host h: HostReport) -> JSONValue {
        ["kind": "host", "name": .string(h.hostname), "uuid": .null]
    }

    static func target(domain d: DomainReport) -> JSONValue {
        ["kind": "domain", "name": .string(d.name), "uuid": .string(d.uuid)]
    }

    static func lastScan(_ r: ScanReport) -> JSONValue {
        ["id": .string(r.scanId), "startedAt": .string(r.startedAt), "finishedAt": .string(r.finishedAt),
         "durationMs": .double(r.durationMs)]
    }

    static func summary(_ r: ScanReport, stale: Bool) -> JSONValue {
        var byGrade: [String: Int] = [:]
        var byState: [String: Int] = [:]
        for d in r.domains {
            byGrade[d.grade, default: 0] += 1
            byState[d.state, default: 0] += 1
        }
        let domainFailing = severityCounts(r.domains.flatMap(\.findings))
        let hostFailing = severityCounts(r.host.findings)
        let total = domainFailing.merging(hostFailing, uniquingKeysWith: +)
        return [
            "host": ["hostname": .string(r.host.hostname), "score": .int(r.host.score), "grade": .string(r.host.grade)],
            "domains": ["total": .int(r.domains.count), "byGrade": counts(byGrade), "byState": counts(byState)],
            "failing": ["domains": counts(domainFailing), "host": counts(hostFailing), "total": counts(total)],
            "lastScan": lastScan(r),
            "stale": .bool(stale),
            "errors": .array(r.errors.map(JSONValue.string)),
        ]
    }
}
