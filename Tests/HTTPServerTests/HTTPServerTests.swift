import CZlib
import Foundation
import Glibc
@testable import HTTPServer
import XCTest

/// Live-socket tests: a server on 127.0.0.1 with port 0, driven by raw clients.
final class HTTPServerTests: XCTestCase {
    private var server: HTTPServer!
    private var port = 0
    private let logs = LogCollector()
    /// The handler answers on the event loops (`InlineEchoHandler`) instead of the workers.
    private var inlineMode = false

    private func start(_ tweak: (inout HTTPServerConfig) -> Void = { _ in }) throws {
        var config = HTTPServerConfig(host: "127.0.0.1", port: 0)
        config.headerTimeout = 2
        config.workerThreads = 2
        tweak(&config)
        let logs = self.logs
        let handler: any HTTPHandler = inlineMode ? InlineEchoHandler() : EchoHandler()
        server = HTTPServer(config: config, handler: handler, log: { logs.add($0) })
        try server.start()
        port = server.boundPort
        XCTAssertGreaterThan(port, 0)
    }

    override func tearDown() {
        server?.shutdown(graceful: false)
        server = nil
        super.tearDown()
    }

    /// Runs `body` twice: with a handler the worker pool calls, then with one that answers
    /// on the event-loop threads.
    private func inBothModes(_ body: () throws -> Void) rethrows {
        for mode in [false, true] {
            inlineMode = mode
            try body()
            server?.shutdown(graceful: false)
            server = nil
        }
        inlineMode = false
    }

    private func client(timeout: Double = 5) throws -> RawClient {
        try XCTUnwrap(RawClient(port: port, timeout: timeout))
    }

    /// A fresh client gets a normal answer: the server survived whatever came before.
    private func assertStillServing(file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try client().get("/alive")
        XCTAssertEqual(r?.status, 200, file: file, line: line)
        XCTAssertEqual(r?.text, "GET /alive  0 ", file: file, line: line)
    }

    func testStartReportsTheChosenPortAndServesAGet() throws {
        try start()
        let r = try XCTUnwrap(try client().get("/api/v1/x?b=2&a=hello%20world"))
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.text, "GET /api/v1/x a=hello world&b=2 0 ")
        XCTAssertEqual(r["Server"], "virtaudit")
        XCTAssertEqual(r["Content-Length"], String(r.body.count))
        XCTAssertNotNil(r["Date"])
        XCTAssertEqual(r["Connection"], "keep-alive")
    }

    func testStartFailsOnAnAddressThatIsNotALiteral() {
        let s = HTTPServer(config: HTTPServerConfig(host: "localhost", port: 0), handler: EchoHandler())
        XCTAssertThrowsError(try s.start()) { XCTAssertEqual($0 as? HTTPServerError, .invalidAddress("localhost")) }
    }

    func testListensOnIPv6Loopback() throws {
        let s = HTTPServer(config: HTTPServerConfig(host: "::1", port: 0), handler: EchoHandler())
        let result = Result { () throws(HTTPServerError) in try s.start() }
        if case .failure(.socket(_, let e)) = result, e == EADDRNOTAVAIL { throw XCTSkip("no IPv6 loopback here") }
        try result.get()
        defer { s.shutdown() }
        XCTAssertGreaterThan(s.boundPort, 0)
    }

    func testPipelinedRequestsInOneWriteAreAnsweredInOrder() throws {
        try inBothModes {
            try start()
            let c = try client()
            c.send("GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\nPOST /three HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz")
            XCTAssertEqual(c.readResponse()?.text, "GET /one  0 ")
            XCTAssertEqual(c.readResponse()?.text, "GET /two  0 ")
            XCTAssertEqual(c.readResponse()?.text, "POST /three  3 xyz")
        }
    }

    func testKeepAliveConnectionServesSeveralRequests() throws {
        try inBothModes {
            try start()
            let c = try client()
            for i in 0..<5 {
                let r = c.get("/n\(i)")
                XCTAssertEqual(r?.text, "GET /n\(i)  0 ")
                XCTAssertEqual(r?["Connection"], "keep-alive")
            }
        }
    }

    func testConnectionCloseIsHonoured() throws {
        try inBothModes {
            try start()
            let c = try client()
            c.send("GET /bye HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            let r = c.readResponse()
            XCTAssertEqual(r?.status, 200)
            XCTAssertEqual(r?["Connection"], "close")
            XCTAssertTrue(c.waitForClose())
        }
    }

    func testHTTP10ClosesByDefaultAndKeepsAliveWhenAsked() throws {
        try inBothModes {
            try start()
            let a = try client()
            a.send("GET /old HTTP/1.0\r\n\r\n")
            XCTAssertEqual(a.readResponse()?["Connection"], "close")
            XCTAssertTrue(a.waitForClose())
            let b = try client()
            b.send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            XCTAssertEqual(b.readResponse()?["Connection"], "keep-alive")
            b.send("GET /again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            XCTAssertEqual(b.readResponse()?.text, "GET /again  0 ")
        }
    }

    func testHeadAnswersWithContentLengthAndNoBody() throws {
        try inBothModes {
            try start()
            let c = try client()
            c.send("HEAD /thing HTTP/1.1\r\nHost: a\r\n\r\n")
            let r = try XCTUnwrap(c.readResponse(head: true))
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r["Content-Length"], String("GET /thing  0 ".utf8.count))
            // The next response on the connection starts right away: no body bytes were sent.
            XCTAssertEqual(c.get("/next")?.text, "GET /next  0 ")
        }
    }

    func testChunkedRequestBodyIsReassembled() throws {
        try inBothModes {
            try start()
            let c = try client()
            c.send("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\n")
            XCTAssertEqual(c.readResponse()?.text, "POST /c  9 Wikipedia")
        }
    }

    func testExpectContinueGets100BeforeTheBody() throws {
        try inBothModes {
            try start()
            let c = try client()
            c.send("PUT /e HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
            XCTAssertEqual(c.readResponse()?.status, 100)
            c.send("abcd")
            XCTAssertEqual(c.readResponse()?.text, "PUT /e  4 abcd")
        }
    }

    func testMalformedRequestsGetTheirStatusAndTheServerKeepsServing() throws {
        try inBothModes {
            try start()
            let cases: [(String, Int)] = [
                ("GARBAGE\r\n\r\n", 400),
                ("GET /x HTTP/1.1\r\n\r\n", 400),                                     // no Host
                ("GET /x HTTP/2.0\r\nHost: a\r\n\r\n", 505),
                ("GET /x HTTP/1.1\r\nHost: a\r\nBad Name: v\r\n\r\n", 400),
                ("GET /x HTTP/1.1\r\nHost: a\r\nName : v\r\n\r\n", 400),              // space before colon
                ("GET /x HTTP/1.1\r\nHost: a\r\nX: a\r\n folded\r\n\r\n", 400),       // obs-fold
                ("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", 400),
                ("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", 400),
                ("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
                ("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
                ("GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400),
                ("GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
                ("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400),
                ("GET  /x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ]
            for (raw, status) in cases {
                let c = try client()
                c.send(raw)
                let r = c.readResponse()
                XCTAssertEqual(r?.status, status, raw)
                XCTAssertEqual(r?["Connection"], "close", raw)
                XCTAssertEqual(r?["Content-Type"], "application/json", raw)
                if status == 400 {
                    XCTAssertTrue(r?.text.hasPrefix("{\"error\":{\"code\":\"bad_request\",\"message\":") == true, raw)
                }
                XCTAssertTrue(c.waitForClose(), raw)
                try assertStillServing()
            }
        }
    }

    func testContentLengthWithTransferEncodingIsRejectedAndNotSmuggled() throws {
        try inBothModes {
            try start()
            let c = try client()
            // A front end honouring Content-Length would see one request; one honouring chunked
            // would see a second, smuggled GET. Neither may happen: 400 and close.
            c.send("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n")
            XCTAssertEqual(c.readResponse()?.status, 400)
            XCTAssertNil(c.readResponse())
            XCTAssertFalse(logs.all.contains { $0.path == "/smuggled" })
        }
    }

    func testOversizedRequestLineHeadersAndBodyGet414And431And413() throws {
        try inBothModes {
            try start { $0.maxRequestLineBytes = 1024; $0.maxHeaderBytes = 2048; $0.maxHeaderCount = 20; $0.maxBodyBytes = 4096 }
            let long = try client()
            long.send("GET /" + String(repeating: "a", count: 2000) + " HTTP/1.1\r\nHost: a\r\n\r\n")
            XCTAssertEqual(long.readResponse()?.status, 414)

            let unterminated = try client()
            unterminated.send("GET /" + String(repeating: "a", count: 2000))
            XCTAssertEqual(unterminated.readResponse()?.status, 414)

            let bigHeader = try client()
            bigHeader.send("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + String(repeating: "b", count: 3000) + "\r\n\r\n")
            XCTAssertEqual(bigHeader.readResponse()?.status, 431)

            let many = try client()
            many.send("GET / HTTP/1.1\r\nHost: a\r\n" + (0..<30).map { "X-\($0): v\r\n" }.joined() + "\r\n")
            XCTAssertEqual(many.readResponse()?.status, 431)

            let body = try client()
            body.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n")
            XCTAssertEqual(body.readResponse()?.status, 413)

            let chunked = try client()
            chunked.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + String(repeating: "c", count: 2048) + "\r\n800\r\n" + String(repeating: "c", count: 2048) + "\r\n1\r\n")
            XCTAssertEqual(chunked.readResponse()?.status, 413)
            try assertStillServing()
        }
    }

    func testSlowHeadersTimeOutWith408() throws {
        try inBothModes {
            try start { $0.headerTimeout = 0.5 }
            let c = try client(timeout: 5)
            c.send("GET /slow-loris HTTP/1.1\r\nHost: a\r\nX-A: ")
            let r = c.readResponse()
            XCTAssertEqual(r?.status, 408)
            XCTAssertTrue(c.waitForClose())
        }
    }

    func testIdleKeepAliveConnectionIsClosedAfterIdleTimeout() throws {
        try inBothModes {
            try start { $0.idleTimeout = 0.5 }
            let c = try client(timeout: 5)
            XCTAssertEqual(c.get("/once")?.status, 200)
            XCTAssertTrue(c.waitForClose())
        }
    }

    func testThousandIdleConnectionsDoNotDelayANewClient() throws {
        raiseOpenFileLimit(to: 4096)
        // One peer on purpose (the per-peer limit is covered in HostileClientTests).
        try start { $0.headerTimeout = 30; $0.maxConnections = 2048; $0.maxConnectionsPerPeer = 0 }
        var idle: [RawClient] = []
        for i in 0..<1000 {
            guard let c = RawClient(port: port, timeout: 5) else { XCTFail("connect \(i) failed"); return }
            if i % 2 == 0 { c.send("GET /partial HTTP/1.1\r\nHost: a\r\n") }   // slowloris: never finishes
            idle.append(c)
        }
        // The receive timeout bounds how long the answer may take.
        let c = try client(timeout: 2)
        let r = c.get("/fresh")
        XCTAssertEqual(r?.status, 200)
        XCTAssertEqual(r?.text, "GET /fresh  0 ")
        XCTAssertEqual(idle.count, 1000)
    }

    func testConnectionsPastTheCapGet503WithConnectionClose() throws {
        try inBothModes {
            try start { $0.maxConnections = 4 }
            var held: [RawClient] = []
            for _ in 0..<4 {
                let c = try client()
                XCTAssertEqual(c.get("/hold")?.status, 200)   // the connection is accepted and counted
                held.append(c)
            }
            let extra = try client()
            extra.send("GET /over HTTP/1.1\r\nHost: a\r\n\r\n")
            let r = extra.readResponse()
            XCTAssertEqual(r?.status, 503)
            XCTAssertEqual(r?["Connection"], "close")
            XCTAssertTrue(extra.waitForClose())
            // Capacity comes back when a held connection goes.
            held.removeFirst()
            var served = false
            for _ in 0..<50 where !served {
                if let c = RawClient(port: port), c.get("/again")?.status == 200 { served = true } else { usleep(20_000) }
            }
            XCTAssertTrue(served)
        }
    }

    func testGracefulShutdownFinishesTheInFlightRequest() throws {
        try start()
        let c = try client()
        let idle = try client()
        XCTAssertEqual(idle.get("/idle")?.status, 200)
        c.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(EchoHandler.slowStarted.wait(timeout: .now() + 5), .success, "the request reached a worker")
        let server = self.server!
        let done = expectation(description: "shutdown returned")
        Thread.detachNewThread { server.shutdown(graceful: true); done.fulfill() }
        let r = c.readResponse()
        XCTAssertEqual(r?.status, 200)
        XCTAssertEqual(r?.text, "slow done")
        XCTAssertEqual(r?["Connection"], "close")
        XCTAssertTrue(idle.waitForClose())
        wait(for: [done], timeout: 10)
        XCTAssertNil(RawClient(port: port, timeout: 1), "the listening socket is closed")
    }

    func testGzipIsAppliedWhenAcceptedAndInflatesToTheBody() throws {
        try inBothModes {
            try start()
            let c = try client()
            let r = try XCTUnwrap(c.get("/big", headers: ["Accept-Encoding: br;q=1, gzip;q=0.8"]))
            XCTAssertEqual(r["Content-Encoding"], "gzip")
            XCTAssertEqual(r["Vary"], "Accept-Encoding")
            XCTAssertLessThan(r.body.count, EchoHandler.bigBody.count)
            XCTAssertEqual(inflateGzip(r.body), EchoHandler.bigBody)

            let refused = try XCTUnwrap(c.get("/big", headers: ["Accept-Encoding: gzip;q=0, identity"]))
            XCTAssertNil(refused["Content-Encoding"])
            XCTAssertEqual(refused.body, EchoHandler.bigBody)
            XCTAssertEqual(refused["Vary"], "Accept-Encoding")
        }
    }

    func testETagRevalidationAnswers304WithoutBody() throws {
        try inBothModes {
            try start()
            let c = try client()
            let first = try XCTUnwrap(c.get("/cached"))
            let tag = try XCTUnwrap(first["ETag"])
            let second = try XCTUnwrap(c.get("/cached", headers: ["If-None-Match: \"other\", \(tag)"]))
            XCTAssertEqual(second.status, 304)
            XCTAssertEqual(second.body, [])
            XCTAssertEqual(second["ETag"], tag)
            XCTAssertEqual(c.get("/cached", headers: ["If-None-Match: \"nope\""])?.status, 200)
        }
    }

    func testRequestLogHasOneLinePerRequest() throws {
        try start()
        let c = try client()
        _ = c.get("/logged?x=1")
        _ = c.get("/two%0Alines")
        c.send("GET /bad%zz HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = c.readResponse()
        server.shutdown()
        let lines = logs.all
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines.dropFirst().first?.path, "/two%0Alines", "control characters cannot forge log lines")
        XCTAssertEqual(lines.first?.method, "GET")
        XCTAssertEqual(lines.first?.path, "/logged")
        XCTAssertEqual(lines.first?.status, 200)
        XCTAssertEqual(lines.first?.remote, "127.0.0.1")
        XCTAssertEqual(lines.last?.status, 400)
    }

    func testInlineAnswersAndADeferredBlockingRequestKeepPipelineOrder() throws {
        inlineMode = true
        try start()
        let c = try client()
        c.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n")
        let a = c.readResponse()
        XCTAssertEqual(a?.text, "GET /a  0 ")
        XCTAssertEqual(a?["X-Answered"], "inline")
        let slow = c.readResponse()
        XCTAssertEqual(slow?.text, "slow done")
        XCTAssertNil(slow?["X-Answered"], "answered by a worker")
        XCTAssertEqual(EchoHandler.slowStarted.wait(timeout: .now() + 1), .success)
        let b = c.readResponse()
        XCTAssertEqual(b?.text, "GET /b  0 ")
        XCTAssertEqual(b?["X-Answered"], "inline")
        server.shutdown()
        XCTAssertEqual(logs.all.map(\.path), ["/a", "/slow", "/b"], "one log line per request, in order")
    }

    func testLargeResponseReachesAReaderThatStartsLateWholeAndTheConnectionGoesOn() throws {
        try inBothModes {
            try start()
            let c = try client(timeout: 10)
            c.send("GET /huge HTTP/1.1\r\nHost: a\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n")
            usleep(300_000)   // the socket buffers fill; the rest waits for EPOLLOUT
            let r = c.readResponse()
            XCTAssertEqual(r?.status, 200)
            XCTAssertEqual(r?.body.count, EchoHandler.hugeBody.count)
            XCTAssertTrue(r?.body == EchoHandler.hugeBody)
            XCTAssertEqual(c.readResponse()?.text, "GET /after  0 ")
        }
    }

    func testSeveralLoopsServeEveryConnectionAndShareTheCap() throws {
        try inBothModes {
            try start { $0.eventLoopThreads = 3; $0.maxConnections = 7 }
            var held: [RawClient] = []
            for i in 0..<7 {
                let c = try client()
                XCTAssertEqual(c.get("/held\(i)")?.text, "GET /held\(i)  0 ")
                held.append(c)
            }
            // Every loop has connections now; all of them still answer.
            for (i, c) in held.enumerated() { XCTAssertEqual(c.get("/again\(i)")?.status, 200) }
            let extra = try client()
            extra.send("GET /over HTTP/1.1\r\nHost: a\r\n\r\n")
            XCTAssertEqual(extra.readResponse()?.status, 503)
            XCTAssertTrue(extra.waitForClose())
            held.removeLast()
            var served = false
            for _ in 0..<50 where !served {
                if let c = RawClient(port: port), c.get("/back")?.status == 200 { served = true } else { usleep(20_000) }
            }
            XCTAssertTrue(served)
        }
    }

    func testGracefulShutdownWithSeveralLoopsClosesIdleOnesAndFinishesTheDeferredRequest() throws {
        inlineMode = true
        try start { $0.eventLoopThreads = 3 }
        var idle: [RawClient] = []
        for i in 0..<6 {
            let c = try client()
            XCTAssertEqual(c.get("/idle\(i)")?["X-Answered"], "inline")
            idle.append(c)
        }
        let c = try client()
        c.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(EchoHandler.slowStarted.wait(timeout: .now() + 5), .success, "the request reached a worker")
        let server = self.server!
        let done = expectation(description: "shutdown returned")
        Thread.detachNewThread { server.shutdown(graceful: true); done.fulfill() }
        let r = c.readResponse()
        XCTAssertEqual(r?.text, "slow done")
        XCTAssertEqual(r?["Connection"], "close")
        for i in idle { XCTAssertTrue(i.waitForClose()) }
        wait(for: [done], timeout: 10)
        XCTAssertNil(RawClient(port: port, timeout: 1), "the listening socket is closed")
    }

    private func inflateGzip(_ data: [UInt8]) -> [UInt8]? {
        var stream = z_stream()
        guard inflateInit2_(&stream, 31, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var input = data
        var out = [UInt8](repeating: 0, count: 1 << 20)
        let rc = input.withUnsafeMutableBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o -> Int32 in
                stream.next_in = i.baseAddress
                stream.avail_in = uInt(i.count)
                stream.next_out = o.baseAddress
                stream.avail_out = uInt(o.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        guard rc == Z_STREAM_END else { return nil }
        return Array(out[0..<Int(stream.total_out)])
    }
}
