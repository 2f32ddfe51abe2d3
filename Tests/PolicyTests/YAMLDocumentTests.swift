import Core
import XCTest
@testable import Policy

/// YAML nested past `YAMLLimits.maxDepth` (or expanding past `maxNodes` through aliases) is a
/// diagnostic with file and line, found before the recursive composer runs.
final class YAMLDocumentTests: XCTestCase {
    static let deep = 5_000

    static func flow(_ n: Int) -> String { "rules: " + String(repeating: "[", count: n) + "1" + String(repeating: "]", count: n) + "\n" }
    static func flowMappings(_ n: Int) -> String { "rules: " + String(repeating: "{a: ", count: n) + "1" + String(repeating: "}", count: n) + "\n" }
    static func blockMappings(_ n: Int) -> String {
        (0..<n).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n") + " 1\n"
    }
    static func blockSequences(_ n: Int) -> String { "rules:\n" + String(repeating: "- ", count: n) + "x\n" }
    static func aliasChain(_ n: Int) -> String {
        "a0: &a0 [1]\n" + (1..<n).map { "a\($0): &a\($0) [*a\($0 - 1)]" }.joined(separator: "\n") + "\n"
    }
    static func aliasBomb(_ n: Int) -> String {
        "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
            + (1..<n).map { i in "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]" }
                .joined(separator: "\n") + "\n"
    }

    func testDeepDocumentsAreRefusedWithTheLineAndTheLimit() {
        let table: [(String, String, Int)] = [
            ("flow sequences", Self.flow(Self.deep), 1),
            ("flow mappings", Self.flowMappings(Self.deep), 1),
            ("block mappings", Self.blockMappings(Self.deep), YAMLLimits.maxDepth + 1),
            ("block sequences", Self.blockSequences(Self.deep), 2),
            ("alias chain", Self.aliasChain(Self.deep), YAMLLimits.maxDepth),
        ]
        for (name, text, line) in table {
            var diagnostics: [PolicyDiagnostic] = []
            XCTAssertNil(YAMLDocument.compose(file: "/p/rules/x.yaml", text: text, into: &diagnostics), name)
            XCTAssertEqual(diagnostics.count, 1, name)
            XCTAssertEqual(diagnostics.first?.line, line, name)
            XCTAssertEqual(diagnostics.first?.file, "/p/rules/x.yaml", name)
            XCTAssertTrue(diagnostics.first?.message.hasPrefix("YAML nested deeper than 64 levels (the limit)") == true,
                          "\(name): \(diagnostics.first?.message ?? "")")
        }
    }

    func testAliasBombsAreRefusedBeforeTheyExpand() {
        let v = YAMLLimits.check(Self.aliasBomb(8))
        XCTAssertEqual(v?.message, "YAML document expands to more than 1000000 nodes (the limit)")
        XCTAssertEqual(v?.line, 6, "a5 on line 6 expands to 10^6 scalars")
    }

    func testDocumentsAtTheLimitStillLoad() throws {
        let depth = YAMLLimits.maxDepth
        // `rules:` is one mapping: the flow sequences inside may use the rest.
        for text in [Self.flow(depth - 1), Self.blockMappings(depth), Self.aliasChain(depth - 1)] {
            XCTAssertNil(YAMLLimits.check(text))
            var diagnostics: [PolicyDiagnostic] = []
            XCTAssertNotNil(YAMLDocument.compose(file: "f", text: text, into: &diagnostics))
            XCTAssertEqual(diagnostics, [])
        }
        XCTAssertNotNil(YAMLLimits.check(Self.flow(depth)))
        XCTAssertNotNil(YAMLLimits.check(Self.blockMappings(depth + 1)))
    }

    func testSyntaxErrorsAreLeftToTheComposer() {
        var diagnostics: [PolicyDiagnostic] = []
        XCTAssertNil(YAMLLimits.check("a: [1, 2\n"))
        XCTAssertNil(YAMLDocument.compose(file: "f", text: "a: [1, 2\n", into: &diagnostics))
        XCTAssertTrue(diagnostics.first?.message.hasPrefix("invalid YAML") == true, diagnostics.description)
    }

    func testLintReportsADeepRuleFileInsteadOfCrashing() throws {
        let dir = NSTemporaryDirectory() + "virtaudit-deep-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/rules", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.flow(Self.deep).write(toFile: dir + "/rules/dac.yaml", atomically: true, encoding: .utf8)
        let d = Lint.run(paths: [dir + "/rules/dac.yaml"], schema: testSchema)
        XCTAssertEqual(d.map(\.description), ["\(dir)/rules/dac.yaml:1: YAML nested deeper than 64 levels (the limit)"])
    }
}
