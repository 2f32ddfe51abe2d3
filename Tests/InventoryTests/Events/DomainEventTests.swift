import XCTest
@testable import Inventory

final class DomainEventTests: XCTestCase {
    func testLifecycleCodesDecodeToLibvirtsNames() {
        let table: [(event: Int, detail: Int, kind: DomainEventKind, name: String)] = [
            (0, 0, .defined, "added"),
            (0, 1, .defined, "updated"),
            (0, 2, .defined, "renamed"),
            (1, 0, .undefined, "removed"),
            (2, 0, .started, "booted"),
            (2, 1, .started, "migrated"),
            (2, 4, .started, "wakeup"),
            (3, 0, .suspended, "paused"),
            (3, 2, .suspended, "ioerror"),
            (3, 8, .suspended, "postcopy-failed"),
            (4, 0, .resumed, "unpaused"),
            (4, 4, .resumed, "postcopy-failed"),
            (5, 0, .stopped, "shutdown"),
            (5, 1, .stopped, "destroyed"),
            (5, 2, .stopped, "crashed"),
            (5, 5, .stopped, "failed"),
            (5, 6, .stopped, "from-snapshot"),
            (6, 0, .shutdown, "finished"),
            (6, 2, .shutdown, "host"),
            (7, 0, .pmsuspended, "memory"),
            (7, 1, .pmsuspended, "disk"),
            (8, 0, .crashed, "panicked"),
            (8, 1, .crashed, "crashloaded"),
        ]
        for row in table {
            let decoded = DomainEventCodes.lifecycle(event: row.event, detail: row.detail)
            XCTAssertEqual(decoded.kind, row.kind, "event \(row.event)")
            XCTAssertEqual(decoded.detail, row.name, "event \(row.event) detail \(row.detail)")
        }
    }

    func testUnknownLifecycleCodesKeepTheirNumbers() {
        XCTAssertEqual(DomainEventCodes.lifecycle(event: 42, detail: 3).kind, .unknown)
        XCTAssertEqual(DomainEventCodes.lifecycle(event: 42, detail: 3).detail, "event 42 detail 3")
        XCTAssertEqual(DomainEventCodes.lifecycle(event: 2, detail: 17).kind, .started)
        XCTAssertEqual(DomainEventCodes.lifecycle(event: 2, detail: 17).detail, "detail 17")
        XCTAssertEqual(DomainEventCodes.lifecycle(event: -1, detail: 0).kind, .unknown)
        XCTAssertEqual(DomainEventCodes.lifecycle(event: 8, detail: -1).detail, "detail -1")
    }

    func testMetadataAndCloseReasonsAreNamed() {
        XCTAssertEqual(DomainEventCodes.metadata(type: 0, namespaceURI: nil), "description")
        XCTAssertEqual(DomainEventCodes.metadata(type: 1, namespaceURI: nil), "title")
        XCTAssertEqual(DomainEventCodes.metadata(type: 2, namespaceURI: "https://example.org/audit/1"),
                       "element https://example.org/audit/1")
        XCTAssertEqual(DomainEventCodes.metadata(type: 9, namespaceURI: nil), "type 9")
        XCTAssertTrue(DomainEventCodes.closeReason(1).contains("end of file"))
        XCTAssertTrue(DomainEventCodes.closeReason(2).contains("keepalive"))
        XCTAssertTrue(DomainEventCodes.closeReason(77).contains("77"))
    }

    func testOnlyLifecycleKindsAreLifecycle() {
        let lifecycle = DomainEventKind.allCases.filter(\.isLifecycle)
        XCTAssertEqual(Set(lifecycle), [.defined, .undefined, .started, .suspended, .resumed, .stopped, .shutdown,
                                        .pmsuspended, .crashed, .unknown])
        XCTAssertEqual(DomainEventKind.deviceAdded.rawValue, "device-added")
        XCTAssertEqual(DomainEventKind.metadataChanged.rawValue, "metadata-changed")
    }
}
