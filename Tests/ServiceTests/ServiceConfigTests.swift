import Core
import Foundation
import HTTPServer
import XCTest
@testable import Service

final class ServiceConfigTests: XCTestCase {
    func temporaryFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "virtaudit-\(UUID().uuidString)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testDefaultsNeedNoFile() {
        let config = ServiceConfig.default
        XCTAssertEqual(config.listen, "127.0.0.1")
        XCTAssertEqual(config.port, 8470)
        XCTAssertEqual(config.connect, "qemu:///system")
        XCTAssertEqual(config.root, "/")
        XCTAssertEqual(config.scanIntervalSeconds, 300)
        XCTAssertNil(config.tokenFile)
        XCTAssertNil(config.waiversFile)
        XCTAssertEqual(config.logLevel, .info)
        XCTAssertNoThrow(try config.validate())
    }

    func testEmptyAndCommentOnlyFilesGiveTheDefaults() throws {
        XCTAssertEqual(try ServiceConfig.parse(""), .default)
        XCTAssertEqual(try ServiceConfig.parse("# nothing set\n"), .default)
    }

    func testEveryOptionIsRead() throws {
        let config = try ServiceConfig.parse("""
            listen: "::1"
            port: 9000
            connect: qemu+ssh://hv2/system
            root: /srv/fixture
            policies: /etc/virtaudit/policies
            waivers: /etc/virtaudit/waivers.yaml
            scan_interval_seconds: 60
            token_file: /etc/virtaudit/tokens
            web_dir: /opt/web
            data_dir: /var/lib/va
            log_level: debug
            limits:
              max_connections: 8
              read_timeout_seconds: 5
              write_timeout_seconds: 6
              idle_timeout_seconds: 7
              max_body_bytes: 100
              max_header_bytes: 2048
              max_connections_per_peer: 9
              write_min_bytes_per_second: 1000
            allowed_hosts: [virtaudit.example.org, "hv7"]
            """)
        XCTAssertEqual(config.listen, "::1")
        XCTAssertEqual(config.port, 9000)
        XCTAssertEqual(config.connect, "qemu+ssh://hv2/system")
        XCTAssertEqual(config.root, "/srv/fixture")
        XCTAssertEqual(config.policiesDir, "/etc/virtaudit/policies")
        XCTAssertEqual(config.waiversFile, "/etc/virtaudit/waivers.yaml")
        XCTAssertEqual(config.scanIntervalSeconds, 60)
        XCTAssertEqual(config.tokenFile, "/etc/virtaudit/tokens")
        XCTAssertEqual(config.webDir, "/opt/web")
        XCTAssertEqual(config.dataDir, "/var/lib/va")
        XCTAssertEqual(config.logLevel, .debug)
        XCTAssertEqual(config.limits.maxConnections, 8)
        XCTAssertEqual(config.limits.readTimeoutSeconds, 5)
        XCTAssertEqual(config.limits.writeTimeoutSeconds, 6)
        XCTAssertEqual(config.limits.idleTimeoutSeconds, 7)
        XCTAssertEqual(config.limits.maxBodyBytes, 100)
        XCTAssertEqual(config.limits.maxHeaderBytes, 2048)
        XCTAssertEqual(config.limits.maxConnectionsPerPeer, 9)
        XCTAssertEqual(config.limits.writeMinBytesPerSecond, 1000)
        XCTAssertEqual(config.allowedHosts, ["virtaudit.example.org", "hv7"])
    }

    func testAllowedHostsRejectsPortsPathsAndWildcards() {
        for bad in ["[\"*.example.org\"]", "[\"a/b\"]", "[\"\"]", "example.org"] {
            XCTAssertThrowsError(try ServiceConfig.parse("allowed_hosts: \(bad)\n"), bad)
        }
        XCTAssertThrowsError(try ServiceConfig.parse("limits:\n  max_connections_per_peer: -1\n"))
    }

    func testUnsetOptionsKeepTheirDefaults() throws {
        let config = try ServiceConfig.parse("port: 9001\nlimits:\n  max_connections: 3\n")
        XCTAssertEqual(config.listen, "127.0.0.1")
        XCTAssertEqual(config.limits.maxBodyBytes, ServiceConfig.Limits().maxBodyBytes)
        XCTAssertEqual(config.limits.maxConnections, 3)
    }

    func testUnknownKeyErrorNamesTheKeyAndLine() {
        XCTAssertThrowsError(try ServiceConfig.parse("port: 9000\n\nlisten_address: 0.0.0.0\n", file: "va.yaml")) { error in
            XCTAssertEqual(error as? ServiceConfigError, .unknownKey(file: "va.yaml", key: "listen_address", line: 3))
            XCTAssertTrue("\(error)".hasPrefix("va.yaml:3: unknown option 'listen_address'"), "\(error)")
        }
        XCTAssertThrowsError(try ServiceConfig.parse("limits:\n  max_conns: 3\n", file: "va.yaml")) { error in
            XCTAssertEqual(error as? ServiceConfigError, .unknownKey(file: "va.yaml", key: "limits.max_conns", line: 2))
        }
    }

    func testInvalidValuesAreErrorsNamingKeyLineAndProblem() {
        let cases: [(String, String, Int, String)] = [
            ("port: 70000", "port", 1, "between 1 and 65535"),
            ("port: http", "port", 1, "integer"),
            ("port: 80.5", "port", 1, "integer"),
            ("\nscan_interval_seconds: 5", "scan_interval_seconds", 2, "at least 10"),
            ("log_level: verbose", "log_level", 1, "trace, debug"),
            ("listen: localhost", "listen", 1, "IPv4 or IPv6 address"),
            ("connect: ''", "connect", 1, "must not be empty"),
            ("root: [a, b]", "root", 1, "must be a string"),
            ("limits:\n  max_body_bytes: -1", "limits.max_body_bytes", 2, "between"),
        ]
        for (text, key, line, fragment) in cases {
            XCTAssertThrowsError(try ServiceConfig.parse(text, file: "c.yaml"), text) { error in
                guard case .invalidValue(_, let k, let l, let message) = error as? ServiceConfigError else {
                    return XCTFail("\(text): \(error)")
                }
                XCTAssertEqual(k, key, text)
                XCTAssertEqual(l, line, text)
                XCTAssertTrue(message.contains(fragment), "\(text): \(message)")
            }
        }
    }

    func testZeroScanIntervalTurnsPeriodicScansOff() throws {
        XCTAssertEqual(try ServiceConfig.parse("scan_interval_seconds: 0").scanIntervalSeconds, 0)
    }

    func testNullOptionalPathsMeanUnset() throws {
        let config = try ServiceConfig.parse("token_file: null\nwaivers: ~\n")
        XCTAssertNil(config.tokenFile)
        XCTAssertNil(config.waiversFile)
    }

    func testDuplicateKeysAreErrors() {
        XCTAssertThrowsError(try ServiceConfig.parse("port: 1\nport: 2\n")) { error in
            guard case .duplicateKey(_, "port", 2)? = error as? ServiceConfigError else { return XCTFail("\(error)") }
        }
    }

    func testNonMappingsAndBadYAMLAreErrors() {
        XCTAssertThrowsError(try ServiceConfig.parse("- port\n")) { error in
            guard case .notAMapping? = error as? ServiceConfigError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try ServiceConfig.parse("limits: 5\n")) { error in
            guard case .notAMapping(_, "limits", 1)? = error as? ServiceConfigError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try ServiceConfig.parse("port: [1\n")) { error in
            guard case .syntax? = error as? ServiceConfigError else { return XCTFail("\(error)") }
        }
    }

    func testLoadReadsAFileAndNamesItInErrors() throws {
        let path = try temporaryFile("port: 8999\n")
        XCTAssertEqual(try ServiceConfig.load(path: path).port, 8999)
        let bad = try temporaryFile("prot: 1\n")
        XCTAssertThrowsError(try ServiceConfig.load(path: bad)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(bad):1:"), "\(error)")
        }
        XCTAssertThrowsError(try ServiceConfig.load(path: "/nonexistent/virtaudit.yaml")) { error in
            guard case .unreadable? = error as? ServiceConfigError else { return XCTFail("\(error)") }
        }
    }

    func testNonLoopbackListenIsRefusedWithoutATokenFile() throws {
        var config = ServiceConfig.default
        config.listen = "0.0.0.0"
        XCTAssertThrowsError(try config.validate()) { error in
            XCTAssertEqual(error as? ServiceConfigError, .remoteWithoutTokens(address: "0.0.0.0", tokenFile: nil))
            let message = "\(error)"
            XCTAssertTrue(message.contains("virtaudit token new"), message)
            XCTAssertTrue(message.contains("listen: 127.0.0.1"), message)
        }
    }

    func testNonLoopbackListenIsRefusedWithAnEmptyTokenFile() throws {
        var config = ServiceConfig.default
        config.listen = "192.0.2.1"
        config.tokenFile = try temporaryFile("# no tokens yet\n")
        XCTAssertThrowsError(try config.validate()) { error in
            XCTAssertEqual(error as? ServiceConfigError, .remoteWithoutTokens(address: "192.0.2.1", tokenFile: config.tokenFile))
        }
    }

    func testNonLoopbackListenIsAllowedWithATokenAndValidateReturnsTheTokens() throws {
        var config = ServiceConfig.default
        config.listen = "::"
        config.tokenFile = try temporaryFile(TokenStore.newToken(role: .read).line + "\n")
        XCTAssertEqual(try config.validate().entries.count, 1)
    }

    func testValidateReportsTokenFileErrors() throws {
        var config = ServiceConfig.default
        config.tokenFile = try temporaryFile("reader sha256:00\n")
        XCTAssertThrowsError(try config.validate()) { error in
            guard case .malformed(_, 1, _)? = error as? TokenFileError else { return XCTFail("\(error)") }
        }
    }

    func testLoopbackDetection() {
        for address in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            XCTAssertTrue(IPAddress.isLoopback(address), address)
        }
        for address in ["0.0.0.0", "::", "192.0.2.1", "128.0.0.1", "::2", "fe80::1", "localhost", ""] {
            XCTAssertFalse(IPAddress.isLoopback(address), address)
        }
    }
}

final class ServiceConfigFilesTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let keys = ["listen", "port", "connect", "root", "policies", "waivers", "scan_interval_seconds",
                       "token_file", "web_dir", "data_dir", "log_level", "limits", "max_connections",
                       "read_timeout_seconds", "write_timeout_seconds", "idle_timeout_seconds", "max_body_bytes",
                       "max_header_bytes"]

    func testPackagedConfigurationParsesToTheBuiltInDefaults() throws {
        let path = Self.repository.appendingPathComponent("packaging/virtaudit.yaml").path
        XCTAssertEqual(try ServiceConfig.load(path: path), .default)
    }

    func testEveryOptionIsDocumentedAndInThePackagedFile() throws {
        let docs = try String(contentsOf: Self.repository.appendingPathComponent("Docs/configuration.md"), encoding: .utf8)
        let packaged = try String(contentsOf: Self.repository.appendingPathComponent("packaging/virtaudit.yaml"), encoding: .utf8)
        for key in Self.keys {
            XCTAssertTrue(docs.contains("`\(key)`"), "Docs/configuration.md lacks \(key)")
            XCTAssertTrue(packaged.contains("\(key):"), "packaging/virtaudit.yaml lacks \(key)")
        }
    }

    func testEveryKnownOptionIsAcceptedAndOthersAreNot() throws {
        // Each key set to a value of the wrong shape must fail as invalid, not as unknown.
        for key in Self.keys where !["limits", "max_connections", "read_timeout_seconds", "write_timeout_seconds",
                                     "idle_timeout_seconds", "max_body_bytes", "max_header_bytes"].contains(key) {
            XCTAssertThrowsError(try ServiceConfig.parse("\(key): [1, 2]\n"), key) { error in
                if case .unknownKey? = error as? ServiceConfigError { XCTFail("\(key) is not known to the parser") }
            }
        }
    }
}

final class ServiceConfigLogLevelTests: XCTestCase {
    func testLogLevelsMapToSwiftLogLevelsOfTheSameName() {
        for level in ServiceConfig.LogLevel.allCases {
            XCTAssertEqual("\(level.loggerLevel)", level.rawValue)
        }
    }
}
