import Core
import Foundation
import HTTPServer
import XCTest
@testable import Service

final class RouteTableTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    let table = RouteTable(APIRouter.routes + ServiceRoutes.routes)

    func testEveryDocumentedPathHasARouteAndEveryRouteIsDocumented() throws {
        let paths = try XCTUnwrap(OpenAPIDocument.bundled.value["paths"]?.objectValue)
        var documented: [String: Set<String>] = [:]
        for (path, item) in paths {
            documented[path] = Set((item.objectValue ?? [:]).keys.map { $0.uppercased() }).subtracting(["PARAMETERS"])
        }
        XCTAssertEqual(table.paths, documented)
        XCTAssertEqual(table.paths.count, 18)
    }

    func testEachRouteTakesExactlyTheDocumentedQueryParameters() throws {
        let document = OpenAPIDocument.bundled.value
        let shared = document["components"]?["parameters"]?.objectValue ?? [:]
        for route in table.routes {
            let operation = try XCTUnwrap(document["paths"]?[route.pattern.description]?[route.method.lowercased()],
                                          "\(route.method) \(route.pattern)")
            let parameters = (operation["parameters"]?.arrayValue ?? []).map { p -> JSONValue in
                guard let ref = p["$ref"]?.stringValue else { return p }
                return shared[String(ref.split(separator: "/").last ?? "")] ?? .null
            }
            let documented = Set(parameters.filter { $0["in"] == "query" }.compactMap { $0["name"]?.stringValue })
            XCTAssertEqual(route.query, documented, "\(route.method) \(route.pattern)")
        }
    }

    func testAParameterTheRouteDoesNotTakeIsRefusedNotIgnored() throws {
        let store = ResultStore()
        store.publish(Sample.report())
        let router = APIRouter(store: store, trigger: nil, tokens: TokenStore(), logger: LogCapture().logger)
        let typo = router.handle(.get("/api/v1/domains?grades=F"))
        XCTAssertEqual(typo.status, 400)
        let error = try XCTUnwrap(try JSONValue(parsing: Data(typo.body))["error"])
        XCTAssertEqual(error["parameter"], "grades")
        XCTAssertEqual(error["message"], "unknown query parameter 'grades'; allowed: grade, layer, q, sort, state")
        XCTAssertEqual(router.handle(.get("/api/v1/summary?x=1")).status, 400)
        XCTAssertEqual(router.handleInline(.get("/healthz?probe=1"))?.status, 400, "also on the event loop")
        XCTAssertEqual(router.handle(.get("/api/v1/domains?grade=F")).status, 200, "documented parameters pass")
        let anonymous = HTTPRequest.get("/api/v1/summary?x=1", remote: "192.0.2.1")
        XCTAssertEqual(APIRouter(store: store, trigger: nil, tokens: TokenStore(), logger: LogCapture().logger)
            .handle(anonymous).status, 403, "access is checked first")
    }

    func testEachPathAndMethodIsRoutedOnce() {
        var seen: Set<String> = []
        for route in table.routes {
            XCTAssertTrue(seen.insert("\(route.method) \(route.pattern)").inserted, "\(route.method) \(route.pattern)")
        }
    }

    func testPlacementDatabaseAndDiskOnWorkersMemoryInline() {
        for route in table.routes {
            let readsHistory = ["/metrics", "/api/v1/history", "/api/v1/diff", "/api/v1/alerts", "/api/v1/admissions"]
                .contains(route.pattern.description)
            let resultBody = ["/api/v1/summary", "/api/v1/report", "/api/v1/domains", "/api/v1/domains/{id}",
                              "/api/v1/domains/{id}/facts", "/api/v1/host", "/api/v1/findings"]
                .contains(route.pattern.description) && route.method == "GET"
            XCTAssertEqual(route.placement, readsHistory ? .worker : resultBody ? .encoded : .inline,
                           "\(route.method) \(route.pattern)")
        }
        XCTAssertEqual(table.placement(of: .get("/index.html")), .worker, "static files read the disk")
        XCTAssertEqual(table.placement(of: .get("/api/v1/domains/web01/facts")), .encoded)
        XCTAssertEqual(table.placement(of: .get("/api/v1/nope")), .inline, "a 404 needs no disk")
        XCTAssertEqual(table.placement(of: .get("/api/v1/history", method: "POST")), .inline, "a 405 needs no database")
    }

    func testTheRouterAnswersInlineRoutesOnTheLoopAndLeavesTheRestToWorkers() {
        let router = APIRouter(store: ResultStore(), trigger: nil, tokens: TokenStore(), logger: LogCapture().logger)
        XCTAssertEqual(router.handleInline(.get("/api/v1/summary"))?.status, 503, "no results yet, said from memory")
        XCTAssertEqual(router.handleInline(.get("/healthz"))?.status, 200)
        XCTAssertEqual(router.handleInline(.get("/api/v1/nope"))?.status, 404)
        XCTAssertNil(router.handleInline(.get("/api/v1/history")))
        XCTAssertNil(router.handleInline(.get("/metrics")))
        XCTAssertNil(router.handleInline(.get("/index.html")))
        XCTAssertEqual(router.handle(.get("/api/v1/history")).status, 503, "no service behind this router")
    }

    func testResultBodiesAreEncodedOnWorkersAndServedFromTheLoopOnceHeld() {
        let store = ResultStore()
        store.publish(Sample.report())
        let router = APIRouter(store: store, trigger: nil, tokens: TokenStore(), logger: LogCapture().logger)
        XCTAssertNil(router.handleInline(.get("/api/v1/report")), "not encoded yet: left to a worker")
        XCTAssertEqual(store.bodies.stats.misses, 0, "and nothing encoded on the loop")
        let encoded = router.handle(.get("/api/v1/report"))
        XCTAssertEqual(encoded.status, 200)
        let held = router.handleInline(.get("/api/v1/report"))
        XCTAssertEqual(held?.status, 200, "held now: answered on the loop")
        XCTAssertEqual(held?.body, encoded.body)
        XCTAssertNil(router.handleInline(.get("/api/v1/report?findings=all")), "another body is not held")
        XCTAssertEqual(router.handleInline(.get("/api/v1/report?findings=bogus"))?.status, 400, "errors need no encoding")
        XCTAssertEqual(router.handleInline(.get("/api/v1/domains/nope"))?.status, 404)
        let conditional = HTTPRequest.get("/api/v1/report?findings=all",
                                          headers: [("If-None-Match", store.etag(.report(listing: .all)) ?? "")])
        XCTAssertEqual(router.handleInline(conditional)?.status, 304, "a 304 needs no body")
    }

    func testAccessOnlyHealthIsOpenOnlyStartingAScanNeedsAdmin() {
        for route in table.routes {
            switch (route.method, route.pattern.description) {
            case ("GET", "/healthz"): XCTAssertEqual(route.access, .open)
            case ("POST", "/api/v1/scans"): XCTAssertEqual(route.access, .admin(action: "start scans"))
            default: XCTAssertEqual(route.access, .read, "\(route.method) \(route.pattern)")
            }
        }
    }

    func testMatchingPathsParametersMethodsAndTheRest() throws {
        guard case .route(let route, let request) = table.match(.get("/api/v1/domains/web01/facts")) else {
            return XCTFail("no route")
        }
        XCTAssertEqual(route.pattern.description, "/api/v1/domains/{id}/facts")
        XCTAssertEqual(request.id, "web01")
        guard case .methodNotAllowed(let allow, let access) = table.match(.get("/api/v1/scans", method: "PUT")) else {
            return XCTFail("no 405")
        }
        XCTAssertEqual(allow, ["GET", "POST"])
        XCTAssertEqual(access, .read, "the least demanding access of the path decides who learns the 405")
        guard case .methodNotAllowed(_, .open) = table.match(.get("/healthz", method: "POST")) else { return XCTFail() }
        for path in ["/api", "/api/", "/api/v1/domains/", "/api/v1/domains//facts", "/api/v1/summary/x", "/api/v2/summary"] {
            guard case .unknownAPIPath = table.match(.get(path)) else { return XCTFail(path) }
        }
        for path in ["/", "/index.html", "/apis", "/metrics/x", "/healthz/"] {
            guard case .page = table.match(.get(path)) else { return XCTFail(path) }
        }
    }

    func testPathPatterns() {
        let pattern = PathPattern("/api/v1/domains/{id}")
        XCTAssertEqual(pattern.match("/api/v1/domains/a-b"), ["a-b"])
        XCTAssertNil(pattern.match("/api/v1/domains/"))
        XCTAssertNil(pattern.match("/api/v1/domains"))
        XCTAssertNil(pattern.match("/api/v1/domains/a/b"))
        XCTAssertNil(pattern.match("api/v1/domains/a"))
        XCTAssertEqual(PathPattern("/healthz").match("/healthz"), [])
    }

    /// Every error code the API can send is one `Docs/openapi.yaml` documents.
    func testDocumentedErrorCodesCoverEveryCodeTheServiceSends() throws {
        let codes = OpenAPIDocument.bundled.value["components"]?["schemas"]?["Error"]?["properties"]?["error"]?["properties"]?["code"]?["enum"]
        let documented = Set(codes?.arrayValue?.compactMap(\.stringValue) ?? [])
        var used: Set<String> = []
        for file in ["Sources/Service/APIRouter.swift", "Sources/Service/ServiceRoutes.swift",
                     "Sources/Service/Authenticator.swift", "Sources/HTTPServer/APIError.swift"] {
            let source = try String(contentsOf: Self.repository.appendingPathComponent(file), encoding: .utf8)
            used.formUnion(source.matches(of: /code: "([a-z_]+)"|return "([a-z_]+)"/).map { String($0.output.1 ?? $0.output.2!) })
        }
        XCTAssertTrue(used.isSuperset(of: ["no_results", "scans_unavailable", "unauthorized", "forbidden", "bad_request",
                                          "not_found", "method_not_allowed", "content_too_large", "internal_error"]), "\(used)")
        XCTAssertEqual(used.subtracting(documented), [])
    }
}
