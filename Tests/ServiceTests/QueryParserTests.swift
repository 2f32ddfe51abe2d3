import HTTPServer
import XCTest
@testable import Service

final class QueryParserTests: XCTestCase {
    private func refusal(_ body: () throws -> Void) -> APIError? {
        do { try body() } catch let error as APIError { return error } catch { XCTFail("\(error)") }
        return nil
    }

    func testAbsentParametersGiveNilOrTheDefault() throws {
        let q = QueryParser(["other": "x"])
        XCTAssertEqual(try q.int("limit", default: 20, in: 1...100), 20)
        XCTAssertNil(try q.matching("target", "^[a-z]+$"))
        XCTAssertNil(try q.oneOf("state", ["a"]))
        XCTAssertNil(try q.list("layer", allowed: ["dac"]))
        XCTAssertNil(try q.nonEmpty("rule"))
        XCTAssertNil(q.text("q"))
    }

    func testAcceptedValuesAreTyped() throws {
        let q = QueryParser(["limit": "100", "target": "web01", "state": "failed", "layer": "dac, mac", "q": ""])
        XCTAssertEqual(try q.int("limit", default: 20, in: 1...100), 100)
        XCTAssertEqual(try q.matching("target", "^[a-z0-9]+$"), "web01")
        XCTAssertEqual(try q.oneOf("state", ["pending", "failed"]), "failed")
        XCTAssertEqual(try q.list("layer", allowed: ["dac", "mac", "host"]), ["dac", "mac"])
        XCTAssertEqual(q.text("q"), "", "free text may be empty")
    }

    func testRefusalsAre400sNamingTheParameter() {
        let table: [(String, String, (QueryParser) throws -> Void, String)] = [
            ("limit", "0", { _ = try $0.int("limit", default: 20, in: 1...100) },
             "'limit' must be an integer from 1 to 100, got '0'"),
            ("limit", "1e3", { _ = try $0.int("limit", default: 20, in: 1...5000) },
             "'limit' must be an integer from 1 to 5000, got '1e3'"),
            ("target", "a b", { _ = try $0.matching("target", "^[a-z]+$", message: "invalid target") }, "invalid target"),
            ("target", "A", { _ = try $0.matching("target", "^[a-z]+$") }, "'target' has invalid value 'A'"),
            ("state", "done", { _ = try $0.oneOf("state", ["pending", "failed"]) },
             "'state' has unknown value 'done'; allowed: pending, failed"),
            ("layer", "dac,", { _ = try $0.list("layer", allowed: ["dac"]) },
             "'layer' must be a comma-separated list without empty items"),
            ("layer", "dac,selinux", { _ = try $0.list("layer", allowed: ["dac"]) },
             "'layer' has unknown value 'selinux'; allowed: dac"),
            ("grade", "A,b", { _ = try $0.list("grade", matching: "^[A-Z]$") { "bad grade \($0)" } }, "bad grade b"),
            ("rule", "", { _ = try $0.nonEmpty("rule") }, "'rule' must not be empty"),
        ]
        for (name, value, parse, message) in table {
            let error = refusal { try parse(QueryParser([name: value])) }
            XCTAssertEqual(error, .badParameter(name, message), "\(name)=\(value)")
            XCTAssertEqual(error?.status, 400)
            XCTAssertEqual(error?.code, "bad_request")
        }
    }
}
