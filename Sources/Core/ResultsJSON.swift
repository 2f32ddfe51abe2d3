import Foundation

/// Where a finding was found, for lists of findings from several targets.
public struct FindingTarget: Sendable, Hashable {
    /// `host` or `domain`.
    public var kind: String
    public var name: String
    /// The domain's UUID; nil for the host.
    public var uuid: String?

    public init(kind: String, name: String, uuid: String?) {
        self.kind = kind
        self.name = name
        self.uuid = uuid
    }

    public static func host(_ h: HostReport) -> FindingTarget { FindingTarget(kind: "host", name: h.hostname, uuid: nil) }
    public static func domain(_ d: DomainReport) -> FindingTarget { FindingTarget(kind: "domain", name: d.name, uuid: d.uuid) }
}

/// A scan's facts encoded once (compact JSON, the bytes `JSONWriter` writes for each tree), so
/// documents written from the same scan (the history row, API bodies) copy them instead of
/// encoding the trees again. Only compact documents use them: pretty output indents the trees.
public struct EncodedFacts: Sendable {
    public let host: [UInt8]
    /// Each domain's facts, in report order.
    public let domains: [[UInt8]]

    public init(host: [UInt8], domains: [[UInt8]]) {
        self.host = host
        self.domains = domains
    }

    /// Encodes the report's facts (the domains on several threads).
    public init(of r: ScanReport) {
        host = JSONWriter.bytes(r.host.facts)
        domains = Parallel.map(r.domains, minimumPerWorker: 32) { JSONWriter.bytes($0.facts) }
    }

    func domain(_ index: Int) -> [UInt8]? { domains.indices.contains(index) ? domains[index] : nil }
}

/// The one encoder of results (format 2, Docs/pipeline-formats.md): the model is written straight
/// to bytes, every documented key present (absent values as `null`), rule texts once per document
/// under `rules`, holding exactly the rules of the findings listed. `scan`, `report`, history,
/// the API and the alerts all encode through here.
public enum ResultsJSON {
    public static let format = ScanReport.formatVersion

    // MARK: documents

    /// A whole scan. The listing is never wider than what the report holds (`findingsListed`).
    /// `facts`, when given (and not `pretty`), are written in place of the report's fact trees.
    public static func report(_ r: ScanReport, listing: FindingsListing = .problems, pretty: Bool = false,
                              facts: EncodedFacts? = nil) -> [UInt8] {
        var s = JSONStream(pretty: pretty, capacity: 1 << 16)
        writeReport(r, listing: listing, facts: facts, into: &s)
        return s.bytes
    }

    /// A domain's detail (`GET /api/v1/domains/{id}`): the domain with facts and listed findings,
    /// and `rules` for those findings.
    public static func domain(_ d: DomainReport, rules: [String: RuleText], listing: FindingsListing = .problems,
                              pretty: Bool = false, facts: [UInt8]? = nil) -> [UInt8] {
        var s = JSONStream(pretty: pretty)
        s.beginObject()
        writeDomainFields(d, into: &s)
        s.key("facts"); writeFacts(d.facts, encoded: facts, into: &s)
        s.key("findings"); writeFindings(d.findings, listing: listing, into: &s)
        s.key("rules"); writeRules(referencedBy: [d.findings], listing: listing, from: rules, into: &s)
        s.endObject()
        return s.bytes
    }

    /// One entry of the domain list: the domain without facts and findings, with `links`.
    public static func domainEntry(_ d: DomainReport, pretty: Bool = false) -> [UInt8] {
        var s = JSONStream(pretty: pretty)
        writeDomainEntry(d, into: &s)
        return s.bytes
    }

    /// `{"domains": [entries], "count": n}`.
    public static func domainList(_ domains: [DomainReport], pretty: Bool = false) -> [UInt8] {
        var s = JSONStream(pretty: pretty)
        s.beginObject()
        s.key("domains")
        s.beginArray()
        for d in domains { s.element(); writeDomainEntry(d, into: &s) }
        s.endArray()
        s.field("count", domains.count)
        s.endObject()
        return s.bytes
    }

    /// The host's results (`GET /api/v1/host`) with `rules` for its listed findings.
    public static func host(_ h: HostReport, rules: [String: RuleText], listing: FindingsListing = .problems,
                            pretty: Bool = false, facts: [UInt8]? = nil) -> [UInt8] {
        var s = JSONStream(pretty: pretty)
        s.beginObject()
        writeHostFields(h, listing: listing, facts: facts, into: &s)
        s.key("rules"); writeRules(referencedBy: [h.findings], listing: listing, from: rules, into: &s)
        s.endObject()
        return s.bytes
    }

    /// Findings of several targets, each with its `target`, and `rules` for them:
    /// `{"findings": [...], "count": n, "rules": {...}}`. Every finding given is listed.
    public static func findingsList(_ items: [(finding: Finding, target: FindingTarget)], rules: [String: RuleText],
                                    pretty: Bool = false) -> [UInt8] {
        var s = JSONStream(pretty: pretty)
        s.beginObject()
        s.key("findings")
        s.beginArray()
        for item in items {
            s.element()
            writeFinding(item.finding, target: item.target, into: &s)
        }
        s.endArray()
        s.field("count", items.count)
        s.key("rules")
        writeRules(referencedBy: [items.map(\.finding)], listing: .all, from: rules, into: &s)
        s.endObject()
        return s.bytes
    }

    /// The overview (`GET /api/v1/summary`): host score, domains by grade and state, failing
    /// counts per severity, the last scan.
    public static func summary(_ r: ScanReport, stale: Bool, pretty: Bool = false) -> [UInt8] {
        var byGrade: [String: Int] = [:]
        var byState: [String: Int] = [:]
        var domainFailing: [Severity: Int] = failingCounts([])
        for d in r.domains {
            byGrade[d.grade, default: 0] += 1
            byState[d.state, default: 0] += 1
            for f in d.findings where f.status == .fail { domainFailing[f.severity, default: 0] += 1 }
        }
        let hostFailing = r.host.failing
        var s = JSONStream(pretty: pretty)
        s.beginObject()
        s.key("host")
        s.beginObject()
        s.field("hostname", r.host.hostname)
        s.field("score", r.host.score)
        s.field("grade", r.host.grade)
        s.endObject()
        s.key("domains")
        s.beginObject()
        s.field("total", r.domains.count)
        s.key("byGrade"); writeCounts(byGrade, into: &s)
        s.key("byState"); writeCounts(byState, into: &s)
        s.endObject()
        s.key("failing")
        s.beginObject()
        s.key("domains"); writeFailing(domainFailing, into: &s)
        s.key("host"); writeFailing(hostFailing, into: &s)
        s.key("total"); writeFailing(domainFailing.merging(hostFailing, uniquingKeysWith: +), into: &s)
        s.endObject()
        s.key("lastScan")
        s.beginObject()
        s.field("id", r.scanId)
        s.field("startedAt", r.startedAt)
        s.field("finishedAt", r.finishedAt)
        s.field("durationMs", r.durationMs)
        s.endObject()
        s.field("stale", stale)
        s.key("errors"); s.strings(r.errors)
        s.endObject()
        return s.bytes
    }

    // MARK: decoding

    /// Reads a results document of format 1 or 2 (`scan --format json`, a history row, a report
    /// file's `report`). Another format, or something that is not a results document, is an
    /// error that says which.
    public static func decodeReport(_ data: Data) throws -> ScanReport {
        do {
            return try JSONDecoder().decode(ScanReport.self, from: data)
        } catch let e as ResultsFormatError {
            throw e
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw ResultsFormatError(format: nil, detail: "missing key `\(path(ctx.codingPath + [key]))`")
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx), let DecodingError.dataCorrupted(ctx) {
            throw ResultsFormatError(format: nil, detail: "\(ctx.debugDescription) at `\(path(ctx.codingPath))`")
        }
    }

    /// `decodeReport` of a parsed document.
    public static func decodeReport(_ value: JSONValue) throws -> ScanReport {
        try decodeReport(JSONWriter.data(value))
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    // MARK: parts, for documents that embed results

    public static func writeReport(_ r: ScanReport, listing requested: FindingsListing, facts: EncodedFacts? = nil,
                                   into s: inout JSONStream) {
        let listing: FindingsListing = r.findingsListed == .problems ? .problems : requested
        s.beginObject()
        s.field("format", format)
        s.field("version", format)
        s.field("scanId", r.scanId)
        s.field("startedAt", r.startedAt)
        s.field("finishedAt", r.finishedAt)
        s.field("durationMs", r.durationMs)
        s.field("connection", r.connection)
        s.field("root", r.root)
        s.field("hostId", r.hostId)
        s.field("stale", r.stale)
        s.key("errors"); s.strings(r.errors)
        s.field("findingsListed", listing.rawValue)
        s.key("rules")
        writeRules(referencedBy: [r.host.findings] + r.domains.map(\.findings), listing: listing, from: r.rules, into: &s)
        s.key("host"); writeHost(r.host, listing: listing, facts: facts?.host, into: &s)
        s.key("domains"); writeDomains(r.domains, listing: listing, facts: facts, into: &s)
        s.key("stats")
        if let st = r.stats {
            s.beginObject()
            s.key("stagesMs")
            s.beginObject()
            for (k, v) in st.stagesMs.sorted(by: { $0.key < $1.key }) { s.field(k, v) }
            s.endObject()
            s.field("filesRead", st.filesRead)
            s.field("domains", st.domains)
            s.field("runningDomains", st.runningDomains)
            s.endObject()
        } else {
            s.null()
        }
        s.endObject()
    }

    /// The domains of a report, each with facts and listed findings; large lists are encoded on
    /// several threads and joined.
    public static func writeDomains(_ domains: [DomainReport], listing: FindingsListing, facts: EncodedFacts? = nil,
                                    into s: inout JSONStream) {
        s.beginArray()
        if domains.count >= 64 {
            let parts = ParallelSlots<[UInt8]>(count: domains.count)
            let pretty = s.pretty
            let depth = pretty ? s.currentDepth : 0
            Parallel.forEachChunk(domains.count) { range in
                for i in range {
                    var part = JSONStream(pretty: pretty, depth: depth, capacity: 8192)
                    writeDomain(domains[i], listing: listing, facts: facts?.domain(i), into: &part)
                    parts.set(i, part.bytes)
                }
            }
            for part in parts.values() {
                s.element()
                s.raw(part)
            }
        } else {
            for (i, d) in domains.enumerated() {
                s.element()
                writeDomain(d, listing: listing, facts: facts?.domain(i), into: &s)
            }
        }
        s.endArray()
    }

    /// A domain with facts and listed findings (as in a report, without `rules`).
    public static func writeDomain(_ d: DomainReport, listing: FindingsListing, facts: [UInt8]? = nil,
                                   into s: inout JSONStream) {
        s.beginObject()
        writeDomainFields(d, into: &s)
        s.key("facts"); writeFacts(d.facts, encoded: facts, into: &s)
        s.key("findings"); writeFindings(d.findings, listing: listing, into: &s)
        s.endObject()
    }

    public static func writeDomainEntry(_ d: DomainReport, into s: inout JSONStream) {
        s.beginObject()
        writeDomainFields(d, into: &s)
        s.key("links")
        s.beginObject()
        s.field("self", "/api/v1/domains/\(d.uuid)")
        s.endObject()
        s.endObject()
    }

    /// The host with facts and listed findings (as in a report, without `rules`).
    public static func writeHost(_ h: HostReport, listing: FindingsListing, facts: [UInt8]? = nil,
                                 into s: inout JSONStream) {
        s.beginObject()
        writeHostFields(h, listing: listing, facts: facts, into: &s)
        s.endObject()
    }

    /// A fact tree, or the bytes it was encoded to once (compact documents only).
    private static func writeFacts(_ tree: JSONValue, encoded: [UInt8]?, into s: inout JSONStream) {
        if let encoded, !s.pretty { s.raw(encoded) } else { s.value(tree) }
    }

    private static func writeHostFields(_ h: HostReport, listing: FindingsListing, facts: [UInt8]? = nil,
                                        into s: inout JSONStream) {
        s.field("hostname", h.hostname)
        writeScore(h.score, grade: h.grade, layers: h.layers, standing: h.layersStanding, total: h.layersTotal,
                   failing: h.failing, into: &s)
        s.key("facts"); writeFacts(h.facts, encoded: facts, into: &s)
        s.key("findings"); writeFindings(h.findings, listing: listing, into: &s)
    }

    /// The fields a domain's detail, its report entry and its list entry share.
    private static func writeDomainFields(_ d: DomainReport, into s: inout JSONStream) {
        s.field("name", d.name)
        s.field("uuid", d.uuid)
        s.field("state", d.state)
        s.field("id", d.id)
        s.field("profile", d.profile)
        writeScore(d.score, grade: d.grade, layers: d.layers, standing: d.layersStanding, total: d.layersTotal,
                   failing: d.failing, into: &s)
        s.key("management"); s.value(d.management)
    }

    /// The score fields a host and a domain share.
    private static func writeScore(_ score: Int, grade: String, layers: [String: LayerScore], standing: Int?, total: Int?,
                                   failing: [Severity: Int], into s: inout JSONStream) {
        s.field("score", score)
        s.field("grade", grade)
        s.key("layers"); writeLayers(layers, into: &s)
        s.field("layersStanding", standing)
        s.field("layersTotal", total)
        s.key("failing"); writeFailing(failing, into: &s)
    }

    public static func writeLayers(_ layers: [String: LayerScore], into s: inout JSONStream) {
        s.beginObject()
        for (name, l) in layers.sorted(by: { $0.key < $1.key }) {
            s.key(name)
            s.beginObject()
            s.field("score", l.score)
            s.field("pass", l.pass)
            s.field("fail", l.fail)
            s.field("unknown", l.unknown)
            s.field("waived", l.waived)
            s.field("down", l.down)
            s.endObject()
        }
        s.endObject()
    }

    /// Failing counts, every severity present, most severe first.
    public static func writeFailing(_ counts: [Severity: Int], into s: inout JSONStream) {
        s.beginObject()
        for sev in Severity.allCases { s.field(sev.rawValue, counts[sev] ?? 0) }
        s.endObject()
    }

    private static func writeCounts(_ counts: [String: Int], into s: inout JSONStream) {
        s.beginObject()
        for (k, v) in counts.sorted(by: { $0.key < $1.key }) { s.field(k, v) }
        s.endObject()
    }

    public static func writeFindings(_ findings: [Finding], listing: FindingsListing, into s: inout JSONStream) {
        s.beginArray()
        for f in findings where listing.lists(f) {
            s.element()
            writeFinding(f, into: &s)
        }
        s.endArray()
    }

    /// One finding: `id, rule, layer, severity, status, observed, reason, pointsLost, waiver`
    /// (and `target` when given), every key present.
    public static func writeFinding(_ f: Finding, target: FindingTarget? = nil, into s: inout JSONStream) {
        s.beginObject()
        s.field("id", f.id)
        s.field("rule", f.rule)
        s.field("layer", f.layer.rawValue)
        s.field("severity", f.severity.rawValue)
        s.field("status", f.status.rawValue)
        s.key("observed"); s.value(f.observed)
        s.field("reason", f.reason)
        s.field("pointsLost", f.pointsLost)
        s.key("waiver"); s.value(f.waiver)
        if let target {
            s.key("target")
            s.beginObject()
            s.field("kind", target.kind)
            s.field("name", target.name)
            s.field("uuid", target.uuid)
            s.endObject()
        }
        s.endObject()
    }

    /// The `rules` map for the findings listed out of `groups`: each referenced rule once, by id;
    /// a rule without texts in `from` gets its id as title (never left out).
    public static func writeRules(referencedBy groups: [[Finding]], listing: FindingsListing,
                                  from rules: [String: RuleText], into s: inout JSONStream) {
        var referenced: [String: Finding] = [:]
        for g in groups {
            for f in g where listing.lists(f) && referenced[f.rule] == nil { referenced[f.rule] = f }
        }
        s.beginObject()
        for (id, f) in referenced.sorted(by: { $0.key < $1.key }) {
            s.key(id)
            writeRuleText(rules[id] ?? RuleText(finding: f), into: &s)
        }
        s.endObject()
    }

    /// A rule's entry: `title, layer, severity, expected, rationale, remediation, references`.
    public static func writeRuleText(_ r: RuleText, into s: inout JSONStream) {
        s.beginObject()
        s.field("title", r.title)
        s.field("layer", r.layer.rawValue)
        s.field("severity", r.severity.rawValue)
        s.field("expected", r.expected)
        s.field("rationale", r.rationale)
        s.field("remediation", r.remediation)
        s.key("references"); s.strings(r.references)
        s.endObject()
    }
}
