import Foundation
import Glibc
@testable import HTTPServer
import XCTest

/// Clients that attack the server's resources rather than its parser: readers that never read
/// or read slowly, requests that make the server compress, and one client holding the
/// connection cap. Live sockets on 127.0.0.1, port 0.
final class HostileClientTests: XCTestCase {
    private var server: HTTPServer!
    private var port = 0

    private func start(inline: Bool, _ tweak: (inout HTTPServerConfig) -> Void = { _ in }) throws {
        var config = HTTPServerConfig(host: "127.0.0.1", port: 0)
        config.headerTimeout = 2
        config.workerThreads = 2
        tweak(&config)
        server = HTTPServer(config: config, handler: inline ? InlineEchoHandler() as any HTTPHandler : EchoHandler())
        try server.start()
        port = server.boundPort
    }

    override func tearDown() {
        server?.shutdown(graceful: false)
        server = nil
        super.tearDown()
    }

    private static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    // MARK: case 1: slow readers

    /// 30 clients ask for an 8 MiB body and do not read. Each would pin a copy of the unsent
    /// part (about 8 MiB each: 240 MiB); with the body shared by reference the server's memory
    /// barely moves. Then some of them read, and get the whole body intact.
    func testNonReadingClientsShareOneBodyAndLaterGetItWhole() throws {
        raiseOpenFileLimit(to: 4096)
        for inline in [false, true] {
            try start(inline: inline)
            // Warm up: the body exists once before the baseline.
            let warm = try XCTUnwrap(RawClient(port: port, timeout: 20))
            XCTAssertEqual(warm.get("/huge")?.body.count, EchoHandler.hugeBody.count)
            let baseline = Self.residentBytes()
            var stalled: [RawClient] = []
            for _ in 0..<30 {
                let c = try XCTUnwrap(RawClient(port: port, timeout: 20, receiveBuffer: 4096))
                c.send("GET /huge HTTP/1.1\r\nHost: a\r\n\r\n")
                stalled.append(c)
            }
            usleep(1_000_000)   // the server sends what the sockets take and queues the rest
            let growth = Self.residentBytes() - baseline
            XCTAssertLessThan(growth, 48 << 20,
                              "30 stalled readers grew the server by \(growth >> 20) MiB (inline: \(inline))")
            for c in stalled.prefix(3) {
                let r = c.readResponse()
                XCTAssertEqual(r?.status, 200)
                XCTAssertTrue(r?.body == EchoHandler.hugeBody, "the body arrives whole and in order")
            }
            server.shutdown(graceful: false)
            server = nil
        }
    }

    // MARK: case 2: total send deadline

    /// A reader that takes at most 16 KiB every 20 ms (under 800 KB/s) is never idle for
    /// `writeTimeout` (2.5 s), but the 8 MiB response must be sent within
    /// max(2.5 s, 8 MiB / 2 MiB/s) = 4 s: the server resets the connection then, before the
    /// body is through (at that pace it takes over 10 s). The kernel's socket buffers hold up
    /// to 4 MiB of it; the deadline applies to what the server still holds.
    func testSteadySlowReaderIsCutAtTheTotalSendDeadline() throws {
        try start(inline: true) { $0.writeTimeout = 2.5; $0.minWriteBytesPerSecond = 2 << 20 }
        let c = try XCTUnwrap(RawClient(port: port, timeout: 5, receiveBuffer: 16384))
        c.send("GET /huge HTTP/1.1\r\nHost: a\r\n\r\n")
        let began = Date()
        var received = 0
        var ended = false
        while Date().timeIntervalSince(began) < 12 {
            let n = c.readSome(max: 16384)
            if n <= 0 { ended = true; break }
            received += n
            usleep(20_000)
        }
        let elapsed = Date().timeIntervalSince(began)
        XCTAssertTrue(ended, "still connected after \(elapsed) s, \(received) bytes read")
        XCTAssertGreaterThan(elapsed, 3, "not before the deadline (the inactivity limit did not fire)")
        XCTAssertLessThan(elapsed, 8)
        XCTAssertLessThan(received, EchoHandler.hugeBody.count, "cut before the whole body")
        // The server goes on serving.
        XCTAssertEqual(try XCTUnwrap(RawClient(port: port)).get("/alive")?.status, 200)
    }

    /// The floor rate gives a large body more than `writeTimeout` when it needs it: a reader
    /// at a steady pace within the floor gets the whole body although that takes longer than
    /// `writeTimeout`.
    func testReaderAboveTheFloorRateGetsABodyThatTakesLongerThanTheWriteTimeout() throws {
        try start(inline: true) { $0.writeTimeout = 1; $0.minWriteBytesPerSecond = 2 << 20 }
        let c = try XCTUnwrap(RawClient(port: port, timeout: 5, receiveBuffer: 65536))
        c.send("GET /huge HTTP/1.1\r\nHost: a\r\n\r\n")
        let began = Date()
        var received = 0
        // About 3 MiB/s: 8 MiB take about 2.7 s, over writeTimeout and within 4 s.
        while received < EchoHandler.hugeBody.count + 100, Date().timeIntervalSince(began) < 10 {
            let n = c.readSome(max: 32768)
            if n <= 0 { break }
            received += n
            let due = Double(received) / Double(3 << 20)
            let now = Date().timeIntervalSince(began)
            if due > now { usleep(UInt32((due - now) * 1e6)) }
        }
        XCTAssertGreaterThan(received, EchoHandler.hugeBody.count, "the whole response arrived")
        XCTAssertGreaterThan(Date().timeIntervalSince(began), 1.5)
    }

    // MARK: case 3: compression off the loop, cached per body

    /// On a loop thread a large body missing from the gzip cache is not compressed there: the
    /// response is marked for a worker. Off the loop (a worker) it is compressed at once.
    func testLargeUncachedBodyIsNotCompressedOnALoopThread() throws {
        let request = HTTPRequest(method: "GET", target: "/x", path: "/x", headers: HTTPHeaders([("Accept-Encoding", "gzip")]))
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        headers.add("ETag", "\"loop-thread-\(UUID().uuidString)\"")
        let response = HTTPResponse(status: 200, headers: headers, body: Array(EchoHandler.textBody.prefix(256 << 10)))
        let onLoop = Thread.detachedResult {
            LoopThread.markCurrent()
            return ResponseHelpers.compressIfAccepted(request: request, response: response)
        }
        XCTAssertTrue(onLoop.deferredGzip)
        XCTAssertNil(onLoop.headers["Content-Encoding"])
        XCTAssertEqual(onLoop.body.count, response.body.count)
        let finished = ResponseHelpers.finishGzip(onLoop)
        XCTAssertEqual(finished.headers["Content-Encoding"], "gzip")
        XCTAssertEqual(HTTPCompression.gunzip(finished.body), response.body)
        // Now cached: even the loop thread answers from the cache.
        let again = Thread.detachedResult {
            LoopThread.markCurrent()
            return ResponseHelpers.compressIfAccepted(request: request, response: response)
        }
        XCTAssertFalse(again.deferredGzip)
        XCTAssertEqual(again.body, finished.body)
    }

    /// One event loop: while a worker compresses an 8 MiB body for client A, client B's
    /// request on the same loop is answered (before the loop did the compression itself and
    /// B waited). Then eight requests for the same body with a fresh query string each get the
    /// one cached encoding.
    func testCompressionRunsOffTheLoopAndIsCachedPerBodyNotPerTarget() throws {
        try start(inline: true) { $0.eventLoopThreads = 1 }
        _ = EchoHandler.textBody
        let tag = "t-\(UUID().uuidString)"
        let a = try XCTUnwrap(RawClient(port: port, timeout: 20))
        let b = try XCTUnwrap(RawClient(port: port, timeout: 5))
        a.send("GET /text?tag=\(tag) HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n")
        usleep(20_000)
        let quick = b.get("/alive")
        XCTAssertEqual(quick?.status, 200)
        XCTAssertTrue(a.nothingToRead, "B was answered while A's body was still being compressed")
        let first = try XCTUnwrap(a.readResponse())
        XCTAssertEqual(first["Content-Encoding"], "gzip")
        XCTAssertEqual(first["X-Answered"], "inline")
        XCTAssertTrue(HTTPCompression.gunzip(first.body, limit: 16 << 20) == EchoHandler.textBody)

        let key = GzipCache.Key(etag: "\"\(tag)\"", length: EchoHandler.textBody.count)
        let cached = try XCTUnwrap(GzipCache.shared.get(key))
        XCTAssertEqual(cached, first.body)
        // Mark the cached entry: only a cache hit can return these bytes.
        GzipCache.shared.put(key, cached + [0])
        for i in 0..<8 {
            let c = try XCTUnwrap(RawClient(port: port, timeout: 10))
            let r = c.get("/text?tag=\(tag)&nonce=\(i)-\(UUID().uuidString)", headers: ["Accept-Encoding: gzip"])
            XCTAssertEqual(r?.status, 200)
            XCTAssertEqual(r?.body.count, cached.count + 1, "request \(i) got the cached encoding")
        }
    }

    // MARK: case 4: one client and the connection caps

    /// Four connections per peer: a fifth from the same address gets 503 for a normal
    /// request but its `/healthz` is answered; another peer is served normally.
    func testPerPeerLimitRefusesTheNoisyPeerOnlyAndHealthzIsAlwaysAnswered() throws {
        for inline in [false, true] {
            try start(inline: inline) { $0.maxConnections = 100; $0.maxConnectionsPerPeer = 4 }
            var held: [RawClient] = []
            for _ in 0..<4 {
                let c = try XCTUnwrap(RawClient(port: port))
                XCTAssertEqual(c.get("/hold")?.status, 200)
                held.append(c)
            }
            let over = try XCTUnwrap(RawClient(port: port))
            let refused = over.get("/more")
            XCTAssertEqual(refused?.status, 503)
            XCTAssertEqual(refused?["Connection"], "close")
            let probe = try XCTUnwrap(RawClient(port: port))
            let health = probe.get("/healthz")
            XCTAssertEqual(health?.status, 200, "the liveness probe is answered past the peer's limit")
            XCTAssertEqual(health?["Connection"], "close")
            if let other = RawClient(port: port, source: "127.0.0.2") {
                XCTAssertEqual(other.get("/other")?.status, 200, "another peer is not limited")
            }
            // A released connection frees its peer's slot.
            held.removeFirst()
            var served = false
            for _ in 0..<50 where !served {
                if let c = RawClient(port: port), c.get("/again")?.status == 200 { served = true } else { usleep(20_000) }
            }
            XCTAssertTrue(served)
            server.shutdown(graceful: false)
            server = nil
        }
    }

    /// The global cap is full and 300 more connections sit idle past it (more than the
    /// server holds for probes): a `/healthz` probe still gets 200, every time.
    func testHealthzIsAnsweredWhileTheGlobalCapIsHeldAndFlooded() throws {
        raiseOpenFileLimit(to: 4096)
        try start(inline: true) { $0.maxConnections = 8; $0.maxConnectionsPerPeer = 0; $0.headerTimeout = 10 }
        var held: [RawClient] = []
        for _ in 0..<8 {
            let c = try XCTUnwrap(RawClient(port: port))
            XCTAssertEqual(c.get("/hold")?.status, 200)
            held.append(c)
        }
        for _ in 0..<300 { if let c = RawClient(port: port) { held.append(c) } }
        var answered = 0
        for _ in 0..<10 {
            let probe = try XCTUnwrap(RawClient(port: port, timeout: 3))
            if probe.get("/healthz")?.status == 200 { answered += 1 }
            // More noise between the probes.
            for _ in 0..<20 { if let c = RawClient(port: port) { held.append(c) } }
        }
        XCTAssertEqual(answered, 10)
        let other = try XCTUnwrap(RawClient(port: port))
        XCTAssertEqual(other.get("/api")?.status, 503, "everything else is still refused past the cap")
    }
}

/// A value handed from one thread to another.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
    let done = DispatchSemaphore(value: 0)
}

extension Thread {
    /// Runs `body` on a new thread and waits for its result.
    static func detachedResult<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let box = ResultBox<T>()
        let t = Thread { box.value = body(); box.done.signal() }
        t.start()
        box.done.wait()
        return box.value!
    }
}
