@testable import Audit
import Core
import XCTest

/// Every input kind is recognised by content (the file names here say nothing to the detector),
/// and input it cannot place is an error naming the file and the first line it could not place.
final class ArtifactDetectorTests: XCTestCase {
    func testEveryFixtureIsRecognisedByContent() throws {
        let table: [(file: String, kind: ArtifactKind, format: String)] = [
            ("live-va-confined.xml", .domainXML, "virsh dumpxml (live)"),
            ("inactive-va-confined.xml", .domainXML, "virsh dumpxml --inactive / domain config"),
            ("status-va-confined.xml", .domainStatusXML, "libvirt status XML (<domstatus>)"),
            ("template-gpu.xml", .domainXML, "virsh dumpxml --inactive / domain config, 2 domains"),
            ("nodedev-pci.xml", .nodeDeviceXML, "virsh nodedev-dumpxml"),
            ("qemu-va-confined.cmdline", .qemuCommandLine, "/proc/<pid>/cmdline"),
            ("qemu-va-confined.log", .qemuCommandLine, "libvirt qemu log"),
            ("vfio-guest.args", .qemuCommandLine, "libvirt .args"),
            ("ps-eZ.txt", .processSample, "ps -eZ"),
            ("ps-eZ-selinux.txt", .processSample, "ps -eZ"),
            ("ps-auxZ.txt", .processSample, "ps auxZ"),
            ("ps-auxZ-apparmor.txt", .processSample, "ps auxZ"),
            ("dominfo-apparmor.txt", .processSample, "virsh dominfo"),
            ("nodedev-gpu.xml", .nodeDeviceXML, "virsh nodedev-dumpxml"),
            ("ps-ef-line.txt", .processSample, "ps"),
            ("ps-aux-line.txt", .qemuCommandLine, "ps line"),
            ("dominfo-va-confined.txt", .processSample, "virsh dominfo"),
            ("dominfo-selinux.txt", .processSample, "virsh dominfo"),
            ("status-va-rootdac.txt", .processSample, "/proc/<pid>/status"),
            ("status-partial-root.txt", .processSample, "/proc/<pid>/status"),
            ("iommu-groups-gpu.txt", .iommuListing, "IOMMU listing"),
            ("lspci-k-gpu.txt", .iommuListing, "IOMMU listing"),
        ]
        for row in table {
            // The same bytes under a meaningless name: detection must not look at the name.
            var a = try CheckFixtures.artifact(row.file)
            a.name = "upload-\(row.file.count).bin"
            switch ArtifactDetector.detect(a) {
            case .success(let d):
                XCTAssertEqual(d.kind, row.kind, row.file)
                XCTAssertEqual(d.format, row.format, row.file)
            case .failure(let e):
                XCTFail("\(row.file): \(e)")
            }
        }
    }

    func testUnusableInputNamesFileAndFirstUnplacedLine() {
        let table: [(text: String, line: Int, contains: String)] = [
            ("", 1, "empty"),
            ("  \n\n\t\n", 1, "empty"),
            ("hello world\nthis is not an artifact\n", 1, "unrecognised input"),
            ("\n\n# notes\nsee ticket 42\n", 3, "unrecognised input"),
            ("<foo><bar/></foo>\n", 1, "<foo>"),
            ("<domain type='kvm'>\n  <name>x</name>\n  <devices>\n</domain>\n", 4, "not well-formed"),
            ("<html>\n<body>404</body>\n</html>\n", 1, "<html>"),
            ("LABEL PID TTY TIME CMD\n- 1 ? 00:00:01 init\n- 2 ? 00:00:00 kthreadd\n", 1, "no qemu process"),
            ("/bin/bash\u{0}-c\u{0}true\u{0}", 1, "not a qemu system emulator"),
            ("{\"domains\": []}\n", 1, "unrecognised input"),
            ("<domain type='kvm'><name>ok</name></domain>\n<domain type='kvm'>\n  <uuid>x</uuid>\n</domain>\n", 2, "lacks <name>"),
            ("<domain>\n  <name>x</name>\n</domain>\n", 1, "lacks the type attribute"),
            ("<domain type='kvm'>\n  <name>x</name>\n  <memory>lots</memory>\n</domain>\n", 1, "unreadable <memory>"),
        ]
        for row in table {
            let a = CheckArtifact(name: "in.txt", bytes: Array(row.text.utf8))
            switch ArtifactDetector.detect(a) {
            case .success(let d): XCTFail("\(row.text.debugDescription) was taken as \(d.kind)")
            case .failure(let e):
                XCTAssertEqual(e.file, "in.txt")
                XCTAssertEqual(e.line, row.line, row.text.debugDescription)
                XCTAssertTrue(e.description.contains(row.contains), "\(e) lacks \(row.contains)")
            }
        }
    }

    func testPartlyRecognisedInputListsIgnoredLines() throws {
        let text = """
            Uid:\t0\t0\t0\t0
            some pasted chat text
            CapEff:\t0000000000000000
            -- end of paste --
            """
        guard case .success(let d) = ArtifactDetector.detect(CheckArtifact(name: "t", bytes: Array(text.utf8))) else {
            return XCTFail("not recognised")
        }
        XCTAssertEqual(d.kind, .processSample)
        XCTAssertEqual(d.ignored, [IgnoredLine(line: 2, text: "some pasted chat text"), IgnoredLine(line: 4, text: "-- end of paste --")])
    }

    func testQemuLogReadsEnvironmentPrefixAndVersion() throws {
        guard case .success(let d) = ArtifactDetector.detect(try CheckFixtures.artifact("qemu-va-confined.log")),
              case .qemu(let qs) = d.content, let q = qs.last else { return XCTFail("not a qemu log") }
        XCTAssertEqual(q.arguments.first, "/usr/bin/qemu-system-x86_64")
        XCTAssertTrue(q.environment.contains("LC_ALL=C"), "\(q.environment)")
        XCTAssertEqual(q.qemuVersion?.hasPrefix("7.2"), true, q.qemuVersion ?? "nil")
        XCTAssertTrue(q.arguments.contains("-uuid"))
        XCTAssertEqual(d.ignored, [], "every line of a libvirt log is placed")
    }

    func testDeviceOptionsInJSONAndKeyvalWithShortAddresses() throws {
        guard case .success(let d) = ArtifactDetector.detect(try CheckFixtures.artifact("vfio-guest.args")),
              case .qemu(let qs) = d.content, let q = qs.first else { return XCTFail("not a command line") }
        XCTAssertEqual(q.vfioHosts, ["0000:06:00.0", "0000:06:00.1"])
        XCTAssertEqual(q.graphics.map(\.type), ["vnc", "spice"])
        XCTAssertEqual(q.graphics.map(\.nonLoopback), [true, true])
        XCTAssertEqual(q.overcommit["mem-lock"], "on")
        XCTAssertEqual(q.memoryBackends.first?["mem-path"], "/dev/shm/vfio-guest")
        XCTAssertEqual(q.memoryBackends.first?["share"], "on")
        XCTAssertEqual(q.line(of: ["-sandbox"]), 17)
        XCTAssertEqual(q.line(of: ["-vnc"]), 15)
    }

    func testDisplayListenAddresses() {
        let table: [(args: [String], listen: [String?], nonLoopback: [Bool?])] = [
            (["-vnc", ":0"], ["0.0.0.0"], [true]),
            (["-vnc", "127.0.0.1:1,password=on"], ["127.0.0.1"], [false]),
            (["-vnc", "unix:/run/vnc.sock"], ["/run/vnc.sock"], [false]),
            (["-vnc", "none"], [], []),
            (["-vnc", "[::1]:2"], ["::1"], [false]),
            (["-vnc", "[::ffff:127.0.0.1]:3"], ["::ffff:127.0.0.1"], [false]),
            (["-vnc", "127.evil.example:4"], ["127.evil.example"], [true]),
            (["-vnc", "localhost:5"], ["localhost"], [false]),
            (["-spice", "port=5900"], ["0.0.0.0"], [true]),
            (["-spice", "port=5900,addr=127.0.0.1"], ["127.0.0.1"], [false]),
            (["-spice", "unix=on,addr=/run/spice.sock"], ["/run/spice.sock"], [false]),
        ]
        for row in table {
            let q = QemuInvocation(arguments: ["qemu-system-x86_64"] + row.args, environment: [], line: 1, qemuVersion: nil, pid: nil)
            XCTAssertEqual(q.graphics.map(\.listen), row.listen, "\(row.args)")
            XCTAssertEqual(q.graphics.map(\.nonLoopback), row.nonLoopback, "\(row.args)")
        }
    }

    func testShortAndFullPCIAddresses() {
        let table: [(String, String?)] = [
            ("06:12.1", "0000:06:12.1"), ("0000:06:12.1", "0000:06:12.1"), ("0001:AF:1F.7", "0001:af:1f.7"),
            ("06:12.8", nil), ("06:20.0", nil), ("x", nil), ("06:12", nil), ("1:2:3:4.0", nil),
        ]
        for (input, want) in table { XCTAssertEqual(QemuInvocation.pciAddress(input), want, input) }
    }
}
