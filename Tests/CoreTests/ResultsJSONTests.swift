import Core
import Foundation
import XCTest

private extension JSONValue {
    subscript(_ i: Int) -> JSONValue? {
        guard let a = arrayValue, a.indices.contains(i) else { return nil }
        return a[i]
    }
}

final class ResultsJSONTests: XCTestCase {
    func tree(_ bytes: [UInt8]) throws -> JSONValue { try JSONValue(parsing: Data(bytes)) }

    static func finding(_ rule: String, _ status: FindingStatus, _ severity: Severity = .high, reason: String? = nil,
                        waiver: JSONValue? = nil) -> Finding {
        Finding(rule: rule, layer: .dac, severity: severity, status: status, observed: ["process.uid": 0], reason: reason,
                pointsLost: status == .fail ? 7.5 : 0, waiver: waiver, id: "va1-\(rule)")
    }

    static func text(_ rule: String) -> RuleText {
        RuleText(id: rule, title: "title of \(rule)", layer: .dac, severity: .high, expected: "expected \(rule)",
                 rationale: "why \(rule)", remediation: "fix \(rule)", references: ["https://example.org/\(rule)"])
    }

    /// One domain with a failing, an unknown, a waived, a passing and a not-applicable finding;
    /// the host fails one rule; `rules` knows every rule plus one nobody references.
    static func report(domains: Int = 1) -> ScanReport {
        let findings = [
            finding("r.fail", .fail, .critical), finding("r.unknown", .unknown, reason: "unreadable"),
            finding("r.waived", .waived, reason: "accepted", waiver: ["owner": "ops", "status": "fail"]),
            finding("r.pass", .pass), finding("r.na", .notApplicable),
        ]
        let score = Score(score: 42, grade: "F", layers: ["dac": LayerScore(score: 40, pass: 1, fail: 1, unknown: 1, waived: 1),
                                                          "seccomp": LayerScore(score: nil)])
        let ds = (0..<domains).map { i in
            DomainReport(name: "vm\(i)", uuid: "u\(i)", state: "running", id: nil, profile: "baseline",
                         facts: ["domain": ["name": .string("vm\(i)")]], findings: findings, score: score)
        }
        let host = HostReport(hostname: "hv1", facts: ["kernel": ["release": "6.1"]],
                              findings: [finding("h.fail", .fail, .medium), finding("h.pass", .pass)],
                              score: Score(score: 80, grade: "B", layers: [:]))
        var rules: [String: RuleText] = [:]
        for r in ["r.fail", "r.unknown", "r.waived", "r.pass", "r.na", "h.fail", "h.pass", "r.unused"] { rules[r] = text(r) }
        return ScanReport(scanId: "s1", startedAt: "2026-12-01T00:00:00Z", finishedAt: "2026-12-01T00:00:01Z", durationMs: 1000,
                          connection: "test:///default", root: "/", rules: rules, host: host, domains: ds, stats: nil)
    }

    // MARK: listing and rules

    func testProblemsListingShowsFailUnknownWaivedAndOnlyTheirRules() throws {
        let json = try tree(ResultsJSON.report(Self.report()))
        XCTAssertEqual(json["format"], 2)
        XCTAssertEqual(json["version"], 2)
        XCTAssertEqual(json["findingsListed"], "problems")
        let listed = json["domains"]?[0]?["findings"]?.arrayValue?.compactMap { $0["rule"]?.stringValue }
        XCTAssertEqual(listed, ["r.fail", "r.unknown", "r.waived"])
        XCTAssertEqual(json["host"]?["findings"]?.arrayValue?.compactMap { $0["rule"]?.stringValue }, ["h.fail"])
        XCTAssertEqual(json["rules"]?.objectValue.map { Set($0.keys) }, ["r.fail", "r.unknown", "r.waived", "h.fail"],
                       "rules holds exactly the rules of the listed findings")
        // Passes are still counted per layer.
        XCTAssertEqual(json["domains"]?[0]?["layers"]?["dac"]?["pass"], 1)
    }

    func testAllListingShowsEveryFindingAndItsRules() throws {
        let json = try tree(ResultsJSON.report(Self.report(), listing: .all))
        XCTAssertEqual(json["findingsListed"], "all")
        XCTAssertEqual(json["domains"]?[0]?["findings"]?.arrayValue?.count, 5)
        XCTAssertEqual(json["rules"]?.objectValue.map { Set($0.keys) },
                       ["r.fail", "r.unknown", "r.waived", "r.pass", "r.na", "h.fail", "h.pass"])
        XCTAssertNil(json["rules"]?["r.unused"], "a rule no listed finding refers to is left out")
    }

    func testRuleEntryCarriesTheTextsAndAFindingNoTexts() throws {
        let json = try tree(ResultsJSON.report(Self.report()))
        let rule = try XCTUnwrap(json["rules"]?["r.fail"]?.objectValue)
        XCTAssertEqual(Set(rule.keys), ["title", "layer", "severity", "expected", "rationale", "remediation", "references"])
        XCTAssertEqual(rule["title"], "title of r.fail")
        XCTAssertEqual(rule["remediation"], "fix r.fail")
        XCTAssertEqual(rule["references"], ["https://example.org/r.fail"])
        let f = try XCTUnwrap(json["domains"]?[0]?["findings"]?[0]?.objectValue)
        XCTAssertEqual(Set(f.keys), ["id", "rule", "layer", "severity", "status", "observed", "reason", "pointsLost", "waiver"])
    }

    func testARuleWithoutTextsStillGetsAnEntry() throws {
        var r = Self.report()
        r.rules = [:]
        let json = try tree(ResultsJSON.report(r))
        XCTAssertEqual(json["rules"]?["r.fail"]?["title"], "r.fail", "the rule id stands in for the title")
        XCTAssertEqual(json["rules"]?["r.fail"]?["severity"], "critical")
    }

    // MARK: null keys

    func testEveryDocumentedKeyIsPresentWithNullForAbsentValues() throws {
        var r = Self.report()
        r.hostId = nil
        r.domains[0].layersStanding = nil
        r.domains[0].layersTotal = nil
        let json = try tree(ResultsJSON.report(r))
        let top = try XCTUnwrap(json.objectValue)
        XCTAssertEqual(Set(top.keys), ["format", "version", "scanId", "startedAt", "finishedAt", "durationMs", "connection", "root",
                                       "hostId", "stale", "errors", "findingsListed", "rules", "host", "domains", "stats"])
        XCTAssertEqual(top["hostId"], JSONValue.null)
        XCTAssertEqual(top["stats"], JSONValue.null)
        let d = try XCTUnwrap(json["domains"]?[0]?.objectValue)
        XCTAssertEqual(Set(d.keys), ["name", "uuid", "state", "id", "profile", "score", "grade", "layers", "layersStanding",
                                     "layersTotal", "failing", "management", "facts", "findings"])
        for key in ["id", "layersStanding", "layersTotal", "management"] { XCTAssertEqual(d[key], JSONValue.null, key) }
        XCTAssertEqual(json["domains"]?[0]?["layers"]?["seccomp"]?["score"], JSONValue.null)
        let failing = try XCTUnwrap(json["domains"]?[0]?["failing"]?.objectValue)
        XCTAssertEqual(failing, ["critical": 1, "high": 0, "medium": 0, "low": 0, "info": 0])
        let h = try XCTUnwrap(json["host"]?.objectValue)
        XCTAssertEqual(Set(h.keys), ["hostname", "score", "grade", "layers", "layersStanding", "layersTotal", "failing", "facts", "findings"])
        let pass = try XCTUnwrap(try tree(ResultsJSON.report(r, listing: .all))["domains"]?[0]?["findings"]?[3]?.objectValue)
        XCTAssertEqual(pass["reason"], JSONValue.null)
        XCTAssertEqual(pass["waiver"], JSONValue.null)
        let waived = try XCTUnwrap(json["domains"]?[0]?["findings"]?[2]?.objectValue)
        XCTAssertEqual(waived["waiver"]?["owner"], "ops")
        XCTAssertEqual(waived["reason"], "accepted")
    }

    // MARK: API documents

    func testDomainAndHostCarryLayersStandingAndNullForUndecidedLayers() throws {
        let score = Score(score: 42, grade: "F", layers: [
            "mac": LayerScore(score: 0, fail: 1, down: true), "dac": LayerScore(score: 100, pass: 1),
            "seccomp": LayerScore(score: nil),
        ])
        let d = DomainReport(name: "vm", uuid: "u", state: "shutoff", id: nil, profile: "baseline", facts: [:],
                             findings: [], score: score)
        for json in [try tree(ResultsJSON.domain(d, rules: [:])), try tree(ResultsJSON.domainEntry(d))] {
            XCTAssertEqual(json["layersStanding"], 1)
            XCTAssertEqual(json["layersTotal"], 2)
            XCTAssertEqual(json["layers"]?["seccomp"]?["score"], JSONValue.null)
            XCTAssertEqual(json["layers"]?["mac"]?["down"], true)
            XCTAssertEqual(json["layers"]?["dac"]?["down"], false)
            XCTAssertEqual(json["layers"]?["dac"]?["score"], 100)
        }
        let h = try tree(ResultsJSON.host(HostReport(hostname: "h", facts: [:], findings: [], score: score), rules: [:]))
        XCTAssertEqual(h["layersStanding"], 1)
        XCTAssertEqual(h["layersTotal"], 2)
    }

    /// A report recorded before the counts existed serves them as null, not as a made-up number.
    func testUnknownStandingIsNull() throws {
        var d = DomainReport(name: "vm", uuid: "u", state: "running", id: 1, profile: "baseline", facts: [:],
                             findings: [], score: Score(score: 90, grade: "A", layers: [:]))
        d.layersStanding = nil
        d.layersTotal = nil
        let json = try tree(ResultsJSON.domain(d, rules: [:]))
        XCTAssertEqual(json["layersStanding"], JSONValue.null)
        XCTAssertEqual(json["layersTotal"], JSONValue.null)
    }

    func testManagementContextIsServedAndNullForOlderReports() throws {
        let facts: JSONValue = ["management": ["kind": "libvirt-namespaced", "daemon": ["pid": 8310, "exe": "/usr/sbin/virtqemud", "socket": ""],
                                               "container": ["runtime": "containerd", "containerId": nil, "podUid": "5f0b"], "kubevirt": true]]
        var d = DomainReport(name: "vm", uuid: "u", state: "running", id: nil, profile: "kubevirt", facts: facts,
                             findings: [], score: Score(score: 90, grade: "A", layers: [:]))
        d.facts = [:]  // kept apart from the facts: dropping them keeps the management object
        for json in [try tree(ResultsJSON.domain(d, rules: [:])), try tree(ResultsJSON.domainEntry(d))] {
            XCTAssertEqual(json["management"]?["kind"], "libvirt-namespaced")
            XCTAssertEqual(json["management"]?["daemonPid"], 8310)
            XCTAssertEqual(json["management"]?["pid"], JSONValue.null)
            XCTAssertEqual(json["management"]?["container"]?["podUid"], "5f0b")
            XCTAssertEqual(json["management"]?["kubevirt"], true)
        }
        let old = DomainReport(name: "vm", uuid: "u", state: "running", id: 1, profile: "baseline", facts: [:],
                               findings: [], score: Score(score: 90, grade: "A", layers: [:]))
        XCTAssertEqual(try tree(ResultsJSON.domainEntry(old))["management"], JSONValue.null)
    }

    func testDomainDetailListsProblemsWithTheirRulesAndEntryHasLinksButNoFindings() throws {
        let r = Self.report()
        let detail = try tree(ResultsJSON.domain(r.domains[0], rules: r.rules))
        XCTAssertEqual(detail["findings"]?.arrayValue?.count, 3)
        XCTAssertEqual(detail["rules"]?.objectValue.map { Set($0.keys) }, ["r.fail", "r.unknown", "r.waived"])
        XCTAssertEqual(detail["facts"]?["domain"]?["name"], "vm0")
        let all = try tree(ResultsJSON.domain(r.domains[0], rules: r.rules, listing: .all))
        XCTAssertEqual(all["findings"]?.arrayValue?.count, 5)
        let entry = try tree(ResultsJSON.domainEntry(r.domains[0]))
        XCTAssertNil(entry["facts"])
        XCTAssertNil(entry["findings"])
        XCTAssertEqual(entry["links"]?["self"], "/api/v1/domains/u0")
        let list = try tree(ResultsJSON.domainList(r.domains))
        XCTAssertEqual(list["count"], 1)
        XCTAssertEqual(list["domains"]?[0], entry)
    }

    func testFindingsListCarriesTargetsAndRules() throws {
        let r = Self.report()
        let items = [(finding: r.host.findings[0], target: FindingTarget.host(r.host)),
                     (finding: r.domains[0].findings[3], target: FindingTarget.domain(r.domains[0]))]
        let json = try tree(ResultsJSON.findingsList(items, rules: r.rules))
        XCTAssertEqual(json["count"], 2)
        XCTAssertEqual(json["findings"]?[0]?["target"], ["kind": "host", "name": "hv1", "uuid": .null])
        XCTAssertEqual(json["findings"]?[1]?["target"]?["uuid"], "u0")
        XCTAssertEqual(json["rules"]?.objectValue.map { Set($0.keys) }, ["h.fail", "r.pass"])
    }

    func testSummaryCountsFailingPerSeverity() throws {
        let json = try tree(ResultsJSON.summary(Self.report(domains: 2), stale: true))
        XCTAssertEqual(json["failing"]?["domains"]?["critical"], 2)
        XCTAssertEqual(json["failing"]?["host"]?["medium"], 1)
        XCTAssertEqual(json["failing"]?["total"]?["info"], 0)
        XCTAssertEqual(json["domains"]?["total"], 2)
        XCTAssertEqual(json["stale"], true)
        XCTAssertEqual(json["lastScan"]?["id"], "s1")
    }

    // MARK: pretty and parallel

    func testPrettyAndCompactAreTheSameDocumentAlsoForLargeParallelLists() throws {
        let r = Self.report(domains: 130)
        let compact = ResultsJSON.report(r, listing: .all)
        let pretty = ResultsJSON.report(r, listing: .all, pretty: true)
        XCTAssertEqual(try tree(compact), try tree(pretty))
        XCTAssertFalse(compact.contains(UInt8(ascii: "\n")))
        XCTAssertEqual(try tree(compact)["domains"]?.arrayValue?.map { $0["name"]?.stringValue ?? "" }, r.domains.map(\.name),
                       "domains keep their order")
        let text = String(decoding: pretty, as: UTF8.self)
        XCTAssertTrue(text.contains("\n  \"domains\": [\n    {\n      \"name\": \"vm0\""), "nested parts are indented like the rest")
    }

    // MARK: decoding

    func testRoundTripKeepsWhatWasListed() throws {
        let r = Self.report()
        let all = try ResultsJSON.decodeReport(Data(ResultsJSON.report(r, listing: .all)))
        XCTAssertEqual(all.findingsListed, .all)
        XCTAssertEqual(all.domains, r.domains)
        XCTAssertEqual(all.host, r.host)
        XCTAssertEqual(all.rules["r.fail"]?.remediation, "fix r.fail")
        XCTAssertEqual(all.rules["r.fail"]?.references, ["https://example.org/r.fail"])
        XCTAssertEqual(ResultsJSON.report(all, listing: .all), ResultsJSON.report(r, listing: .all), "encoding is stable")

        let problems = try ResultsJSON.decodeReport(Data(ResultsJSON.report(r)))
        XCTAssertEqual(problems.findingsListed, .problems)
        XCTAssertEqual(problems.domains[0].findings.map(\.rule), ["r.fail", "r.unknown", "r.waived"])
        XCTAssertEqual(problems.domains[0].layers, r.domains[0].layers)
        let again = try tree(ResultsJSON.report(problems, listing: .all))
        XCTAssertEqual(again["findingsListed"], "problems", "a problems document never claims to list everything")
    }

    func testFormat1DocumentsDecodeWithTheirInlineTexts() throws {
        let v1: JSONValue = [
            "version": 1, "scanId": "old", "startedAt": "2026-01-01T00:00:00Z", "finishedAt": "2026-01-01T00:00:01Z",
            "durationMs": 10, "connection": "qemu:///system", "root": "/", "stale": false, "errors": [],
            "host": ["hostname": "hv1", "facts": [:], "score": 90, "grade": "A", "layers": [:],
                     "findings": [["rule": "h.r", "layer": "host", "severity": "low", "status": "pass", "title": "host rule",
                                   "observed": [:], "expected": "x", "remediation": "", "pointsLost": 0]]],
            "domains": [["name": "vm", "uuid": "u", "state": "running", "profile": "baseline", "facts": [:],
                         "score": 97, "grade": "A",
                         "layers": ["mac": ["score": 0, "pass": 0, "fail": 2, "unknown": 0, "waived": 0]],
                         "findings": [["rule": "mac.r", "layer": "mac", "severity": "high", "status": "fail", "title": "MAC rule",
                                       "observed": ["a": 1], "expected": "confined", "remediation": "relabel", "pointsLost": 3,
                                       "id": "va1-x"]]]],
        ]
        let r = try ResultsJSON.decodeReport(v1)
        XCTAssertEqual(r.findingsListed, .all)
        XCTAssertEqual(r.rules["mac.r"]?.title, "MAC rule")
        XCTAssertEqual(r.rules["mac.r"]?.expected, "confined")
        XCTAssertEqual(r.rules["mac.r"]?.remediation, "relabel")
        XCTAssertEqual(r.rules["h.r"]?.title, "host rule")
        XCTAssertEqual(r.domains[0].findings[0].id, "va1-x")
        XCTAssertEqual(r.domains[0].findings[0].pointsLost, 3)
        XCTAssertNil(r.domains[0].layersStanding)
        XCTAssertEqual(r.domains[0].layers["mac"]?.down, true, "a stored sub-score of 0 was a dead layer")
        let out = try tree(ResultsJSON.report(r))
        XCTAssertEqual(out["format"], 2)
        XCTAssertEqual(out["rules"]?["mac.r"]?["title"], "MAC rule")
    }

    func testUnknownFormatIsAClearError() throws {
        var doc = try tree(ResultsJSON.report(Self.report()))
        doc.set("format", to: 3)
        XCTAssertThrowsError(try ResultsJSON.decodeReport(doc)) { e in
            XCTAssertEqual("\(e)", "results format 3 is not supported: this virtaudit reads formats 1 and 2")
        }
        XCTAssertThrowsError(try ResultsJSON.decodeReport(["scanId": "x"])) { e in
            XCTAssertTrue("\(e)".contains("not a virtaudit results document"), "\(e)")
        }
        var broken = try tree(ResultsJSON.report(Self.report()))
        broken.set("host", to: ["hostname": "h"])
        XCTAssertThrowsError(try ResultsJSON.decodeReport(broken)) { e in
            XCTAssertTrue("\(e)".contains("host.score"), "\(e)")
        }
    }
}
