import Core
import Glibc
import XCTest
@testable import Inventory

final class LibvirtConnectionTests: XCTestCase {
    func testDefaultTestDriverListsItsRunningDomain() throws {
        let conn = try LibvirtConnection(uri: "test:///default")
        let domains = try conn.listDomains()
        let test = try XCTUnwrap(domains.first { $0.name == "test" })
        XCTAssertEqual(test.state, "running")
        XCTAssertNotNil(test.id)
        XCTAssertTrue(test.isActive)
        XCTAssertEqual(test.uuid, "6695eb01-f6a4-8304-79aa-97f2502e193f")
        XCTAssertTrue(test.xml.hasPrefix("<domain type='test'"))
        XCTAssertEqual(try DomainXML.parse(test.xml).name, "test")
    }

    func testNodeFileListsActiveAndInactiveDomainsWithStates() throws {
        let conn = try LibvirtConnection(uri: Fixture.nodeURI)
        let byName = Dictionary(uniqueKeysWithValues: try conn.listDomains().map { ($0.name, $0) })
        XCTAssertEqual(Set(byName.keys), ["web-kvm", "legacy-qemu", "conf-kvm", "paused-qemu"])

        XCTAssertEqual(byName["web-kvm"]?.state, "running")
        XCTAssertEqual(byName["paused-qemu"]?.state, "paused")
        XCTAssertNotNil(byName["paused-qemu"]?.id, "a paused domain is still active")

        let off = try XCTUnwrap(byName["conf-kvm"])
        XCTAssertEqual(off.state, "shutoff")
        XCTAssertNil(off.id)
        XCTAssertFalse(off.isActive)
        XCTAssertEqual(off.persistent, true)
        XCTAssertEqual(off.autostart, false)
        XCTAssertEqual(off.uuid, "5a1c3e9e-2b7f-4d0a-9c41-0e6f1b2a3c03")
        XCTAssertTrue(off.problems.isEmpty)
        XCTAssertEqual(try DomainXML.parse(off.xml).launchSecurity?.type, "sev")
    }

    func testDomainByUUIDFindsOneAndNilForUnknown() throws {
        let conn = try LibvirtConnection(uri: Fixture.nodeURI)
        let legacy = try XCTUnwrap(try conn.domain(uuid: "5A1C3E9E-2B7F-4D0A-9C41-0E6F1B2A3C02"))
        XCTAssertEqual(legacy.name, "legacy-qemu")
        XCTAssertEqual(legacy.uuid, "5a1c3e9e-2b7f-4d0a-9c41-0e6f1b2a3c02")
        XCTAssertNil(try conn.domain(uuid: "00000000-0000-4000-8000-000000000000"))
    }

    func testHostInfoDecodesVersionsAndNamesTheDriver() throws {
        let info = try LibvirtConnection(uri: "test:///default").hostInfo()
        XCTAssertEqual(info.driver, "TEST")
        XCTAssertEqual(info.uri, "test:///default")
        XCTAssertTrue(info.problems.isEmpty, "\(info.problems)")
        // The library version the test driver reports is the linked libvirt's own.
        let pkg = try String(contentsOfFile: "/usr/include/libvirt/libvirt-common.h", encoding: .utf8)
        let packed = pkg.firstMatch(of: /LIBVIR_VERSION_NUMBER (\d+)/).map { Int($0.1)! }
        if let packed {
            XCTAssertEqual(info.libvirtVersion, LibvirtHostInfo.versionString(UInt(packed)))
        }
        XCTAssertNotNil(info.hypervisorVersion?.wholeMatch(of: /\d+\.\d+\.\d+/))
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, 255)
        XCTAssertEqual(info.hostname, String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    func testUnreachableURIThrowsConnectWithLibvirtsMessage() {
        XCTAssertThrowsError(try LibvirtConnection(uri: "test:///nonexistent/node.xml")) { error in
            guard case InventoryError.connect(let uri, let message)? = error as? InventoryError else {
                return XCTFail("expected .connect, got \(error)")
            }
            XCTAssertEqual(uri, "test:///nonexistent/node.xml")
            XCTAssertTrue(message.contains("/nonexistent/node.xml"), message)
        }
    }

    func testLibvirtErrorsPrintNothingOnStderr() throws {
        let conn = try LibvirtConnection(uri: "test:///default")
        let captured = try captureStderr {
            // Each of these raises a libvirt error that the default handler would print.
            _ = try? LibvirtConnection(uri: "bogus-driver:///system")
            XCTAssertNil(try? conn.domain(uuid: "00000000-0000-4000-8000-000000000000"))
            XCTAssertThrowsError(try conn.domain(uuid: "not-a-uuid"))
        }
        XCTAssertEqual(captured, "", "libvirt printed to stderr")
    }

    func testClosedConnectionIsNotAliveAndThrowsLost() throws {
        let conn = try LibvirtConnection(uri: "test:///default")
        XCTAssertTrue(conn.isAlive)
        conn.close()
        XCTAssertFalse(conn.isAlive)
        XCTAssertThrowsError(try conn.listDomains()) { error in
            guard case InventoryError.lost? = error as? InventoryError else { return XCTFail("expected .lost, got \(error)") }
        }
    }

    func testConcurrentListingsOnOneConnectionAgree() async throws {
        let conn = try LibvirtConnection(uri: Fixture.nodeURI)
        let expected = try conn.listDomains()
        let results = try await withThrowingTaskGroup(of: [DomainRecord].self) { group in
            for _ in 0..<8 { group.addTask { try conn.listDomains() } }
            var all: [[DomainRecord]] = []
            for try await r in group { all.append(r) }
            return all
        }
        XCTAssertEqual(results.count, 8)
        for r in results { XCTAssertEqual(r, expected) }
    }

    /// Runs `body` with fd 2 redirected to a pipe and returns what was written.
    private func captureStderr(_ body: () throws -> Void) throws -> String {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let saved = dup(2)
        dup2(fds[1], 2)
        close(fds[1])
        defer { dup2(saved, 2); close(saved) }
        try body()
        dup2(saved, 2)
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        let flags = fcntl(fds[0], F_GETFL)
        _ = fcntl(fds[0], F_SETFL, flags | O_NONBLOCK)
        while true {
            let n = read(fds[0], &buf, buf.count)
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        close(fds[0])
        return String(decoding: out, as: UTF8.self)
    }
}

/// libvirt requires SIGPIPE to be ignored: a write to a connection whose daemon went away would
/// otherwise kill the process.
final class LibvirtSignalTests: XCTestCase {
    func testOpeningAConnectionIgnoresSIGPIPE() throws {
        let conn = try LibvirtConnection(uri: "test:///default")
        defer { conn.close() }
        let previous = signal(SIGPIPE, SIG_IGN)
        XCTAssertEqual(unsafeBitCast(previous, to: Int.self), unsafeBitCast(SIG_IGN, to: Int.self),
                       "SIGPIPE must be ignored once a libvirt connection is open")
    }
}
