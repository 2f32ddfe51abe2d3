import XCTest
@testable import Policy

final class TokenizerTests: XCTestCase {
    private func kinds(_ s: String) throws -> [Token.Kind] { try Tokenizer.tokenize(s).map(\.kind) }

    func testPathsNumbersStringsAndOperatorsAreTokenizedWithColumns() throws {
        let tokens = try Tokenizer.tokenize("process.uid >= -1.5 and 'a\\'b' != [1, x]")
        XCTAssertEqual(tokens.map(\.kind), [
            .path(["process", "uid"]), .op(">="), .double(-1.5), .keyword(.and), .string("a'b"), .op("!="),
            .lbracket, .int(1), .comma, .path(["x"]), .rbracket, .end,
        ])
        XCTAssertEqual(tokens.map(\.column), [1, 13, 16, 21, 25, 32, 35, 36, 37, 39, 40, 41])
    }

    func testKeywordsAreRecognisedOnlyAsWholeSingleNames() throws {
        XCTAssertEqual(try kinds("not in notin in.x"), [.keyword(.not), .keyword(.in), .path(["notin"]), .path(["in", "x"]), .end])
    }

    func testIndexComponentsAndHyphensStayInPaths() throws {
        XCTAssertEqual(try kinds("process.cmdline.0 host.cpu.spec-store"),
                       [.path(["process", "cmdline", "0"]), .path(["host", "cpu", "spec-store"]), .end])
    }

    func testDoubleQuotedStringsAndRegexEscapesSurvive() throws {
        XCTAssertEqual(try kinds(#""x\d+\.y" 'tab\t'"#), [.string(#"x\d+\.y"#), .string("tab\t"), .end])
    }

    func testExponentNumbers() throws {
        XCTAssertEqual(try kinds("1e3 2.5E-2 7"), [.double(1000), .double(0.025), .int(7), .end])
    }

    func testLexicalErrorsNameTheColumn() {
        let cases: [(String, Int, String)] = [
            ("a = 1", 3, "expected '=='"),
            ("!a", 1, "expected '!='"),
            ("x == 'open", 6, "unterminated string"),
            ("x == 3abc", 7, "in a number"),
            ("a.", 3, "expected a path component"),
            ("x == @", 6, "unexpected character '@'"),
            ("- 3", 1, "expected a digit after '-'"),
            ("99999999999999999999", 1, "out of range"),
        ]
        for (source, column, text) in cases {
            XCTAssertThrowsError(try Tokenizer.tokenize(source), source) { error in
                let e = error as! ExpressionError
                XCTAssertEqual(e.column, column, source)
                XCTAssertTrue(e.message.contains(text), "\(source): \(e.message)")
            }
        }
    }
}
