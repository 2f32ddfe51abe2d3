import XCTest
@testable import Core

final class JSONValueTests: XCTestCase {
    func testPathLookupFindsNestedValuesAndListIndexes() {
        let v: JSONValue = ["process": ["uid": 107, "caps": ["CAP_A", "CAP_B"]]]
        XCTAssertEqual(v[path: "process.uid"], .int(107))
        XCTAssertEqual(v[path: "process.caps.1"], .string("CAP_B"))
        XCTAssertNil(v[path: "process.gid"])
        XCTAssertNil(v[path: "process.uid.x"])
    }

    func testSetCreatesIntermediateObjects() {
        var v: JSONValue = [:]
        v.set("a.b.c", to: 1)
        XCTAssertEqual(v[path: "a.b.c"], 1)
    }

    func testWriterSortsKeysAndEscapes() {
        let v: JSONValue = ["b": 1, "a": ["x\"<": .null, "n": 1.5]]
        XCTAssertEqual(JSONWriter.string(v), #"{"a":{"n":1.5,"x\"\u003c":null},"b":1}"#)
    }

    func testWriterOutputParsesBack() throws {
        let v: JSONValue = ["s": "tab\there\u{1}", "l": [true, false, .null, -3, 2.25]]
        let back = try JSONValue(parsing: JSONWriter.data(v, pretty: true))
        XCTAssertEqual(back, v)
    }

    func testUnknownReasonCoversSubpaths() {
        var b = FactBuilder()
        b.set("process.pid", 10)
        b.setUnknown("process.status", reason: "gone")
        let facts = b.facts
        XCTAssertEqual(FactBuilder.reason(for: "process.status.uid", in: facts), "gone")
        XCTAssertNil(FactBuilder.reason(for: "process.pid", in: facts))
    }

    func testHostRootPrefixesPaths() {
        XCTAssertEqual(HostRoot("/").proc("1/status"), "/proc/1/status")
        XCTAssertEqual(HostRoot("/tmp/fx/").sys("kernel/iommu_groups"), "/tmp/fx/sys/kernel/iommu_groups")
        XCTAssertEqual(HostRoot("/tmp/fx").hostView("/tmp/fx/sys/x"), "/sys/x")
    }

    func testFileReaderClassifiesErrors() {
        XCTAssertThrowsError(try FileReader.read("/nonexistent/x")) { e in
            XCTAssertEqual(e as? ProbeError, .notFound(path: "/nonexistent/x"))
        }
        XCTAssertNoThrow(try FileReader.read("/proc/self/status"))
    }

    func testSetLeavesCopiesUntouched() {
        var v: JSONValue = ["process": ["uid": 107, "caps": ["CAP_A"]]]
        let before = v
        v.set("process.uid", to: 0)
        v.set("process.ns.mnt", to: true)
        XCTAssertEqual(before[path: "process.uid"], 107)
        XCTAssertNil(before[path: "process.ns"])
        XCTAssertEqual(v[path: "process.uid"], 0)
        XCTAssertEqual(v[path: "process.ns.mnt"], true)
        XCTAssertEqual(v[path: "process.caps.0"], "CAP_A")
    }

    func testSetSkipsEmptyComponentsAndReplacesNonObjects() {
        var v: JSONValue = ["a": 1]
        v.set("a..b.", to: "x")
        XCTAssertEqual(v, ["a": ["b": "x"]])
        v.set("", to: 5)
        XCTAssertEqual(v, 5)
    }

    func testMergeIsDeepAndRightSideWins() {
        var v: JSONValue = ["process": ["uid": 0, "gid": 0], "x": [1]]
        let before = v
        v.merge(["process": ["uid": 107, "pid": 9], "x": [2]])
        XCTAssertEqual(v, ["process": ["uid": 107, "gid": 0, "pid": 9], "x": [2]])
        XCTAssertEqual(before[path: "process.uid"], 0)
    }

    func testDottedPathsReadAndWriteTheSameKeysAsSplittingOnDots() {
        var v: JSONValue = [:]
        v.set("a.b.c", to: 1)
        v.set("a..b.d", to: 2)          // empty components are skipped when setting
        v.set(".é.ü", to: "x")          // non-ASCII keys
        v.set("list", to: [10, 20, [ "k": true ]])
        XCTAssertEqual(v[path: "a.b.c"], 1)
        XCTAssertEqual(v[path: "a.b.d"], 2)
        XCTAssertEqual(v[path: "é.ü"], "x")
        XCTAssertEqual(v[path: "list.1"], 20)
        XCTAssertEqual(v[path: "list.2.k"], true)
        XCTAssertNil(v[path: "list.3"])
        XCTAssertNil(v[path: "list.x"])
        XCTAssertNil(v[path: "a..b"])   // reading keeps empty components: there is no "" key
        XCTAssertNil(v[path: "a.b.c.d"])
        XCTAssertNil(v[path: "a.b."])
        var e: JSONValue = ["": 5]
        XCTAssertEqual(e[path: ""], 5)
        e.set("", to: 7)                // an empty path replaces the value
        XCTAssertEqual(e, 7)
        XCTAssertEqual(JSONValue.object(["a": ["b": 1]]).setting("a.b", to: 2), ["a": ["b": 2]])
    }
}
