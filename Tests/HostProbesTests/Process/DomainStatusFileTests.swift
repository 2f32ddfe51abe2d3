import Core
import XCTest
@testable import HostProbes

final class DomainStatusFileTests: XCTestCase {
    private let root = ProcFixture.root("proc-locator-run")

    func testRealStatusFileGivesThePid() throws {
        XCTAssertEqual(try DomainStatusFile.readPid(DomainStatusFile.path(domain: "va-rootdac", root: root)), 3620)
        XCTAssertEqual(try DomainStatusFile.readPid(DomainStatusFile.path(domain: "fallback", root: root)), 7001)
    }

    func testStatusFileCutShortIsRefusedEvenThoughThePidWasRead() {
        let path = DomainStatusFile.path(domain: "brokenstatus", root: root)
        XCTAssertThrowsError(try DomainStatusFile.readPid(path)) { error in
            guard case ProbeError.parse(let p, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(p, path)
            XCTAssertTrue(reason.hasPrefix("not well-formed XML (line "), reason)
        }
    }

    func testRootElementAndPidAttributeAreChecked() {
        XCTAssertEqual(try DomainStatusFile.parsePid(Array("<domstatus state='running' pid='42'><domain/></domstatus>".utf8)), 42)
        let cases: [(String, String)] = [
            ("<domstatus state='running'/>", "<domstatus> has no pid attribute"),
            ("<domstatus pid='x'/>", "<domstatus pid='x'> is not a pid"),
            ("<domstatus pid='-3'/>", "<domstatus pid='-3'> is not a pid"),
            ("<domstatus pid='99999999999'/>", "<domstatus pid='99999999999'> is not a pid"),
            ("<domain pid='42'/>", "root element is <domain>, not <domstatus>"),
        ]
        for (xml, reason) in cases {
            XCTAssertThrowsError(try DomainStatusFile.parsePid(Array(xml.utf8), path: "s.xml"), xml) { error in
                XCTAssertEqual(error as? ProbeError, .parse(path: "s.xml", reason: reason))
            }
        }
        for garbage in ["", "not xml", "<domstatus pid='1'>", "\u{0}\u{1}\u{2}"] {
            XCTAssertThrowsError(try DomainStatusFile.parsePid(Array(garbage.utf8)), garbage.debugDescription) { error in
                guard case ProbeError.parse = error else { return XCTFail("\(error)") }
            }
        }
    }
}
