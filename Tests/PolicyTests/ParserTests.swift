import Core
import XCTest
@testable import Policy

final class ParserTests: XCTestCase {
    private func p(_ s: String) throws -> Expr { try Parser.parse(s).expr }

    func testPrecedenceNotOverAndOverOr() throws {
        let e = try p("a or not b and c == 1")
        XCTAssertEqual(e, .or(.path(FactPath(["a"])),
                              .and(.not(.path(FactPath(["b"]))), .compare(.eq, .path(FactPath(["c"])), .literal(1)))))
    }

    func testCanonicalFormTable() throws {
        let table: [(String, String)] = [
            ("(a or b) and c", "(a or b) and c"),
            ("a and (b and c)", "a and (b and c)"),
            ("not (a == 1)", "not a == 1"),
            ("x not in [1, 'a', true, null]", "x not in [1, 'a', true, null]"),
            ("process.cmdline contains \"-sandbox\"", "process.cmdline contains '-sandbox'"),
            ("count( devices.hostdevs )>0", "count(devices.hostdevs) > 0"),
            ("all d in devices.hostdevs: d.driver == 'vfio-pci' and d.group > 0",
             "all d in devices.hostdevs: d.driver == 'vfio-pci' and d.group > 0"),
            ("(any c in l: c == 1) or z", "(any c in l: c == 1) or z"),
            ("label matches '^system_u:.*:c[0-9]+'", "label matches '^system_u:.*:c[0-9]+'"),
        ]
        for (source, canonical) in table {
            let e = try p(source)
            XCTAssertEqual(e.description, canonical, source)
            XCTAssertEqual(try p(e.description), e, "round trip of \(source)")
        }
    }

    func testQuantifierVariablesResolveToSlotsAndShadowFacts() throws {
        let e = try p("all d in devices.hostdevs: any f in d.functions: f.driver == d.driver")
        guard case .quantifier(.all, "d", 0, .path(let list), .quantifier(.any, "f", 1, let inner, let body)) = e else {
            return XCTFail("shape: \(e)")
        }
        XCTAssertEqual(list.text, "devices.hostdevs")
        XCTAssertEqual(inner, .variable(name: "d", slot: 0, rest: ["functions"]))
        XCTAssertEqual(body, .compare(.eq, .variable(name: "f", slot: 1, rest: ["driver"]),
                                      .variable(name: "d", slot: 0, rest: ["driver"])))
    }

    func testReferencesUseSchemaFormForVariablesAndIndexes() throws {
        let refs = try Parser.parse("all d in devices.hostdevs: all f in d.functions: f.driver == 'x' and process.cmdline.0 == 'q'").references
        XCTAssertEqual(refs.map(\.schemaPath), ["devices.hostdevs", "devices.hostdevs[].functions",
                                               "devices.hostdevs[].functions[].driver", "process.cmdline[]"])
        XCTAssertEqual(refs.map(\.observedPath.text), ["devices.hostdevs", "devices.hostdevs", "devices.hostdevs", "process.cmdline.0"])
        XCTAssertEqual(refs.map(\.column), [10, 37, 50, 70])
    }

    func testVariableIsNotVisibleOutsideItsQuantifier() throws {
        let e = try p("(all d in l: d) and d")
        guard case .and(_, .path(let outside)) = e else { return XCTFail("\(e)") }
        XCTAssertEqual(outside.text, "d")
    }

    func testSyntaxErrorsTable() {
        let cases: [(String, Int, String)] = [
            ("", 1, "expected a value, a fact path, '(' or a quantifier, found end of expression"),
            ("a ==", 5, "expected a value"),
            ("(a and b", 9, "expected ')' to close the '(' at column 1, found end of expression"),
            ("a == 1 == 2", 8, "expected 'and', 'or' or end of expression, found '=='"),
            ("[1, 2", 6, "expected ',' or ']' to close the list at column 1"),
            ("all in l: x", 5, "expected a variable name after 'all', found 'in'"),
            ("all x of l: x", 7, "expected 'in' after 'all x'"),
            ("all x in 'l': x", 10, "expected a fact path (a list) after 'in'"),
            ("all x in l x", 12, "expected ':'"),
            ("frobnicate(a)", 1, "unknown function 'frobnicate'"),
            ("exists(1)", 8, "expected a fact path as the argument of exists()"),
            ("count(a", 8, "expected ')' to close count( at column 6"),
            ("a matches b", 11, "expected a quoted regular expression"),
            ("a matches '(('", 11, "invalid regular expression"),
            ("a b", 3, "expected 'and', 'or' or end of expression, found 'b'"),
            ("not", 4, "expected a value"),
        ]
        for (source, column, text) in cases {
            XCTAssertThrowsError(try Parser.parse(source), source) { error in
                let e = error as! ExpressionError
                XCTAssertEqual(e.column, column, "\(source): \(e)")
                XCTAssertTrue(e.message.contains(text), "\(source): \(e.message)")
            }
        }
    }

    func testPrettyPrintedPutsTopLevelChainOnLines() throws {
        let e = try p("a == 1 and (b or c) and d")
        XCTAssertEqual(e.prettyPrinted(indent: ""), "   a == 1\nand (b or c)\nand d")
    }

    /// Each nesting level is one recursion of the parser (and of evaluation and printing): deep
    /// input must be an error at the limit, not a stack overflow.
    func testNestingBeyondTheDepthLimitIsAnErrorNotACrash() throws {
        let table: [(String, String)] = [
            ("20,000 parentheses", String(repeating: "(", count: 20_000) + "a" + String(repeating: ")", count: 20_000)),
            ("50,000 nots", String(repeating: "not ", count: 50_000) + "a"),
            ("nested lists", String(repeating: "[", count: 5_000) + "1" + String(repeating: "]", count: 5_000)),
            ("nested calls", String(repeating: "count(", count: 5_000) + "a" + String(repeating: ")", count: 5_000)),
            ("nested quantifiers", String(repeating: "all x in l: ", count: 5_000) + "x == 1"),
        ]
        for (name, source) in table {
            XCTAssertThrowsError(try p(source), name) { error in
                let e = error as? ExpressionError
                XCTAssertEqual(e?.message, "expression nested deeper than \(Parser.maxDepth) levels (the limit)", name)
                XCTAssertLessThanOrEqual(e?.column ?? .max, 2 * Parser.maxDepth * 12, "\(name): the error points near where the limit was passed")
            }
        }
    }

    func testNestingUpToTheLimitParses() throws {
        let depth = Parser.maxDepth - 1
        let parens = String(repeating: "(", count: depth) + "a == 1" + String(repeating: ")", count: depth)
        XCTAssertEqual(try p(parens), .compare(.eq, .path(FactPath(["a"])), .literal(1)))
        var expected = Expr.path(FactPath(["a"]))
        for _ in 0..<depth { expected = .not(expected) }
        XCTAssertEqual(try p(String(repeating: "not ", count: depth) + "a"), expected)
        XCTAssertThrowsError(try p(String(repeating: "(", count: depth + 1) + "a" + String(repeating: ")", count: depth + 1)))
    }
}
