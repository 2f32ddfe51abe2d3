import Foundation
import History
import XCTest
@testable import Reporting

/// Alert commands run in their own process group, are killed as a group on timeout and at
/// shutdown, are reaped, and have their output drained while they run.
final class AlertCommandTests: XCTestCase {
    /// A process that still runs (a zombie, exited and waiting for its parent, does not count).
    static func running(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    static func pids(in file: String) -> [pid_t] {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(whereSeparator: \.isWhitespace).compactMap { pid_t($0) }
    }

    /// Waits (bounded) for a hook to have written its pid file.
    static func waitForPIDs(_ file: String, count: Int) -> [pid_t] {
        for _ in 0..<200 {
            let p = pids(in: file)
            if p.count >= count { return p }
            usleep(20_000)
        }
        return pids(in: file)
    }

    func testATimedOutHookAndTheChildItStartedAreKilledAndReaped() throws {
        let dir = Sample.tempDir()
        // The shell waits on a sleeping child, which starts a grandchild of its own.
        let script = "echo $$ > \(dir)/leader; sh -c 'sleep 300 & echo $! > \(dir)/grandchild; sleep 300' & echo $! > \(dir)/child; wait"
        let start = Date()
        let r = try AlertCommand.runBlocking(argv: ["/bin/sh", "-c", script], input: [], timeout: 0.5, grace: 1)
        XCTAssertTrue(r.timedOut)
        XCTAssertFalse(r.succeeded)
        XCTAssertLessThan(Date().timeIntervalSince(start), 4, "timeout + grace, not the children's 300 s")
        let pids = ["leader", "child", "grandchild"].flatMap { Self.pids(in: dir + "/" + $0) }
        XCTAssertEqual(pids.count, 3, "the shell, its child and its grandchild")
        XCTAssertEqual(pids.filter(Self.running), [], "no process of the hook is left running")
        XCTAssertTrue(AlertCommand.runningGroups.isEmpty)
        var status: Int32 = 0
        if let leader = pids.first {
            XCTAssertEqual(waitpid(leader, &status, WNOHANG), -1, "the hook was already waited for (no zombie)")
            XCTAssertEqual(errno, ECHILD)
            XCTAssertFalse(FileManager.default.fileExists(atPath: "/proc/\(leader)"), "no zombie entry either")
        }
    }

    func testAHookThatIgnoresSIGTERMIsKilledAfterTheGrace() throws {
        let dir = Sample.tempDir()
        let script = "trap '' TERM; echo $$ > \(dir)/pids; while :; do sleep 1; done"
        let r = try AlertCommand.runBlocking(argv: ["/bin/sh", "-c", script], input: [], timeout: 0.5, grace: 0.5)
        XCTAssertTrue(r.timedOut)
        XCTAssertEqual(r.signal, SIGKILL)
        XCTAssertEqual(Self.pids(in: dir + "/pids").filter(Self.running), [])
    }

    func testChildrenLeftBehindByAHookThatExitedAreEnded() throws {
        let dir = Sample.tempDir()
        let r = try AlertCommand.runBlocking(argv: ["/bin/sh", "-c", "sleep 300 & echo $! > \(dir)/pids; exit 0"],
                                             input: [], timeout: 10, grace: 1)
        XCTAssertTrue(r.succeeded)
        XCTAssertTrue(r.leftoverGroup)
        let pids = Self.pids(in: dir + "/pids")
        XCTAssertEqual(pids.count, 1)
        XCTAssertEqual(pids.filter(Self.running), [], "the background child did not outlive the hook")
    }

    func testMegabytesOnStderrDoNotBlockTheHookAndStdinIsDelivered() throws {
        let dir = Sample.tempDir()
        let body = Array(String(repeating: "x", count: 300_000).utf8)
        let script = "head -c 2000000 /dev/zero >&2; head -c 1000000 /dev/zero; cat > \(dir)/in; exit 3"
        let start = Date()
        let r = try AlertCommand.runBlocking(argv: ["/bin/sh", "-c", script], input: body, timeout: 20)
        XCTAssertFalse(r.timedOut, "a pipe left full would block the hook until the timeout")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        XCTAssertEqual(r.exitStatus, 3)
        XCTAssertEqual(r.stderrBytes, 2_000_000)
        XCTAssertEqual(r.stdoutBytes, 1_000_000)
        XCTAssertEqual(r.stderrHead.count, AlertCommand.stderrKeep)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/in")).count, body.count)
    }

    /// A megabyte on standard error alone, with nothing read from standard input: the hook
    /// finishes at once and its exit status is what the delivery sees.
    func testAMebibyteOnStderrCompletesWithTheHooksExitStatus() throws {
        let start = Date()
        let r = try AlertCommand.runBlocking(argv: ["/bin/sh", "-c", "head -c 1048576 /dev/zero >&2; exit 0"],
                                             input: Array("{}".utf8), timeout: 20)
        XCTAssertFalse(r.timedOut)
        XCTAssertTrue(r.succeeded)
        XCTAssertEqual(r.exitStatus, 0)
        XCTAssertEqual(r.stderrBytes, 1 << 20)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    func testExitStatusesAndSignalsAreReportedAsTheHookEnded() throws {
        for code: Int32 in [1, 2, 126, 255] {
            let r = try AlertCommand.runBlocking(argv: ["/bin/sh", "-c", "exit \(code)"], input: [], timeout: 10)
            XCTAssertEqual(r.exitStatus, code)
            XCTAssertNil(r.signal)
            XCTAssertFalse(r.succeeded)
        }
        let killed = try AlertCommand.runBlocking(argv: ["/bin/sh", "-c", "kill -USR1 $$"], input: [], timeout: 10)
        XCTAssertNil(killed.exitStatus)
        XCTAssertEqual(killed.signal, SIGUSR1)
        XCTAssertFalse(killed.timedOut)
        XCTAssertFalse(killed.succeeded)
    }

    /// The hook gets the service's environment as it is: every variable, values unchanged.
    func testTheHookInheritsTheServicesEnvironment() throws {
        let dir = Sample.tempDir()
        setenv("VIRTAUDIT_HOOK_TEST_VALUE", "a b=c\td", 1)
        defer { unsetenv("VIRTAUDIT_HOOK_TEST_VALUE") }
        var mine: Set<String> = []
        var p = environ
        while let entry = p.pointee {
            mine.insert(String(cString: entry))
            p += 1
        }
        let r = try AlertCommand.runBlocking(argv: ["/bin/sh", "-c", "exec /usr/bin/env -0 > \(dir)/env"], input: [], timeout: 10)
        XCTAssertTrue(r.succeeded)
        let seen = try Data(contentsOf: URL(fileURLWithPath: dir + "/env")).split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        XCTAssertTrue(seen.contains("VIRTAUDIT_HOOK_TEST_VALUE=a b=c\td"))
        XCTAssertEqual(mine.subtracting(seen), [], "variables the hook did not get")
    }

    func testTheHookRunsInAProcessGroupOfItsOwnWithDefaultSignals() throws {
        let script = "cut -d' ' -f5 /proc/$$/stat >&2; cut -d' ' -f5 /proc/$PPID/stat >&2; grep -E '^(SigIgn|SigBlk|CapAmb)' /proc/self/status >&2; exit 1"
        let r = try AlertCommand.runBlocking(argv: ["/bin/sh", "-c", script], input: [], timeout: 10)
        let lines = String(decoding: r.stderrHead, as: UTF8.self).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertGreaterThanOrEqual(lines.count, 5, lines.joined(separator: "|"))
        guard lines.count >= 5 else { return }
        XCTAssertNotEqual(lines[0], lines[1], "the hook's group differs from the service's")
        XCTAssertEqual(lines[2].replacingOccurrences(of: "\t", with: " "), "SigBlk: 0000000000000000")
        let ignored = UInt64(lines[3].split(separator: "\t").last ?? "", radix: 16) ?? .max
        XCTAssertEqual(ignored & (1 << (UInt64(SIGPIPE) - 1)), 0, "SIGPIPE ignored by the service is not inherited: \(lines[3])")
        XCTAssertEqual(ignored & 0x7fff_ffff, 0, "no standard signal is ignored: \(lines[3])")
        XCTAssertEqual(lines[4].replacingOccurrences(of: "\t", with: " "), "CapAmb: 0000000000000000")
    }

    func testTerminateAllEndsRunningHooksAtShutdown() async throws {
        let dir = Sample.tempDir()
        let run = Task { try await AlertCommand.run(argv: ["/bin/sh", "-c", "sleep 300 & echo $! > \(dir)/pids; wait"],
                                                    input: [], timeout: 300, grace: 1) }
        let pids = Self.waitForPIDs(dir + "/pids", count: 1)
        XCTAssertEqual(pids.count, 1)
        XCTAssertEqual(AlertCommand.runningGroups.count, 1)
        XCTAssertEqual(AlertCommand.terminateAll(grace: 1, refuseNew: false), 1)
        let r = try await run.value
        XCTAssertEqual(r.signal, SIGTERM)
        XCTAssertEqual(pids.filter(Self.running), [])
        XCTAssertTrue(AlertCommand.runningGroups.isEmpty)
    }

    /// A sink that records what it got.
    final class Recorder: AlertSink, @unchecked Sendable {
        let name = "webhook"
        private let lock = NSLock()
        private var bodies: [[UInt8]] = []
        var count: Int { lock.withLock { bodies.count } }
        func deliver(_ body: [UInt8]) async throws { lock.withLock { bodies.append(body) } }
    }

    func testAHangingCommandDoesNotDelayAnotherSink() async throws {
        let store = try HistoryStore(directory: Sample.tempDir())
        let recorder = Recorder()
        let dispatcher = AlertDispatcher(store: store, sinks: [CommandSink(argv: ["/bin/sleep", "300"], timeout: 3, grace: 1), recorder])
        try dispatcher.enqueue([Alert(kind: .hostScoreDrop, key: "k", severity: .high, summary: "s", target: [:], details: [:],
                                      scanId: nil, at: "")])
        let hanging = Task { await dispatcher.deliverDue(sink: "command") }
        try await Task.sleep(nanoseconds: 200_000_000)
        let start = Date()
        let fast = await dispatcher.deliverDue(sink: "webhook")
        XCTAssertEqual(fast.delivered, 1)
        XCTAssertLessThan(Date().timeIntervalSince(start), 1, "the webhook does not wait for the command")
        XCTAssertEqual(recorder.count, 1)
        let slow = await hanging.value
        XCTAssertEqual(slow.failed, 1)
    }
}
