import Core
import Foundation
import Glibc
import HTTPServer
import XCTest
@testable import Service

final class APIRouterTests: XCTestCase {
    var clock = ManualClock()
    var store = ResultStore()
    var logs = LogCapture()

    override func setUp() {
        clock = ManualClock()
        store = ResultStore(clock: clock.function)
        logs = LogCapture()
    }

    func router(tokens: TokenStore = TokenStore(), trigger: (any ScanTrigger)? = nil,
                staticFiles: (any HTTPHandler)? = nil, maxBodyBytes: Int = 1024) -> APIRouter {
        APIRouter(store: store, trigger: trigger, tokens: tokens, logger: logs.logger,
                  policies: { ["rules": [["id": "dac.non-root-user", "layer": "dac"]], "profiles": ["default": [:]]] },
                  staticFiles: staticFiles, maxBodyBytes: maxBodyBytes)
    }

    func published(_ report: ScanReport = Sample.report()) -> APIRouter {
        store.publish(report)
        return router()
    }

    func names(_ response: HTTPResponse) -> [String] {
        response.json?["domains"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    // MARK: health

    func testHealthBeforeFirstScanHasNoLastScanAndIsNotConnected() {
        let response = router().handle(.get("/healthz"))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.json?["status"], "ok")
        XCTAssertEqual(response.json?["lastScan"], .null)
        XCTAssertEqual(response.json?["libvirt"]?["connected"], false)
        XCTAssertEqual(response.headers["Cache-Control"], "no-store")
    }

    func testHealthReportsLastScanAgeFromTheStoreClock() {
        let router = published()
        clock.advance(42)
        let health = router.handle(.get("/healthz")).json
        XCTAssertEqual(health?["lastScan"]?["id"], "scan-1")
        XCTAssertEqual(health?["lastScan"]?["at"], "2026-11-23T02:00:01.500Z")
        XCTAssertEqual(health?["lastScan"]?["ageSeconds"], 42)
        XCTAssertEqual(health?["libvirt"]?["connected"], true)
        XCTAssertEqual(health?["stale"], false)
    }

    func testHealthShowsStaleAfterTheStoreIsMarkedStale() {
        let router = published()
        store.setStale(true)
        store.setLibvirtConnected(false)
        let response = router.handle(.get("/healthz"))
        let health = response.json
        XCTAssertEqual(health?["stale"], true)
        XCTAssertEqual(health?["libvirt"]?["connected"], false)
        XCTAssertEqual(health?["status"], "degraded", "stale results from a disconnected libvirt are not ok")
        XCTAssertEqual(health?["reasons"]?.arrayValue?.count, 2)
        XCTAssertEqual(health?["reasons"]?.arrayValue?.first?.stringValue, "libvirt is disconnected")
        XCTAssertEqual(response.status, 200, "degraded stays 200: the process is alive")
    }

    func testHealthIsDegradedWhenTheFirstScanFailedBeforeAnyResult() {
        let router = router()
        store.setStale(true)
        store.setLibvirtConnected(false)
        let health = router.handle(.get("/healthz")).json
        XCTAssertEqual(health?["status"], "degraded")
        XCTAssertEqual(health?["reasons"], ["libvirt is disconnected"], "no results, so none are stale")
    }

    func testHealthIsDegradedWhileScansWaitForHistoryAndOkOnceWritten() {
        let router = published()
        XCTAssertEqual(router.handle(.get("/healthz")).json?["status"], "ok")
        XCTAssertEqual(router.handle(.get("/healthz")).json?["reasons"], [])
        store.setHistoryState(pending: 3, problem: "history database /d/history.sqlite3: database or disk is full")
        let health = router.handle(.get("/healthz")).json
        XCTAssertEqual(health?["status"], "degraded")
        XCTAssertEqual(health?["history"]?["pendingScans"], 3)
        XCTAssertEqual(health?["reasons"]?.arrayValue?.first?.stringValue,
                       "history write failed, 3 scans waiting to be written: history database /d/history.sqlite3: database or disk is full")
        store.setHistoryState(pending: 0, problem: nil)
        XCTAssertEqual(router.handle(.get("/healthz")).json?["status"], "ok")
        XCTAssertEqual(router.handle(.get("/healthz")).json?["history"]?["error"], .null)
    }

    func testHealthNeedsNoTokenEvenWhenTokensAreConfigured() throws {
        let tokens = try TokenStore.parse(TokenStore.newToken(role: .read).line)
        XCTAssertEqual(router(tokens: tokens).handle(.get("/healthz")).status, 200)
    }

    // MARK: results before any scan

    func testResultEndpointsAnswer503WithRetryAfterBeforeTheFirstScan() {
        for path in ["/api/v1/summary", "/api/v1/domains", "/api/v1/host", "/api/v1/findings", "/api/v1/report",
                     "/api/v1/domains/web01"] {
            let response = router().handle(.get(path))
            XCTAssertEqual(response.status, 503, path)
            XCTAssertEqual(response.json?["error"]?["code"], "no_results", path)
            XCTAssertNotNil(response.headers["Retry-After"], path)
        }
    }

    func testInvalidParametersAreRejectedEvenBeforeTheFirstScan() {
        XCTAssertEqual(router().handle(.get("/api/v1/domains?sort=size")).status, 400)
    }

    // MARK: summary

    func testSummaryCountsDomainsByGradeAndStateAndFailingBySeverity() throws {
        let summary = try XCTUnwrap(published().handle(.get("/api/v1/summary")).json)
        XCTAssertEqual(summary["host"]?["score"], 85)
        XCTAssertEqual(summary["host"]?["grade"], "B")
        XCTAssertEqual(summary["domains"]?["total"], 3)
        XCTAssertEqual(summary["domains"]?["byGrade"], ["A": 1, "F": 1, "C": 1])
        XCTAssertEqual(summary["domains"]?["byState"], ["running": 2, "shutoff": 1])
        XCTAssertEqual(summary["failing"]?["domains"], ["critical": 1, "high": 2, "medium": 1, "low": 0, "info": 0])
        XCTAssertEqual(summary["failing"]?["host"], ["critical": 0, "high": 1, "medium": 0, "low": 0, "info": 0])
        XCTAssertEqual(summary["failing"]?["total"]?["high"], 3)
        XCTAssertEqual(summary["lastScan"]?["id"], "scan-1")
        XCTAssertEqual(summary["stale"], false)
    }

    func testSummaryFollowsTheStaleFlagAndChangesItsETag() {
        let router = published()
        let before = router.handle(.get("/api/v1/summary"))
        store.setStale(true)
        let after = router.handle(.get("/api/v1/summary"))
        XCTAssertEqual(after.json?["stale"], true)
        XCTAssertNotEqual(before.headers["ETag"], after.headers["ETag"])
    }

    // MARK: domains

    func testDomainListIsSortedByNameCaseInsensitivelyByDefault() {
        let response = published().handle(.get("/api/v1/domains"))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(names(response), ["Build-03", "db02", "web01"])
        XCTAssertEqual(response.json?["count"], 3)
    }

    func testDomainListItemsCarryScoresLayersAndFailingCounts() throws {
        let response = published().handle(.get("/api/v1/domains?q=db"))
        let db = try XCTUnwrap(response.json?["domains"]?.arrayValue?.first)
        XCTAssertEqual(db["uuid"], .string(Sample.db))
        XCTAssertEqual(db["state"], "running")
        XCTAssertEqual(db["score"], 40)
        XCTAssertEqual(db["grade"], "F")
        XCTAssertEqual(db["profile"], "default")
        XCTAssertEqual(db["layers"]?["dac"]?["fail"], 1)
        XCTAssertEqual(db["failing"], ["critical": 1, "high": 1, "medium": 0, "low": 0, "info": 0])
        XCTAssertEqual(db["links"]?["self"], .string("/api/v1/domains/\(Sample.db)"))
        XCTAssertNil(db["facts"], "the list leaves facts out")
    }

    func testDomainFiltersByGradeListStateLayerAndName() {
        let router = published()
        XCTAssertEqual(names(router.handle(.get("/api/v1/domains?grade=F,C"))), ["Build-03", "db02"])
        XCTAssertEqual(names(router.handle(.get("/api/v1/domains?state=shutoff"))), ["Build-03"])
        XCTAssertEqual(names(router.handle(.get("/api/v1/domains?layer=mac"))), ["web01"])
        XCTAssertEqual(names(router.handle(.get("/api/v1/domains?layer=seccomp"))), ["db02"])
        XCTAssertEqual(names(router.handle(.get("/api/v1/domains?q=BUILD"))), ["Build-03"])
        XCTAssertEqual(names(router.handle(.get("/api/v1/domains?grade=A&state=shutoff"))), [])
    }

    func testDomainSortingByEveryKeyBothWays() {
        let router = published()
        XCTAssertEqual(names(router.handle(.get("/api/v1/domains?sort=score"))), ["db02", "Build-03", "web01"])
        XCTAssertEqual(names(router.handle(.get("/api/v1/domains?sort=-score"))), ["web01", "Build-03", "db02"])
        XCTAssertEqual(names(router.handle(.get("/api/v1/domains?sort=grade"))), ["web01", "Build-03", "db02"])
        XCTAssertEqual(names(router.handle(.get("/api/v1/domains?sort=-name"))), ["web01", "db02", "Build-03"])
        XCTAssertEqual(names(router.handle(.get("/api/v1/domains?sort=state"))), ["db02", "web01", "Build-03"])
        XCTAssertEqual(names(router.handle(.get("/api/v1/domains?sort=-state"))), ["Build-03", "web01", "db02"])
    }

    func testInvalidDomainParametersGive400NamingTheParameter() {
        let router = published()
        for (query, parameter) in [("sort=size", "sort"), ("sort=--name", "sort"), ("grade=a", "grade"),
                                   ("grade=A,,F", "grade"), ("grade=", "grade"), ("state=Running", "state"),
                                   ("layer=selinux", "layer")] {
            let response = router.handle(.get("/api/v1/domains?\(query)"))
            XCTAssertEqual(response.status, 400, query)
            XCTAssertEqual(response.json?["error"]?["code"], "bad_request", query)
            XCTAssertEqual(response.json?["error"]?["parameter"], .string(parameter), query)
            XCTAssertTrue(response.json?["error"]?["message"]?.stringValue?.contains(parameter) ?? false, query)
        }
    }

    func testDomainDetailByUUIDInAnyCaseOrByName() throws {
        let router = published()
        let byUUID = router.handle(.get("/api/v1/domains/\(Sample.db.uppercased())"))
        let byName = router.handle(.get("/api/v1/domains/db02"))
        XCTAssertEqual(byUUID.status, 200)
        XCTAssertEqual(byUUID.body, byName.body)
        let db = try XCTUnwrap(byName.json)
        XCTAssertEqual(db["findings"]?.arrayValue?.count, 3)
        XCTAssertEqual(db["findings"]?.arrayValue?[2]["reason"], "/proc/2/attr/current unreadable")
        XCTAssertEqual(db["findings"]?.arrayValue?[0]["waiver"], .null)
        XCTAssertEqual(db["facts"]?["process"]?["uid"], 0)
        XCTAssertEqual(db["id"], 2)
    }

    func testShutOffDomainHasNullId() {
        XCTAssertEqual(published().handle(.get("/api/v1/domains/Build-03")).json?["id"], .null)
    }

    func testUnknownDomainIs404JSON() {
        let router = published()
        for path in ["/api/v1/domains/nope", "/api/v1/domains/nope/facts"] {
            let response = router.handle(.get(path))
            XCTAssertEqual(response.status, 404, path)
            XCTAssertEqual(response.json?["error"]?["code"], "not_found", path)
            XCTAssertEqual(response.headers["Content-Type"], "application/json")
        }
    }

    func testFactsEndpointServesOnlyTheFactTree() {
        let response = published().handle(.get("/api/v1/domains/web01/facts"))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.json, ["domain": ["name": "web01", "running": true],
                                       "process": ["uid": 107, "seccomp": ["mode": 2]]])
    }

    // MARK: host and report

    func testHostEndpointServesTheHostReport() {
        let host = published().handle(.get("/api/v1/host")).json
        XCTAssertEqual(host?["hostname"], "hv1")
        XCTAssertEqual(host?["grade"], "B")
        // Results format 2: the failing finding is listed with its rule's texts, the pass is counted.
        XCTAssertEqual(host?["findings"]?.arrayValue?.count, 1)
        XCTAssertEqual(host?["findings"]?.arrayValue?.first?["status"], "fail")
        XCTAssertEqual(host?["rules"]?.objectValue?.count, 1)
        XCTAssertEqual(host?["facts"]?["host"]?["selinux"]?["enforcing"], false)
        let all = published().handle(.get("/api/v1/host?findings=all"))
        XCTAssertEqual(all.json?["findings"]?.arrayValue?.count, 2, "findings=all lists the passes too")
        XCTAssertEqual(published().handle(.get("/api/v1/host?findings=some")).status, 400)
    }

    func testReportEndpointServesTheWholeScan() {
        let report = published().handle(.get("/api/v1/report")).json
        XCTAssertEqual(report?["scanId"], "scan-1")
        XCTAssertEqual(report?["version"], .int(ScanReport.formatVersion))
        XCTAssertEqual(report?["domains"]?.arrayValue?.count, 3)
        XCTAssertEqual(report?["host"]?["hostname"], "hv1")
    }

    // MARK: findings

    func rules(_ response: HTTPResponse) -> [String] {
        response.json?["findings"]?.arrayValue?.compactMap { f in
            guard let rule = f["rule"]?.stringValue, let name = f["target"]?["name"]?.stringValue else { return nil }
            return "\(name):\(rule)"
        } ?? []
    }

    func testFindingsAreFlattenedHostFirstWithTargets() throws {
        let response = published().handle(.get("/api/v1/findings"))
        XCTAssertEqual(response.json?["count"], 9)
        let first = try XCTUnwrap(response.json?["findings"]?.arrayValue?.first)
        XCTAssertEqual(first["target"], ["kind": "host", "name": "hv1", "uuid": nil])
        let last = try XCTUnwrap(response.json?["findings"]?.arrayValue?.last)
        XCTAssertEqual(last["target"], ["kind": "domain", "name": "Build-03", "uuid": .string(Sample.build)])
    }

    func testFindingFiltersCombine() {
        let router = published()
        XCTAssertEqual(rules(router.handle(.get("/api/v1/findings?severity=critical&status=fail"))),
                       ["db02:dac.non-root-user"])
        XCTAssertEqual(rules(router.handle(.get("/api/v1/findings?layer=mac,seccomp&status=fail,unknown"))),
                       ["web01:mac.svirt-unique-category", "db02:seccomp.filter-enabled", "db02:mac.svirt-unique-category"])
        XCTAssertEqual(rules(router.handle(.get("/api/v1/findings?rule=host.*"))),
                       ["hv1:host.selinux-enforcing", "hv1:host.kvm-device-mode"])
        XCTAssertEqual(rules(router.handle(.get("/api/v1/findings?rule=*non-root*&domain=web01"))),
                       ["web01:dac.non-root-user"])
        XCTAssertEqual(rules(router.handle(.get("/api/v1/findings?domain=\(Sample.build)&status=not-applicable"))),
                       ["Build-03:device-isolation.iommu-group-viable"])
        XCTAssertEqual(rules(router.handle(.get("/api/v1/findings?target=host&status=fail"))),
                       ["hv1:host.selinux-enforcing"])
        XCTAssertEqual(rules(router.handle(.get("/api/v1/findings?domain=unknown-vm"))), [])
    }

    func testInvalidFindingParametersGive400NamingTheParameter() {
        let router = published()
        for (query, parameter) in [("severity=urgent", "severity"), ("layer=dac,", "layer"), ("status=failed", "status"),
                                   ("target=vm", "target"), ("rule=", "rule"), ("domain=", "domain")] {
            let response = router.handle(.get("/api/v1/findings?\(query)"))
            XCTAssertEqual(response.status, 400, query)
            XCTAssertEqual(response.json?["error"]?["parameter"], .string(parameter), query)
        }
    }

    // MARK: policies and openapi

    func testPoliciesComeFromTheProvider() {
        let response = published().handle(.get("/api/v1/policies"))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.json?["rules"]?.arrayValue?.first?["id"], "dac.non-root-user")
        XCTAssertNotNil(response.headers["ETag"])
    }

    func testOpenAPIIsServedAsYAMLAndAsEquivalentJSON() throws {
        let router = router()
        let yaml = router.handle(.get("/api/v1/openapi.yaml"))
        let json = router.handle(.get("/api/v1/openapi.json"))
        XCTAssertEqual(yaml.status, 200)
        XCTAssertEqual(yaml.headers["Content-Type"], "application/yaml")
        XCTAssertEqual(json.headers["Content-Type"], "application/json")
        let fromYAML = try YAMLTree.json(parsing: yaml.text)
        XCTAssertEqual(fromYAML["openapi"], "3.0.3")
        XCTAssertEqual(try XCTUnwrap(json.json), fromYAML)
    }

    // MARK: scans

    func testPostScansAnswers202WithLocationAndLink() {
        let trigger = RecordingTrigger(store: store)
        let response = router(trigger: trigger).handle(.get("/api/v1/scans", headers: HTTPRequest.dashboardPost, method: "POST"))
        XCTAssertEqual(response.status, 202)
        XCTAssertEqual(response.headers["Location"], "/api/v1/scans/scan-1")
        XCTAssertEqual(response.json?["id"], "scan-1")
        XCTAssertEqual(response.json?["state"], "queued")
        XCTAssertEqual(response.json?["links"]?["self"], "/api/v1/scans/scan-1")
        XCTAssertEqual(trigger.requests, 1)
    }

    func testScanRecordsAreListedNewestFirstAndLookedUpById() {
        let router = router(trigger: RecordingTrigger(store: store))
        _ = router.handle(.get("/api/v1/scans", headers: HTTPRequest.dashboardPost, method: "POST"))
        _ = router.handle(.get("/api/v1/scans", headers: HTTPRequest.dashboardPost, method: "POST"))
        let list = router.handle(.get("/api/v1/scans")).json
        XCTAssertEqual(list?["scans"]?.arrayValue?.compactMap { $0["id"]?.stringValue }, ["scan-2", "scan-1"])
        XCTAssertEqual(router.handle(.get("/api/v1/scans?limit=1")).json?["count"], 1)
        XCTAssertEqual(router.handle(.get("/api/v1/scans/scan-1")).json?["state"], "queued")
        XCTAssertEqual(router.handle(.get("/api/v1/scans/scan-9")).status, 404)
        XCTAssertEqual(router.handle(.get("/api/v1/scans?limit=0")).json?["error"]?["parameter"], "limit")
    }

    func testPostScansWithoutATriggerIs503() {
        XCTAssertEqual(router().handle(.get("/api/v1/scans", headers: HTTPRequest.dashboardPost, method: "POST")).status, 503)
    }

    func testPostBodyOverTheLimitIs413AndDoesNotStartAScan() {
        let trigger = RecordingTrigger(store: store)
        let router = router(trigger: trigger, maxBodyBytes: 16)
        let response = router.handle(.get("/api/v1/scans", headers: HTTPRequest.dashboardPost, method: "POST", body: Array(repeating: 0x20, count: 17)))
        XCTAssertEqual(response.status, 413)
        XCTAssertEqual(trigger.requests, 0)
        XCTAssertEqual(router.handle(.get("/api/v1/scans", headers: HTTPRequest.dashboardPost, method: "POST", body: Array("{}".utf8))).status, 202)
    }

    func testGetIgnoresItsBody() {
        let response = published().handle(.get("/api/v1/summary", body: Array("garbage".utf8)))
        XCTAssertEqual(response.status, 200)
    }

    // MARK: methods and paths

    func testOtherMethodsGet405WithAllow() {
        let router = published()
        for (method, path, allow) in [("DELETE", "/api/v1/domains", "GET"), ("POST", "/api/v1/summary", "GET"),
                                      ("PUT", "/api/v1/scans", "GET, POST"), ("PATCH", "/api/v1/scans/x", "GET"),
                                      ("POST", "/healthz", "GET")] {
            let response = router.handle(.get(path, method: method))
            XCTAssertEqual(response.status, 405, "\(method) \(path)")
            XCTAssertEqual(response.headers["Allow"], allow, "\(method) \(path)")
            XCTAssertEqual(response.json?["error"]?["code"], "method_not_allowed")
        }
    }

    func testUnknownAPIPathsAre404JSON() {
        let router = published()
        for path in ["/api", "/api/", "/api/v2/summary", "/api/v1/domains/", "/api/v1/domains/web01/facts/x",
                     "/api/v1/summary/extra", "/api/v1/scans/"] {
            let response = router.handle(.get(path))
            XCTAssertEqual(response.status, 404, path)
            XCTAssertEqual(response.json?["error"]?["code"], "not_found", path)
        }
    }

    struct StaticFiles: HTTPHandler {
        func handle(_ request: HTTPRequest) -> HTTPResponse {
            HTTPResponse(status: 200, contentType: "text/html", body: Array("page \(request.path)".utf8))
        }
    }

    func testNonAPIPathsGoToTheStaticHandlerOr404() {
        XCTAssertEqual(router(staticFiles: StaticFiles()).handle(.get("/index.html")).text, "page /index.html")
        XCTAssertEqual(router(staticFiles: StaticFiles()).handle(.get("/apis")).text, "page /apis")
        let none = router().handle(.get("/index.html"))
        XCTAssertEqual(none.status, 404)
        XCTAssertEqual(none.json?["error"]?["code"], "not_found")
    }

    // MARK: conditional requests

    func testEveryResultEndpointCarriesAnETagAndAnswers304ToIt() {
        let router = published()
        for path in ["/api/v1/summary", "/api/v1/domains", "/api/v1/domains?grade=F", "/api/v1/domains/web01",
                     "/api/v1/domains/web01/facts", "/api/v1/host", "/api/v1/findings", "/api/v1/findings?status=fail",
                     "/api/v1/report", "/api/v1/policies", "/api/v1/openapi.json", "/api/v1/openapi.yaml"] {
            let first = router.handle(.get(path))
            guard let etag = first.headers["ETag"] else { return XCTFail("no ETag on \(path)") }
            let again = router.handle(.get(path, headers: [("If-None-Match", etag)]))
            XCTAssertEqual(again.status, 304, path)
            XCTAssertEqual(again.body, [], path)
            XCTAssertEqual(again.headers["ETag"], etag, path)
            let other = router.handle(.get(path, headers: [("If-None-Match", "\"other\"")]))
            XCTAssertEqual(other.status, 200, path)
        }
    }

    func testETagChangesWhenANewScanIsPublished() {
        let router = published()
        let etag = router.handle(.get("/api/v1/domains")).headers["ETag"]
        var report = Sample.report(scanId: "scan-2")
        report.domains[0].score = 10
        store.publish(report)
        let response = router.handle(.get("/api/v1/domains", headers: [("If-None-Match", etag ?? "")]))
        XCTAssertEqual(response.status, 200)
        XCTAssertNotEqual(response.headers["ETag"], etag)
    }

    func testFilteredListsHaveDifferentETagsThanTheFullList() {
        let router = published()
        XCTAssertNotEqual(router.handle(.get("/api/v1/domains")).headers["ETag"],
                          router.handle(.get("/api/v1/domains?grade=F")).headers["ETag"])
    }

    // MARK: authentication matrix

    func tokenSetup() throws -> (read: String, admin: String, tokens: TokenStore) {
        let read = TokenStore.newToken(role: .read, name: "grafana")
        let admin = TokenStore.newToken(role: .admin, name: "ops")
        return (read.token, admin.token, try TokenStore.parse(read.line + "\n" + admin.line + "\n"))
    }

    func testWithoutTokensLoopbackClientsMayReadAndScan() {
        store.publish(Sample.report())
        let router = router(trigger: RecordingTrigger(store: store))
        XCTAssertEqual(router.handle(.get("/api/v1/summary", remote: "127.0.0.1")).status, 200)
        XCTAssertEqual(router.handle(.get("/api/v1/summary", remote: "::1")).status, 200)
        XCTAssertEqual(router.handle(.get("/api/v1/scans", headers: HTTPRequest.dashboardPost, remote: "127.0.0.5", method: "POST")).status, 202)
    }

    func testWithoutTokensARemoteClientIsForbidden() {
        let response = published().handle(.get("/api/v1/summary", remote: "192.0.2.7"))
        XCTAssertEqual(response.status, 403)
        XCTAssertEqual(response.json?["error"]?["code"], "forbidden")
    }

    func testWithoutTokensAPresentedTokenIsStillRefused() {
        let response = published().handle(.get("/api/v1/summary", headers: [("Authorization", "Bearer anything")]))
        XCTAssertEqual(response.status, 401)
    }

    func testWithTokensARequestWithoutCredentialsGets401WithChallenge() throws {
        let setup = try tokenSetup()
        store.publish(Sample.report())
        let response = router(tokens: setup.tokens).handle(.get("/api/v1/summary"))
        XCTAssertEqual(response.status, 401)
        XCTAssertEqual(response.headers["WWW-Authenticate"], "Bearer realm=\"virtaudit\"")
        XCTAssertEqual(response.json?["error"]?["code"], "unauthorized")
    }

    func testWithTokensUnknownPathsAndMethodsAlsoNeedCredentials() throws {
        let router = router(tokens: try tokenSetup().tokens)
        XCTAssertEqual(router.handle(.get("/api/v1/nothing")).status, 401)
        XCTAssertEqual(router.handle(.get("/api/v1/domains", method: "DELETE")).status, 401)
    }

    func testMalformedAuthorizationHeadersGet401() throws {
        let setup = try tokenSetup()
        let router = router(tokens: setup.tokens)
        for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", setup.read, "Token \(setup.read)"] {
            let response = router.handle(.get("/api/v1/summary", headers: [("Authorization", header)]))
            XCTAssertEqual(response.status, 401, header)
            XCTAssertNotNil(response.headers["WWW-Authenticate"], header)
        }
    }

    func testReadTokenReadsButCannotStartScans() throws {
        let setup = try tokenSetup()
        store.publish(Sample.report())
        let trigger = RecordingTrigger(store: store)
        let router = router(tokens: setup.tokens, trigger: trigger)
        let auth = [("Authorization", "Bearer \(setup.read)")]
        XCTAssertEqual(router.handle(.get("/api/v1/domains", headers: auth, remote: "192.0.2.7")).status, 200)
        XCTAssertEqual(router.handle(.get("/api/v1/scans", headers: auth)).status, 200)
        let post = router.handle(.get("/api/v1/scans", headers: auth, method: "POST"))
        XCTAssertEqual(post.status, 403)
        XCTAssertEqual(post.json?["error"]?["code"], "forbidden")
        XCTAssertEqual(trigger.requests, 0)
    }

    func testAdminTokenReadsAndStartsScansAndSchemeIsCaseInsensitive() throws {
        let setup = try tokenSetup()
        store.publish(Sample.report())
        let trigger = RecordingTrigger(store: store)
        let router = router(tokens: setup.tokens, trigger: trigger)
        let auth = [("Authorization", "bearer \(setup.admin)")]
        XCTAssertEqual(router.handle(.get("/api/v1/summary", headers: auth)).status, 200)
        XCTAssertEqual(router.handle(.get("/api/v1/scans", headers: auth, remote: "192.0.2.7", method: "POST")).status, 202)
        XCTAssertEqual(trigger.requests, 1)
    }

    func testWrongTokenGets401AndLoopbackDoesNotBypassTokens() throws {
        let setup = try tokenSetup()
        let router = router(tokens: setup.tokens)
        let wrong = setup.read.dropLast() + (setup.read.hasSuffix("A") ? "B" : "A")
        XCTAssertEqual(router.handle(.get("/api/v1/summary", headers: [("Authorization", "Bearer \(wrong)")])).status, 401)
        XCTAssertEqual(router.handle(.get("/api/v1/summary", remote: "127.0.0.1")).status, 401)
    }

    func testRefusalsAreLoggedWithPeerAndReasonButNeverTheToken() throws {
        let setup = try tokenSetup()
        let router = router(tokens: setup.tokens, trigger: RecordingTrigger(store: store))
        let wrong = "va_not-a-real-token-0123456789"
        _ = router.handle(.get("/api/v1/summary", headers: [("Authorization", "Bearer \(wrong)")], remote: "192.0.2.7"))
        _ = router.handle(.get("/api/v1/summary", headers: [("Authorization", "Basic \(setup.admin)")], remote: "192.0.2.8"))
        _ = router.handle(.get("/api/v1/scans", headers: [("Authorization", "Bearer \(setup.read)")], method: "POST"))
        let records = logs.records
        XCTAssertEqual(records.count, 3)
        XCTAssertEqual(records.map { $0.metadata["remote"]?.description }, ["192.0.2.7", "192.0.2.8", "127.0.0.1"])
        XCTAssertEqual(records[0].metadata["reason"]?.description, "unknown token")
        XCTAssertEqual(records[1].metadata["reason"]?.description, "malformed Authorization header")
        XCTAssertTrue(records[2].metadata["reason"]?.description.contains("read") ?? false)
        for secret in [wrong, setup.admin, setup.read] {
            XCTAssertFalse(logs.text.contains(secret), "a token appears in the log")
        }
    }

    // MARK: open mode against pages in the admin's browser

    /// Without tokens: a rebinding page (`Host: evil.example:8470`) cannot read the report, a
    /// simple cross-site POST (text/plain, form, no body) cannot start a scan, the dashboard's
    /// own request can; over live sockets, as a browser would send them.
    func testOpenModeRefusesRebindingAndCrossSiteRequestsOverTheWire() throws {
        store.publish(Sample.report())
        let trigger = RecordingTrigger(store: store)
        let server = HTTPServer(config: HTTPServerConfig(host: "127.0.0.1", port: 0),
                                handler: APIRouter(store: store, trigger: trigger, tokens: TokenStore(), logger: logs.logger))
        try server.start()
        defer { server.shutdown(graceful: false) }
        let port = server.boundPort
        func send(_ head: String, body: String = "") throws -> (Int, String) {
            let reply = try RawHTTP.exchange(port: port, Array((head + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body).utf8))
            return reply
        }
        let host = "Host: 127.0.0.1:\(port)\r\n"
        XCTAssertEqual(try send("GET /api/v1/report HTTP/1.1\r\n" + host).0, 200)
        let rebound = try send("GET /api/v1/report HTTP/1.1\r\nHost: evil.example:\(port)\r\n")
        XCTAssertEqual(rebound.0, 403)
        XCTAssertTrue(rebound.1.contains("is not a name of this service"))
        XCTAssertEqual(try send("GET / HTTP/1.1\r\nHost: evil.example:\(port)\r\n").0, 403, "the dashboard too")
        XCTAssertEqual(try send("GET /healthz HTTP/1.1\r\nHost: evil.example:\(port)\r\n").0, 200, "probes need no name")
        for head in ["Content-Type: text/plain\r\n", "Content-Type: application/x-www-form-urlencoded\r\n", ""] {
            XCTAssertEqual(try send("POST /api/v1/scans HTTP/1.1\r\n" + host + head, body: head.isEmpty ? "" : "a=b").0, 403, head)
        }
        XCTAssertEqual(try send("POST /api/v1/scans HTTP/1.1\r\n" + host + "Content-Type: application/json\r\nOrigin: https://evil.example\r\n",
                                body: "{}").0, 403)
        XCTAssertEqual(trigger.requests, 0, "no refused request started a scan")
        XCTAssertEqual(try send("POST /api/v1/scans HTTP/1.1\r\n" + host + "Content-Type: application/json\r\nOrigin: http://127.0.0.1:\(port)\r\n",
                                body: "{}").0, 202)
        XCTAssertEqual(try send("POST /api/v1/scans HTTP/1.1\r\n" + host + "X-Requested-With: virtaudit\r\n").0, 202)
        XCTAssertEqual(trigger.requests, 2)
        // Unsupported methods still get their 405, not a CSRF refusal.
        XCTAssertEqual(try send("DELETE /api/v1/scans HTTP/1.1\r\n" + host).0, 405)
    }

    func testDuplicateAuthorizationHeadersAre400() throws {
        let setup = try tokenSetup()
        store.publish(Sample.report())
        let response = router(tokens: setup.tokens).handle(.get("/api/v1/summary", headers: [
            ("Authorization", "Bearer \(setup.read)"), ("Authorization", "Bearer \(setup.admin)")]))
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(response.json?["error"]?["code"], "bad_request")
    }

    func testAPIJSONCarriesNosniff() {
        let router = published()
        for target in ["/api/v1/summary", "/api/v1/report", "/api/v1/scans", "/api/v1/nope", "/healthz", "/api/v1/domains?grade=Q"] {
            XCTAssertEqual(router.handle(.get(target)).headers["X-Content-Type-Options"], "nosniff", target)
        }
        let etag = router.handle(.get("/api/v1/summary")).headers["ETag"] ?? ""
        XCTAssertEqual(router.handle(.get("/api/v1/summary", headers: [("If-None-Match", etag)])).headers["X-Content-Type-Options"],
                       "nosniff", "a 304 keeps it")
    }
}

/// One request over a fresh loopback connection; the status and the raw response text.
enum RawHTTP {
    static func exchange(port: Int, _ bytes: [UInt8]) throws -> (Int, String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw POSIXError(.ECONNREFUSED) }
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        let text = String(decoding: out, as: UTF8.self)
        let status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return (status, text)
    }
}
