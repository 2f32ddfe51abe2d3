import Core
import XCTest
@testable import Policy

/// Seeded random inputs: the parser and interpreter must never crash; malformed text is a
/// thrown `ExpressionError` pointing inside the text; well-formed text parses and round-trips.
final class ExpressionFuzzTests: XCTestCase {
    private let fragments = [
        "a", "a.b", "a.b.c", "l", "x", "x.v", "host.h", "n", "s", "0", "1", "-2", "3.5", "'s'", "\"t\"", "'", "\"",
        "==", "!=", "<", "<=", ">", ">=", "=", "!", "in", "not", "and", "or", "contains", "matches", "'^a.*'", "'(('",
        "(", ")", "[", "]", ",", ":", "all", "any", "none", "exists", "count", "empty", "true", "false", "null",
        ".", "@", "é", "\\", "9999999999999999999999", "1e5", "a.0", "\t",
    ]

    private func randomText(_ rng: inout SeededRandom) -> String {
        let n = Int.random(in: 0...14, using: &rng)
        return (0..<n).map { _ in
            Bool.random(using: &rng) ? fragments.randomElement(using: &rng)! : " " + fragments.randomElement(using: &rng)! + " "
        }.joined()
    }

    private func randomValue(_ rng: inout SeededRandom, depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 2 ? 6 : 8), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(Int.random(in: -3...3, using: &rng))
        case 3: return .double(Double(Int.random(in: -6...6, using: &rng)) / 2)
        case 4: return .string(["", "a", "s", "abc", "^a"].randomElement(using: &rng)!)
        case 5: return .array([])
        case 6: return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var o: [String: JSONValue] = [:]
            for k in ["a", "b", "c", "v", "0"] where Bool.random(using: &rng) { o[k] = randomValue(&rng, depth: depth + 1) }
            return .object(o)
        }
    }

    private func randomFacts(_ rng: inout SeededRandom) -> (JSONValue, JSONValue) {
        var domain: JSONValue = [:]
        for k in ["a", "l", "n", "s", "x"] where Int.random(in: 0..<4, using: &rng) > 0 {
            domain.set(k, to: randomValue(&rng, depth: 0))
        }
        if Bool.random(using: &rng) { domain.set("unknown", to: ["a.b": "unreadable a.b", "l": "unreadable l"]) }
        let host: JSONValue = ["host": ["h": randomValue(&rng, depth: 1)]]
        return (domain, host)
    }

    private func randomOperand(_ r: inout SeededRandom, vars: [String]) -> String {
        let paths = ["a", "a.b", "l", "n", "s", "host.h", "a.0"] + vars + vars.map { $0 + ".v" }
        switch Int.random(in: 0..<6, using: &r) {
        case 0: return paths.randomElement(using: &r)!
        case 1: return ["0", "1", "-2", "2.5", "'s'", "'abc'", "true", "null"].randomElement(using: &r)!
        case 2: return "[" + ["1", "'s'", paths.randomElement(using: &r)!].shuffled(using: &r).joined(separator: ", ") + "]"
        case 3: return ["count", "empty"].randomElement(using: &r)! + "(" + paths.randomElement(using: &r)! + ")"
        case 4: return "exists(" + paths.randomElement(using: &r)! + ")"
        default: return paths.randomElement(using: &r)!
        }
    }

    /// A syntactically valid expression from the grammar.
    private func randomExpr(_ rng: inout SeededRandom, depth: Int, vars: [String]) -> String {
        func operand() -> String { randomOperand(&rng, vars: vars) }
        if depth > 3 { return operand() }
        switch Int.random(in: 0..<9, using: &rng) {
        case 0: return operand()
        case 1, 2:
            let op = ["==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains"].randomElement(using: &rng)!
            return operand() + " " + op + " " + operand()
        case 3: return operand() + " matches '^a|s$'"
        case 4: return "not " + randomExpr(&rng, depth: depth + 1, vars: vars)
        case 5, 6:
            let op = Bool.random(using: &rng) ? " and " : " or "
            return "(" + randomExpr(&rng, depth: depth + 1, vars: vars) + op + randomExpr(&rng, depth: depth + 1, vars: vars) + ")"
        default:
            let v = "v\(vars.count)"
            let q = ["all", "any", "none"].randomElement(using: &rng)!
            let list = (["l", "a.b", "a"] + vars + vars.map { $0 + ".v" }).randomElement(using: &rng)!
            return "(" + q + " " + v + " in " + list + ": " + randomExpr(&rng, depth: depth + 1, vars: vars + [v]) + ")"
        }
    }

    func testRandomTextNeverCrashesAndErrorsPointInsideTheText() {
        var rng = SeededRandom(seed: 42)
        var parsed = 0, rejected = 0
        for _ in 0..<4000 {
            let text = randomText(&rng)
            do {
                let (expr, _) = try Parser.parse(text)
                parsed += 1
                XCTAssertEqual(try? Parser.parse(expr.description).expr, expr, "round trip of \(text)")
                let (d, h) = randomFacts(&rng)
                _ = Interpreter.truth(expr, domain: d, host: h)
            } catch {
                rejected += 1
                XCTAssertTrue((1...(text.unicodeScalars.count + 1)).contains(error.column), "\(text): \(error)")
                XCTAssertFalse(error.message.isEmpty)
            }
        }
        XCTAssertGreaterThan(parsed, 50)
        XCTAssertGreaterThan(rejected, 1000)
    }

    func testRandomValidExpressionsParseRoundTripAndEvaluateOnRandomFacts() throws {
        var rng = SeededRandom(seed: 7)
        var outcomes: [String: Int] = [:]
        for _ in 0..<3000 {
            let text = randomExpr(&rng, depth: 0, vars: [])
            let expr: Expr
            do { expr = try Parser.parse(text).expr } catch {
                XCTFail("generated expression rejected: \(text): \(error)"); continue
            }
            XCTAssertEqual(try Parser.parse(expr.description).expr, expr, text)
            let (d, h) = randomFacts(&rng)
            let t = Interpreter.truth(expr, domain: d, host: h)
            // Same input, same verdict.
            XCTAssertEqual(Interpreter.truth(expr, domain: d, host: h), t)
            // Negation is Kleene negation.
            XCTAssertEqual(Interpreter.truth(.not(expr), domain: d, host: h), t.negated)
            switch t {
            case .true: outcomes["true", default: 0] += 1
            case .false: outcomes["false", default: 0] += 1
            case .unknown(let r): outcomes["unknown", default: 0] += 1; XCTAssertFalse(r.isEmpty)
            }
        }
        // The generator exercises all three outcomes.
        XCTAssertGreaterThan(outcomes["true"] ?? 0, 100)
        XCTAssertGreaterThan(outcomes["false"] ?? 0, 100)
        XCTAssertGreaterThan(outcomes["unknown"] ?? 0, 100)
    }
}
