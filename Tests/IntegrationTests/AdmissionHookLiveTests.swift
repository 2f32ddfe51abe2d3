import Foundation
import XCTest

/// `virtaudit admit` as libvirt's qemu hook, live: a libvirtd of its own in a private mount
/// namespace (scripts/lab-nslibvirtd; libvirtd reads hooks only when it starts, and the shared
/// lab daemon is never restarted) with the hook in hooks/qemu.d, TCG guests started through it.
final class AdmissionHookLiveTests: XCTestCase {
    static let rootDACLabel = "<seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>"

    /// One namespaced daemon with the hook installed, its state under `dir`.
    final class HookedDaemon {
        let dir: String
        let data: String
        init(mode: String, policies: String, extraConfig: String = "") throws {
            guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/libvirtd") else {
                let msg = "admission live tests need root and libvirtd"
                if LiveLab.required { XCTFail(msg) }
                throw XCTSkip(msg)
            }
            dir = NSTemporaryDirectory() + "i17-admit-\(UUID().uuidString.prefix(8))"
            data = dir + "/data"
            try FileManager.default.createDirectory(atPath: dir + "/hooks/qemu.d", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            let config = dir + "/config.yaml"
            try "policies: \(policies)\ndata_dir: \(data)\nalerts:\n  command: [\"/bin/true\"]\n\(extraConfig)"
                .write(toFile: config, atomically: true, encoding: .utf8)
            let hook = dir + "/hooks/qemu.d/50-virtaudit"
            try "#!/bin/sh\nexec \(CLI.executable) admit --mode \(mode) --config \(config) \"$@\"\n"
                .write(toFile: hook, atomically: true, encoding: .utf8)
            chmod(hook, 0o755)
            let r = try Self.sh("\(LiveLab.repository)/scripts/lab-nslibvirtd start \(dir)")
            guard r.status == 0 else {
                stop()
                throw NSError(domain: "lab-nslibvirtd", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.output])
            }
        }

        var pid: String { (try? String(contentsOfFile: dir + "/pid", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "0" }

        func virsh(_ args: String) throws -> (status: Int32, output: String) {
            try Self.sh("nsenter -t \(pid) -m virsh -q -c qemu:///system \(args)")
        }

        /// Defines a 64 MiB TCG guest without disk; `extra` goes inside `<domain>`.
        func define(_ name: String, extra: String = "") throws {
            let xml = """
                <domain type='qemu'><name>\(name)</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
                <os><type arch='x86_64' machine='pc'>hvm</type></os>
                <devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices>\(extra)</domain>
                """
            try xml.write(toFile: "\(dir)/\(name).xml", atomically: true, encoding: .utf8)
            let r = try virsh("define \(dir)/\(name).xml")
            XCTAssertEqual(r.status, 0, r.output)
        }

        func restart() throws -> (status: Int32, output: String) {
            try Self.sh("\(LiveLab.repository)/scripts/lab-nslibvirtd restart \(dir)")
        }

        func stop() { _ = try? Self.sh("\(LiveLab.repository)/scripts/lab-nslibvirtd stop \(dir)") }

        /// `sqlite3 history.sqlite3 SQL`, one row per line.
        func query(_ sql: String) throws -> [String] {
            let r = try Self.sh("sqlite3 \(data)/history.sqlite3 \"\(sql)\"")
            return r.output.split(separator: "\n").map(String.init)
        }

        /// Runs a shell command with its output in a file, bounded to two minutes, through
        /// posix_spawn and waitpid: libvirtd daemonizes from it and keeps every inherited
        /// descriptor, so anything that waits for a pipe (or Process's own exit monitor) to
        /// close would wait for the daemon.
        static func sh(_ command: String) throws -> (status: Int32, output: String) {
            let out = NSTemporaryDirectory() + "i17-sh-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: out) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
            let argv = ["/usr/bin/timeout", "120", "/bin/sh", "-c", command]
            var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
            defer { for a in cargs { free(a) } }
            var pid: pid_t = 0
            let rc = posix_spawn(&pid, argv[0], &actions, nil, &cargs, environ)
            guard rc == 0 else {
                throw NSError(domain: "posix_spawn", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "cannot run \(command)"])
            }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            let exited = status & 0x7f == 0
            let code: Int32 = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            return (code, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
        }
    }

    func testEnforceRefusesRootDACGuestWithTheRuleInVirshErrorAndRestartKillsNoGuest() throws {
        let d = try HookedDaemon(mode: "enforce", policies: LiveLab.repository + "/policies")
        defer { d.stop() }
        try d.define("i17-rootdac", extra: Self.rootDACLabel)
        try d.define("i17-confined")

        let refused = try d.virsh("start i17-rootdac")
        print("virsh start i17-rootdac (enforce): status \(refused.status): \(refused.output)")
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("dac.label-not-root"), refused.output)
        XCTAssertTrue(refused.output.contains("remediation"), refused.output)
        XCTAssertTrue(try d.virsh("domstate i17-rootdac").output.contains("shut off"))

        let started = try d.virsh("start i17-confined")
        XCTAssertEqual(started.status, 0, started.output)
        let before = try d.virsh("domid i17-confined").output.trimmingCharacters(in: .whitespacesAndNewlines)

        let decisions = try d.query("SELECT domain || ' ' || operation || ' ' || mode || ' ' || decision FROM admissions ORDER BY id")
        XCTAssertEqual(decisions.first, "i17-rootdac prepare begin enforce deny")
        XCTAssertTrue(decisions.contains("i17-confined prepare begin enforce admit"), "\(decisions)")
        XCTAssertEqual(try d.query("SELECT COUNT(*) FROM outbox WHERE payload LIKE '%admission-denied%'"), ["1"])

        // libvirtd restarted with the guest running: the hook runs at `reconnect` and exits 0.
        let r = try d.restart()
        XCTAssertEqual(r.status, 0, r.output)
        let state = try d.virsh("domstate i17-confined").output
        print("after restart: i17-confined \(state.trimmingCharacters(in: .whitespacesAndNewlines))")
        XCTAssertTrue(state.contains("running"), state)
        XCTAssertEqual(try d.virsh("domid i17-confined").output.trimmingCharacters(in: .whitespacesAndNewlines), before)
    }

    /// Defines the root-DAC and the confined guest and asserts that both start.
    func startRootDACAndConfinedGuests(_ d: HookedDaemon) throws {
        try d.define("i17-rootdac", extra: Self.rootDACLabel)
        try d.define("i17-confined")
        for name in ["i17-rootdac", "i17-confined"] {
            let r = try d.virsh("start \(name)")
            XCTAssertEqual(r.status, 0, "\(name): \(r.output)")
        }
    }

    func testWarnStartsBothGuestsAndRecordsTheWarning() throws {
        let d = try HookedDaemon(mode: "warn", policies: LiveLab.repository + "/policies")
        defer { d.stop() }
        try startRootDACAndConfinedGuests(d)
        let rows = try d.query("SELECT decision || ' ' || rules FROM admissions WHERE domain = 'i17-rootdac' AND operation = 'prepare begin'")
        XCTAssertEqual(rows.count, 1)
        XCTAssertTrue(rows.first?.hasPrefix("would-deny ") ?? false, "\(rows)")
        XCTAssertTrue(rows.first?.contains("dac.label-not-root") ?? false, "\(rows)")
        XCTAssertEqual(try d.query("SELECT DISTINCT decision FROM admissions WHERE domain = 'i17-confined'"), ["admit"])
        XCTAssertEqual(try d.query("SELECT COUNT(*) FROM outbox WHERE payload LIKE '%admission-denied%'").first.flatMap { Int($0) } ?? 0 > 0, true)
    }

    func testBrokenPolicyFileFailsOpenAndRaisesAnAlert() throws {
        let policies = NSTemporaryDirectory() + "i17-policies-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: policies) }
        try FileManager.default.copyItem(atPath: LiveLab.repository + "/policies", toPath: policies)
        try "rules:\n  - id: broken.rule\n    when: [unclosed\n".write(toFile: policies + "/rules/zz-broken.yaml", atomically: true, encoding: .utf8)
        let d = try HookedDaemon(mode: "enforce", policies: policies, extraConfig: "admission:\n  failure_policy: fail-open\n")
        defer { d.stop() }
        try startRootDACAndConfinedGuests(d)
        let rows = try d.query("SELECT DISTINCT decision FROM admissions")
        XCTAssertEqual(rows, ["failed-open"])
        let failure = try d.query("SELECT failure FROM admissions LIMIT 1").joined(separator: "\n")
        XCTAssertTrue(failure.contains("zz-broken.yaml"), failure)
        let alerts = try d.query("SELECT payload FROM outbox WHERE payload LIKE '%admission-failure%'")
        XCTAssertFalse(alerts.isEmpty)
    }
}
