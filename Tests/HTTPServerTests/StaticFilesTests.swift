import Foundation
import Glibc
@testable import HTTPServer
import XCTest

/// StaticFiles over a temporary tree built per test (with symlinks that point out of it).
/// Requests go through the real parser, so percent-decoding happens as on the wire.
final class StaticFilesTests: XCTestCase {
    private var base = ""
    private var root = ""
    private var files: StaticFiles!

    override func setUpWithError() throws {
        base = NSTemporaryDirectory() + "static-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        root = base + "/web"
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/assets", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/docs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        let write = { (path: String, text: String) in
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }
        try write(root + "/index.html", "<!doctype html><title>virtaudit</title>" + String(repeating: "<p>row</p>", count: 200))
        try write(root + "/assets/app.js", "export const x = 1;\n")
        try write(root + "/assets/app.mjs", "export {};\n")
        try write(root + "/assets/style.css", "body{}\n")
        try write(root + "/assets/data.json", "{}")
        try write(root + "/assets/icon.svg", "<svg/>")
        try write(root + "/assets/logo.png", "\u{89}PNG")
        try write(root + "/assets/favicon.ico", "ico")
        try write(root + "/assets/font.woff2", "wOF2")
        try write(root + "/assets/readme.txt", "text")
        try write(root + "/assets/app.js.map", "{}")
        try write(root + "/assets/blob.bin", "bin")
        try write(root + "/docs/index.html", "<p>docs</p>")
        try write(root + "/.hidden", "secret")
        try write(base + "/outside.txt", "outside the root")
        try fm.createSymbolicLink(atPath: root + "/escape.txt", withDestinationPath: "../outside.txt")
        try fm.createSymbolicLink(atPath: root + "/etc", withDestinationPath: "/etc")
        try fm.createSymbolicLink(atPath: root + "/inside.js", withDestinationPath: "assets/app.js")
        files = StaticFiles(root: root)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: base)
    }

    /// The response to `GET <target>` as the server would produce it (parse errors included).
    private func get(_ target: String, headers: String = "", method: String = "GET") -> HTTPResponse {
        var parser = HTTPParser()
        parser.append(Array("\(method) \(target) HTTP/1.1\r\nHost: x\r\n\(headers)\r\n".utf8))
        do {
            guard let parsed = try parser.next() else { return HTTPResponse(status: 0) }
            return files.handle(parsed.request)
        } catch {
            return HTTPResponse(status: error.status)
        }
    }

    func testContentTypesByExtension() {
        let expected: [(String, String)] = [
            ("/index.html", "text/html; charset=utf-8"), ("/assets/app.js", "text/javascript; charset=utf-8"),
            ("/assets/app.mjs", "text/javascript; charset=utf-8"), ("/assets/style.css", "text/css; charset=utf-8"),
            ("/assets/data.json", "application/json"), ("/assets/icon.svg", "image/svg+xml"),
            ("/assets/logo.png", "image/png"), ("/assets/favicon.ico", "image/x-icon"),
            ("/assets/font.woff2", "font/woff2"), ("/assets/readme.txt", "text/plain; charset=utf-8"),
            ("/assets/app.js.map", "application/json"), ("/assets/blob.bin", "application/octet-stream"),
        ]
        for (path, type) in expected {
            let r = get(path)
            XCTAssertEqual(r.status, 200, path)
            XCTAssertEqual(r.headers["Content-Type"], type, path)
            XCTAssertEqual(r.headers["X-Content-Type-Options"], "nosniff", path)
            XCTAssertEqual(r.headers["Cache-Control"], "no-cache", path)
            XCTAssertNotNil(r.headers["ETag"], path)
        }
    }

    func testRootServesIndexWithSecurityHeaders() {
        let r = get("/")
        XCTAssertEqual(r.status, 200)
        XCTAssertTrue(String(decoding: r.body, as: UTF8.self).hasPrefix("<!doctype html>"))
        XCTAssertEqual(r.headers["Content-Security-Policy"], "default-src 'self'")
        XCTAssertEqual(r.headers["Referrer-Policy"], "no-referrer")
        XCTAssertNil(get("/assets/app.js").headers["Content-Security-Policy"])
    }

    func testDirectoryWithoutIndexIs404AndWithIndexServesIt() {
        XCTAssertEqual(get("/empty").status, 404)
        XCTAssertEqual(get("/empty/").status, 404)
        XCTAssertEqual(get("/assets/").status, 404)
        XCTAssertEqual(String(decoding: get("/docs").body, as: UTF8.self), "<p>docs</p>")
        XCTAssertEqual(String(decoding: get("/docs/").body, as: UTF8.self), "<p>docs</p>")
    }

    func testTraversalAttemptsNeverLeaveTheRoot() {
        let attempts = [
            "/../etc/passwd", "/%2e%2e/", "/%2e%2e/outside.txt", "/..%2f", "/..%2foutside.txt", "/a/../../x",
            "/assets/../../outside.txt", "/%2E%2E%2Foutside.txt", "/..\\outside.txt", "/%5c..%5coutside.txt",
            "/escape.txt", "/etc/passwd", "/etc/hostname", "/.hidden", "/%2ehidden", "/assets/%252e%252e/x",
            "//etc/passwd", "/./index.html", "/%00", "/index.html%00.js", "/..", "/assets/..",
        ]
        for target in attempts {
            let r = get(target)
            XCTAssertTrue(r.status == 404 || r.status == 400, "\(target) -> \(r.status)")
            XCTAssertFalse(String(decoding: r.body, as: UTF8.self).contains("outside the root"), target)
            XCTAssertFalse(String(decoding: r.body, as: UTF8.self).contains("root:"), target)
        }
    }

    func testSymlinkInsideTheRootIsFollowed() {
        XCTAssertEqual(String(decoding: get("/inside.js").body, as: UTF8.self), "export const x = 1;\n")
    }

    func testOnlyGetAndHeadAreAllowed() {
        let r = get("/index.html", method: "DELETE")
        XCTAssertEqual(r.status, 405)
        XCTAssertEqual(r.headers["Allow"], "GET, HEAD")
    }

    func testIfNoneMatchGives304AndGzipIsUsedWhenAccepted() throws {
        let first = get("/index.html", headers: "Accept-Encoding: gzip\r\n")
        XCTAssertEqual(first.headers["Content-Encoding"], "gzip")
        let tag = try XCTUnwrap(first.headers["ETag"])
        XCTAssertEqual(get("/index.html", headers: "If-None-Match: \(tag)\r\n").status, 304)
    }

    func testMissingRootServesNothing() {
        let none = StaticFiles(root: base + "/does-not-exist")
        XCTAssertEqual(none.handle(HTTPRequest(method: "GET", target: "/", path: "/")).status, 404)
    }
}
