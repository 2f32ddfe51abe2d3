import Foundation
import XCTest
@testable import Inventory

final class LibvirtEventLoopTests: XCTestCase {
    /// `release()` returns only once the loop thread has left `virEventRunDefaultImpl`, so a
    /// wake-up that did not work would hang this test instead of passing it.
    func testLastReleaseStopsTheLoopThreadAndItCanStartAgain() throws {
        let loop = LibvirtEventLoop.shared
        XCTAssertFalse(loop.isRunning, "another test left the loop running")
        try loop.retain()
        try loop.retain()
        XCTAssertTrue(loop.isRunning)
        loop.release()
        XCTAssertTrue(loop.isRunning, "one holder left: the loop keeps running")
        loop.release()
        XCTAssertFalse(loop.isRunning)

        // A second run starts a fresh thread that is woken and stopped the same way.
        try loop.retain()
        XCTAssertTrue(loop.isRunning)
        loop.release()
        XCTAssertFalse(loop.isRunning)
    }

    func testExtraReleaseIsHarmless() throws {
        let loop = LibvirtEventLoop.shared
        loop.release()
        loop.release()
        try loop.retain()
        XCTAssertTrue(loop.isRunning)
        loop.release()
        XCTAssertFalse(loop.isRunning)
    }

    func testRegistrationIsIdempotent() throws {
        try LibvirtEventLoop.register()
        try DomainEventMonitor.registerEventImplementation()
        try DomainEventMonitor.registerEventImplementation()
        XCTAssertFalse(LibvirtEventLoop.shared.isRunning, "registering does not start the loop thread")
    }
}
