@testable import Audit
import Core
import Foundation
import XCTest

/// Random, truncated and mutated input never crashes the detector or the check, and never gives
/// an empty success: either a clear error naming file and line, or something was audited.
final class CheckFuzzTests: XCTestCase {
    /// Deterministic generator (SplitMix64) so a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D4_9BB1_3311_49EB
            return z ^ (z >> 31)
        }
    }

    static let fixtures = ["live-va-confined.xml", "inactive-va-confined.xml", "status-va-confined.xml", "template-gpu.xml",
                           "nodedev-pci.xml", "nodedev-gpu.xml", "qemu-va-confined.cmdline", "qemu-va-confined.log",
                           "vfio-guest.args", "ps-eZ.txt", "ps-auxZ.txt", "ps-ef-line.txt", "ps-eZ-selinux.txt",
                           "dominfo-va-confined.txt", "dominfo-selinux.txt", "status-va-rootdac.txt",
                           "status-partial-root.txt", "iommu-groups-gpu.txt", "lspci-k-gpu.txt",
                           "ps-auxZ-apparmor.txt", "dominfo-apparmor.txt", "ps-aux-line.txt"]

    /// The invariant: an error names the file and a line inside it; a success audited something.
    func assertSound(_ a: CheckArtifact, _ what: @autoclosure () -> String, full: Bool) {
        let lines = a.bytes.split(separator: 0x0a, omittingEmptySubsequences: false).count
        if full {
            switch OfflineCheck.run([a], auditor: CheckFixtures.auditor) {
            case .failure(let e):
                XCTAssertEqual(e.file, a.name)
                XCTAssertTrue(e.line >= 1 && e.line <= max(1, lines), "\(what()): line \(e.line) of \(lines)")
            case .success(let r):
                let devices = r.iommu?["devices"]?.arrayValue?.count ?? 0
                XCTAssertTrue(!r.targets.isEmpty || devices > 0, "\(what()): empty success")
                for t in r.targets { XCTAssertFalse(t.findings.isEmpty, "\(what()): target \(t.name) judged by no rule") }
            }
        } else {
            switch ArtifactDetector.detect(a) {
            case .failure(let e):
                XCTAssertTrue(e.line >= 1 && e.line <= max(1, lines), "\(what()): line \(e.line) of \(lines)")
            case .success(let d):
                switch d.content {
                case .domains(let x): XCTAssertFalse(x.isEmpty, what())
                case .nodeDevices(let x): XCTAssertFalse(x.isEmpty, what())
                case .qemu(let x): XCTAssertFalse(x.isEmpty, what())
                case .processes(let x): XCTAssertFalse(x.isEmpty, what())
                case .listing(let l): XCTAssertFalse(l.entries.isEmpty, what())
                }
            }
        }
    }

    func testRandomBytesAndTokenSoup() {
        var rng = SplitMix(state: 0x15C0FFEE)
        let tokens = ["<domain type='kvm'>", "</domain>", "<name>x</name>", "<domstatus pid='7'>", "<device>", "<capability type='pci'>",
                      "IOMMU Group 3 ", "06:00.0 ", "0000:00:1f.3", "Kernel driver in use: vfio-pci", "Uid:\t0\t0\t0\t0", "CapEff:\t",
                      "qemu-system-x86_64 ", "-device ", "{\"driver\":\"vfio-pci\",\"host\":\"06:00.0\"}", "-vnc :0 ", "LABEL PID TTY TIME CMD",
                      "Security label: ", "Name: ", " \\\n", "\n", "\t", "'", "\"", "\u{0}", "<", ">", "=", ",", "é", "\u{FFFD}"]
        var runs = 0
        for i in 0..<1500 {
            let bytes: [UInt8]
            if i % 2 == 0 {
                bytes = (0..<Int.random(in: 0...2048, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                var s = ""
                for _ in 0..<Int.random(in: 0...120, using: &rng) { s += tokens.randomElement(using: &rng)! }
                bytes = Array(s.utf8)
            }
            assertSound(CheckArtifact(name: "fuzz-\(i)", bytes: bytes), "random input \(i)", full: i % 10 == 1)
            runs += 1
        }
        XCTAssertEqual(runs, 1500)
    }

    func testTruncatedAndMutatedFixtures() throws {
        var rng = SplitMix(state: 0xA11CE)
        var runs = 0
        for name in Self.fixtures {
            let full = try CheckFixtures.artifact(name).bytes
            // 24 cut points spread over the file, plus the very first bytes.
            var cuts = Set((1...24).map { full.count * $0 / 25 })
            cuts.formUnion([0, 1, 2, 7])
            for cut in cuts.sorted() where cut < full.count {
                assertSound(CheckArtifact(name: name, bytes: Array(full.prefix(cut))), "\(name) cut at \(cut)", full: true)
                runs += 1
            }
            for m in 0..<10 {
                var b = full
                for _ in 0..<4 { b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                assertSound(CheckArtifact(name: name, bytes: b), "\(name) mutation \(m)", full: true)
                runs += 1
            }
        }
        XCTAssertGreaterThan(runs, 500)
    }

    /// At the nesting limit the tree is built and torn down on a thread with a small stack (the
    /// service parses on worker threads).
    func testNestingAtTheLimitOnASmallStack() {
        let depth = 1020
        let xml = "<domain type='kvm'><name>deep</name><devices><disk type='file'>" + String(repeating: "<backingStore type='file'>", count: depth)
            + String(repeating: "</backingStore>", count: depth) + "<target dev='vda'/></disk></devices></domain>"
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var kind: ArtifactKind?
        let t = Thread {
            if case .success(let d) = ArtifactDetector.detect(CheckArtifact(name: "deep.xml", bytes: Array(xml.utf8))) { kind = d.kind }
            done.signal()
        }
        t.stackSize = 512 << 10
        t.start()
        done.wait()
        XCTAssertEqual(kind, .domainXML)
    }

    func testDeepNestingAndHugeInput() {
        let deep = String(repeating: "<domain>", count: 50_000) + String(repeating: "</domain>", count: 50_000)
        assertSound(CheckArtifact(name: "deep.xml", bytes: Array(deep.utf8)), "deep nesting", full: true)
        let huge = [UInt8](repeating: UInt8(ascii: "a"), count: ArtifactDetector.maxBytes + 1)
        guard case .failure(let e) = ArtifactDetector.detect(CheckArtifact(name: "huge", bytes: huge)) else {
            return XCTFail("a file over the limit was read")
        }
        XCTAssertTrue(e.reason.contains("larger than"))
        let manyLines = String(repeating: "IOMMU Group 1 00:02.0 VGA compatible controller [0300]: x [8086:3e92]\n", count: 20_000)
        assertSound(CheckArtifact(name: "long.txt", bytes: Array(manyLines.utf8)), "long listing", full: false)
    }
}
