import Core
@testable import Devices
import Foundation
import XCTest

final class IOMMUListingResultTests: XCTestCase {
    func text(_ name: String) throws -> String {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: Fixture.listing(name)))
        return String(decoding: data, as: UTF8.self)
    }

    func testUnrecognisedInputIsAnErrorNamingTheFileAndFirstLine() throws {
        let table: [(String, String)] = [
            ("empty.txt", "empty.txt: no IOMMU listing recognised: the input is empty"),
            ("domain-xml.txt", "domain-xml.txt: no IOMMU listing recognised; line 1 could not be placed: <domain type='kvm'>"),
        ]
        for (name, message) in table {
            XCTAssertThrowsError(try IOMMUReport.listing(files: [Fixture.listing(name)])) { e in
                XCTAssertEqual("\(e)", Fixture.listing(name).replacingOccurrences(of: name, with: "") + message)
            }
            XCTAssertFalse(IOMMUListing.recognises(try text(name)))
            XCTAssertEqual(IOMMUListing.confidence(try text(name)), 0)
        }
        let garbage = IOMMUListing.parse(try text("garbage.bin"), file: "garbage.bin")
        XCTAssertFalse(garbage.recognised)
        XCTAssertTrue(garbage.unrecognisedMessage.hasPrefix("garbage.bin: no IOMMU listing recognised; line 1 could not be placed: "))
        XCTAssertFalse(garbage.unrecognisedMessage.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0xFFFD })
    }

    func testPartlyRecognisedInputWarnsWithTheIgnoredLinesAndCarriesThemInJSON() throws {
        let r = IOMMUListing.parse(try text("chatter-and-lspci.txt"), file: "post.txt")
        XCTAssertEqual(r.warning, """
            post.txt: 2 line(s) ignored:
              line 1: Hi all, my VM won't start with the GPU passed through. Here's what I have:
              line 13: Any idea what I'm doing wrong? Thanks!
            """)
        XCTAssertEqual(r.confidence, 8.0 / 10.0, accuracy: 0.001)
        var l = IOMMUListing()
        l.add(r)
        let ignored = try XCTUnwrap(l.json["ignored"]?.arrayValue)
        XCTAssertEqual(ignored.map { $0["line"]?.intValue }, [1, 13])
        XCTAssertEqual(ignored.first?["file"], "post.txt")
        XCTAssertEqual(l.json["recognised"], ["lspci"])
        XCTAssertEqual(IOMMUReport.warnings(l), [r.warning!])
    }

    func testAFullyRecognisedListingHasConfidenceOneAndNoWarning() throws {
        let r = IOMMUListing.parse(try text("viewer-group-driver.txt"), file: "v")
        XCTAssertNil(r.warning)
        XCTAssertEqual(r.confidence, 1)
    }

    func testOnlyTheFirstThousandIgnoredLinesAreKeptButAllCounted() {
        let noise = (0..<1500).map { "noise line \($0)" }.joined(separator: "\n")
        let r = IOMMUListing.parse(noise + "\n01:00.0 0300: 10de:1b81 (rev a1)\n", file: "n")
        XCTAssertTrue(r.recognised)
        XCTAssertEqual(r.ignoredCount, 1500)
        XCTAssertEqual(r.ignored.count, IOMMUListing.ignoredLimit)
        XCTAssertTrue(r.warning!.hasSuffix("... and 1490 more"))
    }

    /// Random bytes, random lines and truncations of every fixture: no crash, and never an
    /// empty success (a result is either unrecognised, or has devices).
    func testFuzzedInputNeverCrashesNorYieldsAnEmptySuccess() throws {
        var rng = SplitMix(seed: 15)
        let names = try FileManager.default.contentsOfDirectory(atPath: Fixture.listing(""))
            .filter { !$0.hasPrefix(".") }.sorted()
        var texts = try names.map { try text($0) }
        let alphabet = Array("0123456789abcdef:. \t\n[]/-IOMMUGroupDriver>kernel:pci<>'=\r\u{0}\u{7f}é")
        var runs = 0, recognised = 0
        func check(_ t: String) {
            let r = IOMMUListing.parse(t, file: "fuzz")
            runs += 1
            if r.recognised {
                recognised += 1
                XCTAssertFalse(r.entries.isEmpty)
                XCTAssertTrue(r.entries.allSatisfy { PCIAddress.normalize($0.address) == $0.address })
            } else {
                XCTAssertTrue(r.unrecognisedMessage.contains("no IOMMU listing recognised"))
            }
            var l = IOMMUListing()
            l.add(r)
            _ = l.groups
            _ = IOMMUReport.render(listing: l, format: .json)
        }
        // Truncations of every fixture at random byte offsets (also mid-UTF-8).
        for t in texts {
            let bytes = Array(t.utf8)
            for _ in 0..<20 where !bytes.isEmpty {
                check(String(decoding: bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1))), as: UTF8.self))
            }
        }
        // Random bytes and random listing-like characters.
        for _ in 0..<300 {
            let n = Int(rng.next() % 600)
            check(String(decoding: (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, as: UTF8.self))
            check(String((0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }))
        }
        // Lines of the fixtures shuffled together.
        texts = texts.map { $0 }
        let lines = texts.flatMap { $0.split(separator: "\n").map(String.init) }
        for _ in 0..<200 {
            check((0..<Int(rng.next() % 40)).map { _ in lines[Int(rng.next() % UInt64(lines.count))] }.joined(separator: "\n"))
        }
        // A huge single line (a find output without newlines, 20,000 links).
        check((0..<20000).map { "/sys/kernel/iommu_groups/\($0 % 90)/devices/0000:\(String(format: "%02x", $0 % 256)):00.0" }.joined())
        print("fuzz: \(runs) inputs, \(recognised) recognised, \(runs - recognised) unrecognised errors, 0 crashes, 0 empty successes")
        XCTAssertGreaterThan(recognised, 0)
        XCTAssertGreaterThan(runs - recognised, 0)
    }
}

/// A small deterministic generator (SplitMix64) so a fuzz failure replays.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
