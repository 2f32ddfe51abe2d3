@testable import HTTPServer
import XCTest

/// A seeded, in-process fuzz loop over the parser: valid requests, mutated (byte flips,
/// inserts, deletions, truncations, duplicated spans, huge numbers), fed in random splits.
/// The parser must always terminate with requests or a client/framing error status, and must
/// never hold more than its limits allow.
final class HTTPParserFuzzTests: XCTestCase {
    /// SplitMix64: a tiny deterministic generator, so a failure reproduces from its seed.
    private struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    private static let corpus: [String] = [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /api/v1/domains?grade=F&sort=score HTTP/1.1\r\nHost: localhost:8470\r\nAccept-Encoding: gzip\r\nIf-None-Match: \"1-2\"\r\n\r\n",
        "POST /api/v1/scans HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"all\": true}",
        "PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: v\r\n\r\n",
        "GET /a%20b/%C3%A9?x=%2F&y=1+2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\n\r\n",
        "HEAD http://host/p HTTP/1.1\r\nHost: host\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
    ]

    private static let tokens: [String] = [
        "\r\n", "\n", "\r", " ", "\t", ":", "%", "%00", "%2e%2e", "..", "Content-Length: 99999999999999999999\r\n",
        "Transfer-Encoding: chunked\r\n", "Content-Length: 5\r\n", "ffffffffffffffff\r\n", "HTTP/9.9", "\u{0}",
        "Host: b\r\n", " folded\r\n", "\r\n\r\n", "0\r\n\r\n", "-1", "18446744073709551616",
    ]

    private static let allowedStatuses: Set<Int> = [400, 413, 414, 431, 501, 505]

    func testMutatedRequestsNeverCrashOrHangAndEndInRequestsOrAnError() {
        var rng = SplitMix64(state: 0x5EED_1234)
        let limits = HTTPParserLimits(maxRequestLineBytes: 256, maxHeaderBytes: 512, maxHeaderCount: 16, maxBodyBytes: 1024)
        var requests = 0, errors = 0
        let iterations = 4000
        for iteration in 0..<iterations {
            var input = Array(Self.corpus[Int(rng.next() % UInt64(Self.corpus.count))].utf8)
            let mutations = 1 + Int(rng.next() % 4)
            for _ in 0..<mutations { mutate(&input, &rng) }

            var parser = HTTPParser(limits: limits)
            var offset = 0
            var steps = 0
            var failed: HTTPParseError? = nil
            feeding: while offset < input.count || steps == 0 {
                let size = 1 + Int(rng.next() % UInt64(max(1, input.count)))
                let end = min(input.count, offset + size)
                parser.append(input[offset..<end])
                offset = end
                while true {
                    steps += 1
                    // Every request consumes bytes, so more steps than input bytes is a hang.
                    if steps > 2 * input.count + 10 {
                        XCTFail("parser did not make progress on iteration \(iteration)")
                        break feeding
                    }
                    do {
                        guard let r = try parser.next() else { break }
                        requests += 1
                        XCTAssertLessThanOrEqual(r.request.body.count, limits.maxBodyBytes)
                        XCTAssertFalse(r.request.path.utf8.contains(0))
                    } catch {
                        failed = error
                        break feeding
                    }
                }
                XCTAssertLessThanOrEqual(parser.bufferedCount,
                                         limits.maxRequestLineBytes + limits.maxHeaderBytes + limits.maxBodyBytes + input.count)
                if offset >= input.count { break }
            }
            if let failed {
                errors += 1
                XCTAssertTrue(Self.allowedStatuses.contains(failed.status), "iteration \(iteration): \(failed)")
            }
        }
        // The mutations must exercise both outcomes, or the loop proves nothing.
        XCTAssertGreaterThan(requests, iterations / 10)
        XCTAssertGreaterThan(errors, iterations / 10)
    }

    private func mutate(_ input: inout [UInt8], _ rng: inout SplitMix64) {
        let pos = input.isEmpty ? 0 : Int(rng.next() % UInt64(input.count))
        switch rng.next() % 7 {
        case 0 where !input.isEmpty:   // flip a bit
            input[pos] ^= UInt8(1 << (rng.next() % 8))
        case 1:   // insert a random byte
            input.insert(UInt8(truncatingIfNeeded: rng.next()), at: pos)
        case 2:   // insert a token
            input.insert(contentsOf: Array(Self.tokens[Int(rng.next() % UInt64(Self.tokens.count))].utf8), at: pos)
        case 3:   // truncate
            input.removeSubrange(pos...)
        case 4 where !input.isEmpty:   // delete a span
            let len = min(input.count - pos, 1 + Int(rng.next() % 8))
            input.removeSubrange(pos..<(pos + len))
        case 5:   // duplicate a span (repeated headers, pipelining)
            let len = min(input.count - pos, Int(rng.next() % 64))
            input.insert(contentsOf: Array(input[pos..<(pos + len)]), at: pos)
        default:   // a huge run of one byte
            let byte = [UInt8(ascii: "a"), UInt8(ascii: "9"), UInt8(ascii: "%"), 0x0A, 0x20][Int(rng.next() % 5)]
            input.insert(contentsOf: [UInt8](repeating: byte, count: Int(rng.next() % 2000)), at: pos)
        }
    }
}
