import Core
@testable import HostProbes
import XCTest

final class ProcNetTCPTests: XCTestCase {
    func testAddressesDecodeFromTheKernelsHostOrderHex() {
        let cases: [(String, String?)] = [
            ("0100007F", "127.0.0.1"), ("00000000", "0.0.0.0"), ("0B00000A", "10.0.0.11"),
            ("00000000000000000000000000000000", "::"), ("00000000000000000000000001000000", "::1"),
            ("0000000000000000FFFF00000500000A", "::ffff:10.0.0.5"), ("ZZ", nil), ("0100007", nil),
        ]
        for (hex, want) in cases { XCTAssertEqual(ProcNetTCP.decodeAddress(hex), want, hex) }
    }

    func testOnlyListeningSocketsAreKeptWithPortAndInode() throws {
        let text = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:407D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 1 0000000000000000 100 0 0 10 0
               1: 0B00000A:0016 0100000A:D431 01 00000000:00000000 02:000A8C3E 00000000     0        0 29871 4 0000000000000000 20 4 30 10 -1
            """
        let l = try ProcNetTCP.parse(text, family: "tcp")
        XCTAssertEqual(l, [ProcNetTCP.Listener(family: "tcp", address: "127.0.0.1", port: 16509, inode: 31337, uid: 0)])
        XCTAssertTrue(l[0].loopback)
    }

    func testLoopbackCoversTheWholeRangeAndMappedAddresses() {
        for (a, loop) in [("127.0.0.1", true), ("127.1.2.3", true), ("::1", true), ("::ffff:127.0.0.1", true),
                          ("0.0.0.0", false), ("::", false), ("10.0.0.1", false)] {
            XCTAssertEqual(ProcNetTCP.Listener(family: "tcp", address: a, port: 1, inode: 1, uid: 0).loopback, loop, a)
        }
    }

    func testAMalformedListeningLineIsAParseError() {
        let text = "header\n   0: 0100007F 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 x\n"
        XCTAssertThrowsError(try ProcNetTCP.parse(text, family: "tcp"))
    }

    func testTheFixtureHostsTableGivesTheLibvirtAndSSHListeners() throws {
        let root = HostRoot(HostFixture.fixtures + "/hosts/mgmt-open/root")
        let t = try ProcNetTCP.read(pid: "1200", root: root)
        XCTAssertEqual(Set(t.listeners.map { "\($0.address):\($0.port)" }), ["0.0.0.0:22", "0.0.0.0:16509", ":::22"])
    }
}
