import Foundation
import XCTest
@testable import Service

/// Every option in the declarative table is reachable from a file, range-checked with file, line
/// and key in the error, and documented.
final class ServiceConfigTableTests: XCTestCase {
    func yaml(_ key: String, _ value: String) -> String {
        let parts = key.split(separator: ".")
        return parts.count == 1 ? "\(key): \(value)\n" : "\(parts[0]):\n  \(parts[1]): \(value)\n"
    }

    func testEveryIntegerOptionIsSetFromAFileAndRejectsValuesOutsideItsRange() throws {
        for (key, option) in ServiceConfig.options {
            let path: WritableKeyPath<ServiceConfig, Int>?
            let range: ClosedRange<Int>
            switch option {
            case .int(let p, let r): (path, range) = (p, r)
            case .optionalInt(_, let r): (path, range) = (nil, r)
            default: continue
            }
            let config = try ServiceConfig.parse(yaml(key, "\(range.lowerBound)"), file: "t.yaml")
            if let path { XCTAssertEqual(config[keyPath: path], range.lowerBound, key) }
            XCTAssertThrowsError(try ServiceConfig.parse(yaml(key, "\(range.upperBound + 1)"), file: "t.yaml"), key) { error in
                let expectedLine = key.contains(".") ? 2 : 1
                XCTAssertEqual(error as? ServiceConfigError, .invalidValue(file: "t.yaml", key: key, line: expectedLine,
                    message: "must be between \(range.lowerBound) and \(range.upperBound), got \(range.upperBound + 1)"))
            }
        }
    }

    func testEveryStringOptionIsSetFromAFileAndOptionalOnesAcceptNull() throws {
        for (key, option) in ServiceConfig.options {
            switch option {
            case .string(let path):
                let value = key == "listen" ? "::1" : "/x/\(key)"
                XCTAssertEqual(try ServiceConfig.parse(yaml(key, value))[keyPath: path], value, key)
                XCTAssertThrowsError(try ServiceConfig.parse(yaml(key, "''")), key)
            case .optionalString(let path):
                XCTAssertEqual(try ServiceConfig.parse(yaml(key, "/x/y"))[keyPath: path], "/x/y", key)
                XCTAssertNil(try ServiceConfig.parse(yaml(key, "null"))[keyPath: path], key)
            default: continue
            }
        }
    }

    func testSecondsOrOffOptionsTakeZeroOrTheirMinimumAndNothingBetween() throws {
        for (key, option) in ServiceConfig.options {
            guard case .secondsOrOff(let path, let minimum, _, _) = option else { continue }
            XCTAssertEqual(try ServiceConfig.parse(yaml(key, "0"))[keyPath: path], 0, key)
            XCTAssertEqual(try ServiceConfig.parse(yaml(key, "\(minimum)"))[keyPath: path], minimum, key)
            XCTAssertThrowsError(try ServiceConfig.parse(yaml(key, "\(minimum - 1)"), file: "t.yaml"), key) {
                XCTAssertTrue("\($0)".contains("or at least \(minimum) seconds, got \(minimum - 1)"), "\($0)")
            }
        }
    }

    func testEnumeratedAndBooleanOptionsAcceptTheirValuesOnly() throws {
        for (key, option) in ServiceConfig.options {
            switch option {
            case .oneOf(let allowed, let get, _):
                for v in allowed { XCTAssertEqual(get(try ServiceConfig.parse(yaml(key, v))), v, key) }
                XCTAssertThrowsError(try ServiceConfig.parse(yaml(key, "other")), key)
            case .bool(let path):
                XCTAssertEqual(try ServiceConfig.parse(yaml(key, "false"))[keyPath: path], false, key)
                XCTAssertThrowsError(try ServiceConfig.parse(yaml(key, "maybe")), key)
            case .severities(let path):
                XCTAssertEqual(try ServiceConfig.parse(yaml(key, "[low, info]"))[keyPath: path], [.low, .info], key)
                XCTAssertThrowsError(try ServiceConfig.parse(yaml(key, "[urgent]")), key)
            default: continue
            }
        }
    }

    func testEveryOptionIsDocumented() throws {
        let doc = try String(contentsOfFile: #filePath.components(separatedBy: "/Tests/")[0] + "/Docs/configuration.md", encoding: .utf8)
        for key in ServiceConfig.options.keys {
            XCTAssertTrue(doc.contains(String(key.split(separator: ".").last!)), "\(key) is not in Docs/configuration.md")
        }
    }
}
