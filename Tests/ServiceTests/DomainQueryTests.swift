import Core
import XCTest
@testable import Service

final class DomainQueryTests: XCTestCase {
    func testNoParametersIsTheDefaultQuery() throws {
        XCTAssertTrue(try DomainQuery(query: [:]).isDefault)
        XCTAssertTrue(try DomainQuery(query: ["unrelated": "x"]).isDefault)
        XCTAssertFalse(try DomainQuery(query: ["sort": "-name"]).isDefault)
    }

    func testParsesEveryParameter() throws {
        let query = try DomainQuery(query: ["grade": "A, B+", "state": "running,shutoff", "layer": "device-isolation",
                                            "q": "web", "sort": "-score"])
        XCTAssertEqual(query.grades, ["A", "B+"])
        XCTAssertEqual(query.states, ["running", "shutoff"])
        XCTAssertEqual(query.layer, .deviceIsolation)
        XCTAssertEqual(query.nameContains, "web")
        XCTAssertEqual(query.sort, .init(key: .score, descending: true))
    }

    func testEqualScoresAreOrderedByName() {
        let items: [JSONValue] = [["name": "b", "score": 50], ["name": "a", "score": 50], ["name": "c", "score": 10]]
        let sorted = DomainQuery.sorted(items, by: .init(key: .score, descending: false))
        XCTAssertEqual(sorted.compactMap { $0["name"]?.stringValue }, ["c", "a", "b"])
    }
}
