import Core
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Process-level behaviour of `virtaudit serve`: signals, refusing unsafe set-ups, tokens,
/// libvirt unreachable, configuration errors.
final class ServiceLiveBehaviourTests: ServiceLiveTestCase {
    func testSIGTERMExitsZeroAfterFinishingAnInFlightResponse() throws {
        try ServiceLive.requireLibvirt()
        let dir = try tempDir()
        let p = try serve(config: nil, dataDir: dir + "/data", extra: ["--log-level", "info"])
        try waitForResults(p)
        let full = try p.get("/api/v1/report")
        XCTAssertEqual(full.status, 200)

        // A slow client: a tiny receive window and small segments keep the response in flight.
        let fd = try RawHTTP.connect(port: p.port, timeout: 20, receiveBuffer: 2048, maxSegment: 536)
        defer { close(fd) }
        try RawHTTP.send(fd, RawHTTP.requestBytes(method: "GET", path: "/api/v1/report"))
        Thread.sleep(forTimeInterval: 0.5)
        p.signal(SIGTERM)
        // The service must wait for this response rather than exit or cut it short.
        Thread.sleep(forTimeInterval: 1.0)
        XCTAssertTrue(p.process.isRunning, "the service exited with a \(full.body.count)-byte response still being sent")
        let refused = (try? RawHTTP.request(port: p.port, path: "/healthz", timeout: 2)) == nil
        XCTAssertTrue(refused, "a stopping service accepts no new requests")
        let reply = try RawHTTP.readReply(fd, chunk: 8192)
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.body, full.body, "the in-flight response must arrive complete")
        XCTAssertNoThrow(try reply.json())
        XCTAssertEqual(reply.headers["connection"]?.lowercased(), "close")
        XCTAssertEqual(p.waitForExit(timeout: 20), 0, p.logText)
        let log = p.logText
        XCTAssertTrue(log.contains("shutting down"), log)
        XCTAssertTrue(log.contains("stopped"), log)
        XCTAssertThrowsError(try RawHTTP.request(port: p.port, path: "/healthz", timeout: 2), "nothing listens after exit")
    }

    func testSIGINTAlsoStopsWithStatusZero() throws {
        try ServiceLive.requireLibvirt()
        let dir = try tempDir()
        let p = try serve(config: nil, dataDir: dir + "/data")
        XCTAssertEqual(try p.get("/healthz").status, 200)
        p.signal(SIGINT)
        XCTAssertEqual(p.waitForExit(timeout: 20), 0, p.logText)
    }

    func testListeningOnAllAddressesWithoutTokensExitsTwoWithOneLine() throws {
        let dir = try tempDir()
        let p = ServeProcess(config: nil, dataDir: dir + "/data", extra: ["--listen", "0.0.0.0"])
        processes.append(p)
        try p.launch()
        XCTAssertEqual(p.waitForExit(timeout: 30), 2, p.logText)
        let lines = p.logText.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, p.logText)
        XCTAssertTrue(p.logText.hasPrefix("virtaudit: refusing to listen on 0.0.0.0 without authentication"), p.logText)
        XCTAssertTrue(p.logText.contains("token new --role read"), p.logText)
    }

    func testTokensGate401ReadAndAdminRolesAndAreNeverLogged() throws {
        try ServiceLive.requireLibvirt()
        let dir = try tempDir()
        let read = try ServiceLive.newToken(role: "read")
        let admin = try ServiceLive.newToken(role: "admin")
        XCTAssertNotEqual(read.token, admin.token)
        XCTAssertFalse(read.line.contains(read.token), "the token file line holds a hash, not the token")
        try "# test tokens\n\(read.line)\n\(admin.line)\n".write(toFile: dir + "/tokens", atomically: true, encoding: .utf8)
        let config = try writeConfig("""
            token_file: \(dir)/tokens
            scan_interval_seconds: 0
            log_level: debug
            reports:
              interval_seconds: 0
            """, in: dir)
        let p = try serve(config: config, dataDir: dir + "/data")
        XCTAssertTrue(p.logText.contains("tokens=true"), p.logText)
        try waitForResults(p, token: read.token)

        XCTAssertEqual(try p.get("/healthz").status, 200, "/healthz never needs a token")
        let anonymous = try p.get("/api/v1/summary")
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertEqual(anonymous.headers["www-authenticate"], "Bearer realm=\"virtaudit\"")
        XCTAssertEqual(try anonymous.json()[path: "error.code"]?.stringValue, "unauthorized")
        XCTAssertEqual(try p.get("/metrics").status, 401, "metrics need a token too when tokens are configured")
        XCTAssertEqual(try p.get("/api/v1/summary", token: read.token + "x").status, 401)
        XCTAssertEqual(try p.get("/api/v1/summary", token: read.token).status, 200)
        XCTAssertEqual(try p.get("/metrics", token: read.token).status, 200)
        let forbidden = try p.post("/api/v1/scans", token: read.token)
        XCTAssertEqual(forbidden.status, 403)
        XCTAssertEqual(try forbidden.json()[path: "error.code"]?.stringValue, "forbidden")
        let accepted = try p.post("/api/v1/scans", token: admin.token)
        XCTAssertEqual(accepted.status, 202, accepted.text)
        let id = try XCTUnwrap(try accepted.json()["id"]?.stringValue)
        XCTAssertEqual(accepted.headers["location"], "/api/v1/scans/\(id)")
        try ServiceLive.eventually("scan \(id) requested with the admin token to finish", timeout: 60, interval: 0.2) { () -> Bool? in
            let s = try p.json("/api/v1/scans/\(id)", token: read.token)?["state"]?.stringValue
            return s == "done" || s == "failed" ? true : nil
        }
        XCTAssertEqual(try p.json("/api/v1/scans/\(id)", token: read.token)?["state"]?.stringValue, "done")

        let log = p.logText
        XCTAssertGreaterThanOrEqual(log.components(separatedBy: "request refused").count - 1, 4, log)
        for secret in [read.token, admin.token] {
            XCTAssertFalse(log.contains(secret), "a token appears in the log")
            XCTAssertFalse(log.contains(String(secret.prefix(12))), "part of a token appears in the log")
        }
        XCTAssertEqual(p.stop(), 0, p.logText)
    }

    func testUnreachableLibvirtKeepsServingAndReportsDisconnected() throws {
        let dir = try tempDir()
        let socketPath = "/tmp/va-live-nonexistent-\(UUID().uuidString.prefix(8))/libvirt-sock"
        let p = try serve(config: nil, dataDir: dir + "/data",
                          extra: ["--connect", "qemu+unix:///system?socket=\(socketPath)", "--log-level", "info"])
        // Alive (200) but not ok: once the first scan has failed, /healthz says why.
        let health = try ServiceLive.eventually("/healthz degraded after the failed first scan", timeout: 30, interval: 0.1) { () -> JSONValue? in
            let h = try XCTUnwrap(try p.json("/healthz"))
            return h["status"]?.stringValue == "degraded" ? h : nil
        }
        XCTAssertEqual(health["reasons"]?.arrayValue?.first?.stringValue, "libvirt is disconnected", "\(health)")
        XCTAssertEqual(health[path: "libvirt.connected"]?.boolValue, false, "\(health)")
        // Over a few seconds of retries with backoff the service keeps answering.
        let until = Date().addingTimeInterval(4)
        while Date() < until {
            let s = try p.get("/api/v1/summary")
            XCTAssertEqual(s.status, 503, s.text)
            XCTAssertEqual(try s.json()[path: "error.code"]?.stringValue, "no_results")
            XCTAssertNotNil(s.headers["retry-after"])
            XCTAssertTrue(p.process.isRunning, p.logText)
            Thread.sleep(forTimeInterval: 0.5)
        }
        let again = try XCTUnwrap(try p.json("/healthz"))
        XCTAssertEqual(again[path: "libvirt.connected"]?.boolValue, false)
        XCTAssertEqual(again["lastScan"], .null)
        let metrics = try p.get("/metrics").text
        XCTAssertTrue(metrics.contains("\nvirtaudit_up 0\n"), metrics)
        XCTAssertTrue(metrics.contains("\nvirtaudit_libvirt_connected 0\n"), metrics)
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") {
            let lint = try ServiceLive.run("/usr/bin/promtool", ["check", "metrics"], stdin: Data(metrics.utf8))
            XCTAssertEqual(lint.status, 0, "metrics without results: \(lint.out)\(lint.err)")
        }
        let failures = metrics.split(separator: "\n").first { $0.hasPrefix("virtaudit_scan_failures_total ") }
        XCTAssertGreaterThanOrEqual(Int(failures?.split(separator: " ").last ?? "") ?? 0, 1, metrics)
        XCTAssertEqual(p.stop(), 0, p.logText)
    }

    /// Runs `serve` expecting it to refuse to start: status 2 and exactly one line on stderr.
    func expectStartupRefusal(_ p: ServeProcess, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        processes.append(p)
        try p.launch()
        XCTAssertEqual(p.waitForExit(timeout: 30), 2, p.logText, file: file, line: line)
        XCTAssertEqual(p.logText.split(separator: "\n").count, 1, p.logText, file: file, line: line)
        XCTAssertTrue(p.logText.hasPrefix("virtaudit: "), p.logText, file: file, line: line)
        return p.logText
    }

    func testInvalidSettingsAndTokenFilesExitTwoWithTheFileAndLine() throws {
        let dir = try tempDir()
        let short = try writeConfig("log_level: info\nscan_interval_seconds: 5\n", in: dir)
        let msg = try expectStartupRefusal(ServeProcess(config: short, dataDir: dir + "/data"))
        XCTAssertTrue(msg.contains("\(short):2: invalid value for 'scan_interval_seconds'"), msg)

        let read = try ServiceLive.newToken(role: "read")
        try "\(read.line)\nwrite sha256:0000\n".write(toFile: dir + "/tokens", atomically: true, encoding: .utf8)
        let withTokens = try writeConfig("token_file: \(dir)/tokens\n", in: dir)
        let tokenMsg = try expectStartupRefusal(ServeProcess(config: withTokens, dataDir: dir + "/data"))
        XCTAssertTrue(tokenMsg.contains("\(dir)/tokens:2"), tokenMsg)
        XCTAssertFalse(tokenMsg.contains(read.token))

        let port = try expectStartupRefusal(ServeProcess(["serve", "--port", "70000", "--data-dir", dir + "/data"]))
        XCTAssertTrue(port.contains("--port"), port)
        let level = try expectStartupRefusal(ServeProcess(["serve", "--port", "0", "--log-level", "verbose", "--data-dir", dir + "/data"]))
        XCTAssertTrue(level.contains("verbose"), level)
        let duplicate = try writeConfig("port: 8470\nlisten: 127.0.0.1\nport: 8471\n", in: dir)
        let dup = try expectStartupRefusal(ServeProcess(config: duplicate, dataDir: dir + "/data"))
        XCTAssertTrue(dup.contains("\(duplicate):3: option 'port' is set twice"), dup)
    }

    func testSIGTERMDuringTheStartupScanExitsZeroAndLeavesHistoryUsable() throws {
        try ServiceLive.requireLibvirt()
        let dir = try tempDir()
        for round in 1...10 {
            let p = ServeProcess(config: nil, dataDir: dir + "/data")
            processes.append(p)
            // The moment it logs "listening" it serves, and its start-up scan is under way.
            try p.start(poll: 0.0005)
            p.signal(SIGTERM)
            let status = p.waitForExit(timeout: 20)
            let why = status == 128 + SIGTERM ? "killed by SIGTERM instead of stopping gracefully\n"
                : status == nil ? "still running 20 s after SIGTERM:\n\(p.signalDiagnostics())\n" : ""
            XCTAssertEqual(status, 0, "round \(round): " + why + p.logText)
        }
        let p = try serve(config: nil, dataDir: dir + "/data")
        try waitForResults(p)
        let history = try p.get("/api/v1/history?target=host")
        XCTAssertEqual(history.status, 200, history.text)
        let points = try XCTUnwrap(try history.json()["points"]?.arrayValue)
        XCTAssertGreaterThanOrEqual(points.count, 1)
        XCTAssertEqual(Set(points.compactMap { $0["scanId"]?.stringValue }).count, points.count, "scan ids are unique")
        XCTAssertFalse(p.logText.contains("history write failed"), p.logText)
        XCTAssertEqual(p.stop(), 0, p.logText)
    }

    func testUnknownConfigurationKeyExitsTwoNamingFileAndLine() throws {
        let dir = try tempDir()
        let config = try writeConfig("""
            listen: 127.0.0.1
            scan_interval_seconds: 0
            alerts:
              retry_base_seconds: 1
              webhok_url: http://127.0.0.1:9/
            """, in: dir)
        let p = ServeProcess(config: config, dataDir: dir + "/data")
        processes.append(p)
        try p.launch()
        XCTAssertEqual(p.waitForExit(timeout: 30), 2, p.logText)
        let lines = p.logText.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, p.logText)
        XCTAssertTrue(p.logText.hasPrefix("virtaudit: \(config):5: unknown option 'alerts.webhok_url'"), p.logText)
    }
}
