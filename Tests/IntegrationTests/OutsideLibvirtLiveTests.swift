import Audit
import Core
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// qemus that the host's qemu:///system does not list, on the live lab: a qemu started by hand as
/// root, and a guest of a second libvirtd in a private mount namespace (scripts/lab-nslibvirtd).
final class OutsideLibvirtLiveTests: XCTestCase {
    static let rogueName = "va-handstarted"
    static let rogueUUID = "2f1c8a52-7d3e-4b1e-9a51-6c0c1f3e2a10"
    static let nsGuest = "va-nsguest"
    static let nsUUID = "5d2b8e41-6c3a-4f7e-9b1d-2a4c6e8f0b31"

    func testHandStartedRootQemuIsAnUnmanagedVMWithACriticalHostFindingAndGoesAwayWhenStopped() throws {
        try LiveLab.requireLab()
        let pidFile = NSTemporaryDirectory() + "va-handstarted-\(UUID().uuidString).pid"
        let start = try shell(["qemu-system-x86_64", "-name", "guest=\(Self.rogueName)", "-uuid", Self.rogueUUID,
                               "-machine", "pc,accel=tcg", "-m", "64", "-display", "none", "-nodefaults",
                               "-daemonize", "-pidfile", pidFile])
        XCTAssertEqual(start.status, 0, start.output)
        let pid = try XCTUnwrap(Int((try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
        var stopped = false
        defer { if !stopped { kill(pid_t(pid), SIGKILL) }; try? FileManager.default.removeItem(atPath: pidFile) }

        let report = try LiveLab.scan()
        let vm = try XCTUnwrap(report.domains.first { $0.uuid == Self.rogueUUID }, "\(report.domains.map(\.name))")
        XCTAssertEqual(vm.name, Self.rogueName)
        XCTAssertEqual(vm.facts[path: "management.kind"], .string("unmanaged"))
        XCTAssertEqual(vm.facts[path: "management.pid"], .int(pid))
        XCTAssertEqual(vm.facts[path: "process.uid"], .int(0))
        XCTAssertEqual(vm.findings.first { $0.rule == "dac.non-root-user" }?.status, .fail)
        let unmanaged = try XCTUnwrap(report.host.facts[path: "qemu.unmanaged"]?.arrayValue)
        XCTAssertTrue(unmanaged.contains { $0["pid"] == .int(pid) && $0["uid"] == .int(0) }, "\(unmanaged)")
        let finding = try XCTUnwrap(report.host.findings.first { $0.rule == "host.qemu-unmanaged-not-root" })
        XCTAssertEqual(finding.status, .fail)
        XCTAssertEqual(finding.severity, .critical)
        // The lab's own guests stay libvirt's.
        for name in [LiveLab.confined, LiveLab.rootDAC] {
            XCTAssertEqual(report.domains.first { $0.name == name }?.facts[path: "management.kind"], .string("libvirt"), name)
        }

        XCTAssertEqual(kill(pid_t(pid), SIGTERM), 0)
        stopped = true
        try waitUntil(seconds: 10) { !FileManager.default.fileExists(atPath: "/proc/\(pid)/exe") || (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) == nil }
        let after = try LiveLab.scan()
        XCTAssertNil(after.domains.first { $0.uuid == Self.rogueUUID }, "a stopped qemu is gone from the next scan")
        XCTAssertFalse((after.host.facts[path: "qemu.unmanaged"]?.arrayValue ?? []).contains { $0["pid"] == .int(pid) })
    }

    func testGuestOfALibvirtdInAnotherMountNamespaceIsListedThroughItsOwnSocket() throws {
        try LiveLab.requireLab()
        let dir = NSTemporaryDirectory() + "va-nslibvirtd-" + UUID().uuidString
        let script = LiveLab.repository + "/scripts/lab-nslibvirtd"
        let started = try shell([script, "start", dir])
        defer { _ = try? shell([script, "stop", dir]) }
        XCTAssertEqual(started.status, 0, started.output)
        let daemonPid = try XCTUnwrap(Int(started.output.split(separator: "\n").last.map(String.init) ?? ""), started.output)
        let guest = try shell([script, "guest", dir, Self.nsGuest, Self.nsUUID])
        XCTAssertEqual(guest.status, 0, guest.output)

        // The host's libvirt does not list it.
        let list = try shell(["virsh", "-c", LiveLab.uri, "list", "--all", "--name"])
        XCTAssertFalse(list.output.contains(Self.nsGuest), list.output)

        let report = try LiveLab.scan()
        let vm = try XCTUnwrap(report.domains.first { $0.uuid == Self.nsUUID }, "\(report.domains.map(\.name))")
        XCTAssertEqual(vm.name, Self.nsGuest)
        XCTAssertEqual(vm.facts[path: "management.kind"], .string("libvirt-namespaced"))
        XCTAssertEqual(vm.facts[path: "management.daemon.pid"], .int(daemonPid))
        XCTAssertEqual(vm.facts[path: "management.daemon.socket"], .string("/proc/\(daemonPid)/root/run/libvirt/libvirt-sock-ro"))
        XCTAssertEqual(vm.facts[path: "management.hostMountNamespace"], .bool(false))
        XCTAssertEqual(vm.facts[path: "process.located"], .bool(true))
        XCTAssertEqual(vm.facts[path: "process.uid"], .int(0), "the guest's static DAC label +0:+0 runs qemu as root")
        XCTAssertEqual(vm.findings.first { $0.rule == "dac.non-root-user" }?.status, .fail)
        // Judged with that daemon's qemu.conf (the lab copy plus stdio_handler = "file").
        XCTAssertNotNil(vm.findings.first { $0.rule.hasPrefix("host.qemu-conf.") }, "the daemon's qemu.conf rules are judged for its VM")
        let daemons = try XCTUnwrap(report.host.facts[path: "libvirt.namespacedDaemons"]?.arrayValue)
        let daemon = try XCTUnwrap(daemons.first { $0["pid"] == .int(daemonPid) }, "\(daemons)")
        XCTAssertEqual(daemon["reachable"], .bool(true))
        XCTAssertEqual(daemon["domains"], .int(1))
        XCTAssertFalse((report.host.facts[path: "qemu.unmanaged"]?.arrayValue ?? []).contains { $0["uuid"] == .string(Self.nsUUID) })
    }

    // MARK: - helpers

    struct Run { var status: Int32; var output: String }

    /// Runs a command with its output in a file, not a pipe (daemons it starts may keep the
    /// descriptors open, and a pipe would never reach end of file), and waits for it with
    /// waitpid: the daemons it leaves behind are reparented, never waited for here.
    func shell(_ args: [String]) throws -> Run {
        let path = NSTemporaryDirectory() + "va-outside-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = (["/usr/bin/env"] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, environ)
        guard rc == 0 else { throw NSError(domain: "spawn", code: Int(rc)) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return Run(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output: text)
    }

    func waitUntil(seconds: Double, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { XCTFail("timed out after \(seconds) s"); return }
            usleep(100_000)
        }
    }
}
