import CLibvirt
import Core
import Foundation
import Glibc
import XCTest
@testable import Inventory

final class DomainEventMonitorTests: XCTestCase {
    override func tearDown() {
        // Every test stops its monitors; a leak here would show as a loop still running.
        XCTAssertFalse(LibvirtEventLoop.shared.isRunning, "a monitor was left running")
        super.tearDown()
    }

    // MARK: - test:///default (in-process driver, shared by every connection in the process)

    func testTestDriverDeliversLifecycleAndMetadataEventsToTheReadOnlyMonitor() throws {
        let recorder = EventRecorder()
        let monitor = DomainEventMonitor(uri: "test:///default", onEvent: recorder.onEvent,
                                         onStateChange: recorder.onStateChange)
        try monitor.start()
        defer { monitor.stop() }
        XCTAssertTrue(recorder.waitForConnected(), "states: \(recorder.allStates)")
        XCTAssertEqual(monitor.state, .connected)

        // A second, read-write open of test:///default reaches the same driver instance as the
        // monitor's read-only one: that is what makes its events visible to the monitor.
        let rw = try XCTUnwrap(virConnectOpen("test:///default"))
        defer { virConnectClose(rw) }
        let name = "va-events-" + randomSuffix()
        let uuid = UUID().uuidString.lowercased()
        let xml = "<domain type='test'><name>\(name)</name><uuid>\(uuid.uppercased())</uuid>"
            + "<memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>"
        let dom = try XCTUnwrap(virDomainDefineXML(rw, xml))
        defer {
            // Cleans up after a failed step; after a passing run the domain is already gone.
            if virDomainIsActive(dom) == 1 { virDomainDestroy(dom) }
            if virDomainIsPersistent(dom) == 1 { virDomainUndefine(dom) }
            virDomainFree(dom)
        }

        XCTAssertEqual(virDomainCreate(dom), 0)
        XCTAssertEqual(virDomainSetMetadata(dom, Int32(VIR_DOMAIN_METADATA_DESCRIPTION.rawValue), "audited", nil, nil, 0), 0)
        XCTAssertEqual(virDomainSuspend(dom), 0)
        XCTAssertEqual(virDomainResume(dom), 0)
        XCTAssertEqual(virDomainDestroy(dom), 0)
        XCTAssertEqual(virDomainUndefine(dom), 0)

        let last = recorder.waitForEvent(timeout: 5) { $0.domainUUID == uuid && $0.kind == .undefined }
        XCTAssertNotNil(last, "no undefined event; got \(recorder.allEvents)")
        let mine = recorder.allEvents.filter { $0.domainUUID == uuid }
        XCTAssertEqual(mine.map(\.kind), [.defined, .started, .metadataChanged, .suspended, .resumed, .stopped, .undefined])
        XCTAssertEqual(mine.map(\.detail), ["added", "booted", "description", "paused", "unpaused", "destroyed", "removed"])
        XCTAssertTrue(mine.allSatisfy { $0.domainName == name })
        XCTAssertEqual(mine.map(\.receivedAt), mine.map(\.receivedAt).sorted())
        XCTAssertTrue(recorder.allEvents.allSatisfy { $0.domainUUID.wholeMatch(of: /[0-9a-f-]{36}/) != nil })
    }

    func testStopDeregistersAndReleasesEveryCallbackBox() throws {
        let before = CallbackBox.live.load(ordering: .relaxed)
        let recorder = EventRecorder()
        let monitor = DomainEventMonitor(uri: "test:///default", onEvent: recorder.onEvent,
                                         onStateChange: recorder.onStateChange)
        try monitor.start()
        XCTAssertTrue(recorder.waitForConnected())
        XCTAssertEqual(CallbackBox.live.load(ordering: .relaxed), before + 1, "one box per connection")
        monitor.stop()
        XCTAssertFalse(LibvirtEventLoop.shared.isRunning)
        XCTAssertEqual(CallbackBox.live.load(ordering: .relaxed), before, "a freecb did not run")
        XCTAssertEqual(monitor.state, .disconnected(reason: "stopped"))

        // Nothing arrives after stop().
        let count = recorder.allEvents.count
        let rw = try XCTUnwrap(virConnectOpen("test:///default"))
        defer { virConnectClose(rw) }
        let xml = "<domain type='test'><name>va-events-\(randomSuffix())</name><memory>65536</memory>"
            + "<os><type>hvm</type></os></domain>"
        let dom = try XCTUnwrap(virDomainDefineXML(rw, xml))
        virDomainUndefine(dom)
        virDomainFree(dom)
        XCTAssertEqual(recorder.allEvents.count, count)
        XCTAssertEqual(recorder.allStates, [.connected], "stop() reports nothing")
    }

    func testStopBeforeStartAndTwiceIsHarmlessAndStartAfterStopDoesNothing() throws {
        let recorder = EventRecorder()
        let monitor = DomainEventMonitor(uri: "test:///default", onEvent: recorder.onEvent,
                                         onStateChange: recorder.onStateChange)
        monitor.stop()
        monitor.stop()
        try monitor.start()
        XCTAssertFalse(LibvirtEventLoop.shared.isRunning, "a stopped monitor does not start")
        XCTAssertEqual(monitor.state, .disconnected(reason: "not started"))

        let second = DomainEventMonitor(uri: "test:///default", onEvent: recorder.onEvent,
                                        onStateChange: recorder.onStateChange)
        try second.start()
        try second.start()
        XCTAssertTrue(recorder.waitForConnected())
        second.stop()
        second.stop()
        XCTAssertFalse(LibvirtEventLoop.shared.isRunning)
        XCTAssertEqual(recorder.allStates, [.connected], "a second start() opened nothing more")
    }

    func testStopFromInsideTheStateHandlerDoesNotDeadlock() throws {
        let holder = MonitorHolder()
        let recorder = EventRecorder()
        let monitor = DomainEventMonitor(uri: "test:///default", onEvent: recorder.onEvent) { state in
            recorder.onStateChange(state)
            holder.monitor?.stop()
        }
        holder.monitor = monitor
        try monitor.start()
        XCTAssertTrue(recorder.waitForConnected())
        let deadline = Date(timeIntervalSinceNow: 5)
        while LibvirtEventLoop.shared.isRunning && Date() < deadline { usleep(10_000) }
        XCTAssertFalse(LibvirtEventLoop.shared.isRunning, "the threads did not wind down")
        holder.monitor = nil
        monitor.stop()
    }

    func testStopFromInsideTheEventHandlerDoesNotDeadlock() throws {
        let holder = MonitorHolder()
        let recorder = EventRecorder()
        let monitor = DomainEventMonitor(uri: "test:///default", onEvent: { event in
            recorder.onEvent(event)
            holder.monitor?.stop()
        }, onStateChange: recorder.onStateChange)
        holder.monitor = monitor
        try monitor.start()
        XCTAssertTrue(recorder.waitForConnected())

        let rw = try XCTUnwrap(virConnectOpen("test:///default"))
        defer { virConnectClose(rw) }
        let xml = "<domain type='test'><name>va-events-\(randomSuffix())</name><memory>65536</memory>"
            + "<os><type>hvm</type></os></domain>"
        let dom = try XCTUnwrap(virDomainDefineXML(rw, xml))
        defer { virDomainUndefine(dom); virDomainFree(dom) }
        XCTAssertNotNil(recorder.waitForEvent(timeout: 5) { $0.kind == .defined })
        let deadline = Date(timeIntervalSinceNow: 5)
        while LibvirtEventLoop.shared.isRunning && Date() < deadline { usleep(10_000) }
        XCTAssertFalse(LibvirtEventLoop.shared.isRunning, "the threads did not wind down")
        holder.monitor = nil
        monitor.stop()
    }

    func testUnreachableURIIsReportedOnceAndRetriedUntilItAppears() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("va-events-" + randomSuffix())
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let node = dir.appendingPathComponent("node.xml").path
        let recorder = EventRecorder()
        let options = DomainEventMonitor.Options(backoff: Backoff(initial: 0.05, maximum: 0.2))
        let monitor = DomainEventMonitor(uri: "test://" + node, options: options, onEvent: recorder.onEvent,
                                         onStateChange: recorder.onStateChange)
        try monitor.start()
        defer { monitor.stop() }

        XCTAssertTrue(recorder.waitForStates(timeout: 5) { $0.isDisconnected })
        let reason = try XCTUnwrap(recorder.allStates.first?.reason)
        XCTAssertTrue(reason.contains(node), reason)
        // Several retries fail meanwhile; none is reported again.
        usleep(500_000)
        XCTAssertEqual(recorder.allStates.count, 1, "\(recorder.allStates)")

        try FileManager.default.copyItem(atPath: Fixture.path("inventory-node/node.xml"), toPath: node)
        XCTAssertTrue(recorder.waitForConnected(timeout: 5), "\(recorder.allStates)")
        XCTAssertEqual(recorder.allStates.count, 2)
    }

    // MARK: - live libvirtd

    /// Defines, starts, destroys and undefines a throwaway TCG domain with virsh and checks that
    /// each lifecycle event reaches the monitor, in order, within 2 s of the command returning.
    func testLiveLibvirtdDeliversLifecycleEventsWithinTwoSeconds() throws {
        try requireLiveLibvirt()
        let recorder = EventRecorder()
        let monitor = DomainEventMonitor(uri: "qemu:///system", onEvent: recorder.onEvent,
                                         onStateChange: recorder.onStateChange)
        try monitor.start()
        defer { monitor.stop() }
        XCTAssertTrue(recorder.waitForConnected(), "states: \(recorder.allStates)")

        let domain = try TemporaryDomain()
        addTeardownBlock { domain.remove() }

        let steps: [(args: [String], kind: DomainEventKind, detail: String)] = [
            (["define", domain.xmlPath], .defined, "added"),
            (["start", domain.name], .started, "booted"),
            (["destroy", domain.name], .stopped, "destroyed"),
            (["undefine", domain.name], .undefined, "removed"),
        ]
        var latencies: [String] = []
        for step in steps {
            let run = try Virsh.run(step.args)
            XCTAssertEqual(run.status, 0, "virsh \(step.args.joined(separator: " ")): \(run.output)")
            let event = recorder.waitForEvent(timeout: 2) { $0.domainUUID == domain.uuid && $0.kind == step.kind }
            let e = try XCTUnwrap(event, "no \(step.kind) event within 2 s of virsh \(step.args[0])")
            XCTAssertEqual(e.detail, step.detail)
            XCTAssertEqual(e.domainName, domain.name)
            // Measured from the command's return: starting a TCG qemu alone can take seconds on a
            // loaded host, and that is not delivery latency.
            XCTAssertLessThanOrEqual(e.receivedAt.timeIntervalSince(run.returned), 2)
            let afterReturn = e.receivedAt.timeIntervalSince(run.returned) * 1000
            let afterLaunch = e.receivedAt.timeIntervalSince(run.launched) * 1000
            latencies.append(String(format: "%@: %+.1f ms after virsh %@ returned (%.1f ms after launch)",
                                    step.kind.rawValue, afterReturn, step.args[0], afterLaunch))
        }
        for line in latencies { print("event latency \(line)") }

        let mine = recorder.allEvents.filter { $0.domainUUID == domain.uuid }
        print("events for \(domain.name): " + mine.map { "\($0.kind.rawValue)(\($0.detail))" }.joined(separator: " "))
        // qemu also reports resumed (vCPUs released after start) and shutdown (qemu's own exit
        // notice on destroy); the four that drive rescans must come in this order.
        let required: Set<DomainEventKind> = [.defined, .started, .stopped, .undefined]
        XCTAssertEqual(mine.map(\.kind).filter(required.contains), [.defined, .started, .stopped, .undefined])
        XCTAssertTrue(recorder.allStates.allSatisfy { $0 == .connected }, "\(recorder.allStates)")
    }

    /// USB tablet hot-plug and unplug (no guest cooperation needed), a hard reset and a
    /// description change on a running throwaway domain.
    func testLiveHotPlugResetAndMetadataEventsCarryAliasAndKind() throws {
        try requireLiveLibvirt()
        let recorder = EventRecorder()
        let monitor = DomainEventMonitor(uri: "qemu:///system", onEvent: recorder.onEvent,
                                         onStateChange: recorder.onStateChange)
        try monitor.start()
        defer { monitor.stop() }
        XCTAssertTrue(recorder.waitForConnected(), "states: \(recorder.allStates)")

        let domain = try TemporaryDomain()
        addTeardownBlock { domain.remove() }
        let device = domain.xmlPath + ".tablet.xml"
        try "<input type='tablet' bus='usb'><alias name='ua-va-tablet'/></input>".write(toFile: device, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: device) }

        XCTAssertEqual(try Virsh.run(["define", domain.xmlPath]).status, 0)
        XCTAssertEqual(try Virsh.run(["start", domain.name]).status, 0)
        let steps: [(args: [String], kind: DomainEventKind, detail: String)] = [
            (["attach-device", domain.name, device, "--live"], .deviceAdded, "ua-va-tablet"),
            (["detach-device", domain.name, device, "--live"], .deviceRemoved, "ua-va-tablet"),
            (["reset", domain.name], .reboot, ""),
            (["desc", domain.name, "--live", "audited"], .metadataChanged, "description"),
        ]
        for step in steps {
            let run = try Virsh.run(step.args)
            XCTAssertEqual(run.status, 0, "virsh \(step.args.joined(separator: " ")): \(run.output)")
            let event = recorder.waitForEvent(timeout: 2) { $0.domainUUID == domain.uuid && $0.kind == step.kind }
            let e = try XCTUnwrap(event, "no \(step.kind) event within 2 s of virsh \(step.args[0])")
            XCTAssertEqual(e.detail, step.detail)
            XCTAssertEqual(e.domainName, domain.name)
        }
    }

    /// libvirtd "goes away" behind a relay socket: the close callback reports it, the monitor
    /// reconnects once the socket is back and events flow again. The real daemon is untouched.
    func testDaemonGoingAwayIsReportedAndTheMonitorReconnects() throws {
        try requireLiveLibvirt()
        let relay = UnixSocketRelay(path: "/tmp/va-events-\(randomSuffix()).sock", target: "/run/libvirt/libvirt-sock")
        try relay.start()
        defer { relay.cut() }
        let recorder = EventRecorder()
        let options = DomainEventMonitor.Options(backoff: Backoff(initial: 0.1, maximum: 0.4))
        let monitor = DomainEventMonitor(uri: relay.uri, options: options, onEvent: recorder.onEvent,
                                         onStateChange: recorder.onStateChange)
        try monitor.start()
        defer { monitor.stop() }
        XCTAssertTrue(recorder.waitForConnected(), "states: \(recorder.allStates)")

        let cutAt = Date()
        relay.cut()
        XCTAssertTrue(recorder.waitForStates(timeout: 2) { $0.isDisconnected }, "\(recorder.allStates)")
        let reason = try XCTUnwrap(recorder.allStates.last?.reason)
        XCTAssertTrue(reason.contains("end of file"), reason)
        print("event monitor noticed the lost daemon after \(Int(Date().timeIntervalSince(cutAt) * 1000)) ms")

        try relay.start()
        XCTAssertTrue(recorder.waitForConnected(count: 2, timeout: 5), "\(recorder.allStates)")
        XCTAssertEqual(recorder.allStates.count, 3, "connected, disconnected, connected: \(recorder.allStates)")

        // The callbacks were registered again on the new connection.
        let domain = try TemporaryDomain()
        addTeardownBlock { domain.remove() }
        XCTAssertEqual(try Virsh.run(["define", domain.xmlPath]).status, 0)
        XCTAssertNotNil(recorder.waitForEvent(timeout: 2) { $0.domainUUID == domain.uuid && $0.kind == .defined })
        XCTAssertEqual(try Virsh.run(["undefine", domain.name]).status, 0)
        XCTAssertNotNil(recorder.waitForEvent(timeout: 2) { $0.domainUUID == domain.uuid && $0.kind == .undefined })
    }

    /// A daemon that stops answering (socket open, no bytes) is noticed by the keepalive.
    func testHungDaemonIsNoticedByKeepalive() throws {
        try requireLiveLibvirt()
        let relay = UnixSocketRelay(path: "/tmp/va-events-\(randomSuffix()).sock", target: "/run/libvirt/libvirt-sock")
        try relay.start()
        defer { relay.cut() }
        let recorder = EventRecorder()
        let options = DomainEventMonitor.Options(keepAliveInterval: 1, keepAliveCount: 1,
                                                 backoff: Backoff(initial: 0.1, maximum: 0.4))
        let monitor = DomainEventMonitor(uri: relay.uri, options: options, onEvent: recorder.onEvent,
                                         onStateChange: recorder.onStateChange)
        try monitor.start()
        XCTAssertTrue(recorder.waitForConnected(), "states: \(recorder.allStates)")

        let frozenAt = Date()
        relay.freeze()
        XCTAssertTrue(recorder.waitForStates(timeout: 10) { $0.isDisconnected }, "\(recorder.allStates)")
        let reason = try XCTUnwrap(recorder.allStates.last?.reason)
        XCTAssertTrue(reason.contains("keepalive"), reason)
        print("event monitor noticed the hung daemon after \(Int(Date().timeIntervalSince(frozenAt) * 1000)) ms")
        // A reconnect attempt may be hanging on the frozen relay: cutting it lets stop() finish.
        relay.cut()
        monitor.stop()
    }

    // MARK: - helpers

    private func requireLiveLibvirt() throws {
        if FileManager.default.fileExists(atPath: "/run/libvirt/libvirt-sock") { return }
        if ProcessInfo.processInfo.environment["VIRTAUDIT_REQUIRE_LIBVIRT"] == "1" {
            XCTFail("/run/libvirt/libvirt-sock is missing but VIRTAUDIT_REQUIRE_LIBVIRT=1")
            throw XCTSkip("libvirtd required but absent")
        }
        throw XCTSkip("no libvirtd socket at /run/libvirt/libvirt-sock")
    }
}

private func randomSuffix() -> String {
    String(UInt32.random(in: 0...UInt32.max), radix: 16)
}

private final class MonitorHolder: @unchecked Sendable {
    var monitor: DomainEventMonitor?
}

/// A throwaway TCG domain on qemu:///system: 64 MiB, no disk, named `va-events-<random>`.
private final class TemporaryDomain: Sendable {
    let name: String
    let uuid: String
    let xmlPath: String

    init() throws {
        name = "va-events-" + randomSuffix()
        uuid = UUID().uuidString.lowercased()
        xmlPath = FileManager.default.temporaryDirectory.appendingPathComponent(name + ".xml").path
        let xml = """
            <domain type='qemu'>
              <name>\(name)</name>
              <uuid>\(uuid)</uuid>
              <memory unit='MiB'>64</memory>
              <vcpu>1</vcpu>
              <os><type arch='x86_64'>hvm</type></os>
              <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
            </domain>
            """
        try xml.write(toFile: xmlPath, atomically: true, encoding: .utf8)
    }

    /// Destroys and undefines the domain if it still exists; never touches any other domain.
    func remove() {
        _ = try? Virsh.run(["destroy", uuid])
        _ = try? Virsh.run(["undefine", uuid])
        try? FileManager.default.removeItem(atPath: xmlPath)
    }
}

private enum Virsh {
    struct Run {
        var status: Int32
        var output: String
        var launched: Date
        var returned: Date
    }

    static func run(_ args: [String]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/virsh")
        p.arguments = ["-q", "-c", "qemu:///system"] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        let launched = Date()
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let returned = Date()
        return Run(status: p.terminationStatus, output: String(decoding: data, as: UTF8.self),
                   launched: launched, returned: returned)
    }
}
