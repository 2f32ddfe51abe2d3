import Foundation
import Glibc
import XCTest
import Audit
import Core

/// Starts a second libvirtd of its own (private mount namespace, tmpfs over libvirt's state
/// directories, its own /etc/libvirt copy and a `-f` config with `listen_tcp = 1`,
/// `auth_tcp = "none"` on 127.0.0.1 and a free port, `--listen`), scans the live host and checks
/// that the scan shows the listener (address, port, owning pid) and the critical finding; the
/// daemon and everything it started are killed at the end. The lab daemon is never touched.
final class ManagementPlaneLiveTests: XCTestCase {
    /// A libvirtd started by the test; `stop()` kills its process group (also on failure).
    final class SecondDaemon {
        let dir: String
        let port: Int
        let config: String
        let launcher: Process
        var pid: Int32 = 0

        init(port: Int) throws {
            self.port = port
            dir = NSTemporaryDirectory() + "virtaudit-mgmt-live-\(getpid())-\(UUID().uuidString.prefix(8))"
            config = dir + "/libvirtd.conf"
            let fm = FileManager.default
            try fm.createDirectory(atPath: dir + "/etc/qemu", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: dir + "/etc/hooks", withIntermediateDirectories: true)
            for f in ["qemu.conf", "libvirt.conf"] where fm.fileExists(atPath: "/etc/libvirt/" + f) {
                try fm.copyItem(atPath: "/etc/libvirt/" + f, toPath: dir + "/etc/" + f)
            }
            try """
            listen_tls = 0
            listen_tcp = 1
            listen_addr = "127.0.0.1"
            tcp_port = "\(port)"
            auth_tcp = "none"
            """.write(toFile: config, atomically: true, encoding: .utf8)
            // Private mount namespace: the lab's sockets, state and /etc/libvirt stay untouched.
            try """
            set -e
            mount --make-rprivate /
            for d in /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do mount -t tmpfs tmpfs "$d"; done
            mount --bind "$1/etc" /etc/libvirt
            exec /usr/sbin/libvirtd -f "$1/libvirtd.conf" --listen -p "$1/libvirtd.pid"
            """.write(toFile: dir + "/run.sh", atomically: true, encoding: .utf8)
            launcher = Process()
            launcher.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
            launcher.arguments = ["/usr/bin/unshare", "-m", "/bin/sh", dir + "/run.sh", dir]
            let log = FileHandle(forWritingAtPath: dir + "/daemon.log") ?? {
                fm.createFile(atPath: dir + "/daemon.log", contents: nil)
                return FileHandle(forWritingAtPath: dir + "/daemon.log")!
            }()
            launcher.standardOutput = log
            launcher.standardError = log
            try launcher.run()
        }

        var log: String { (try? String(contentsOfFile: dir + "/daemon.log", encoding: .utf8)) ?? "" }

        /// Waits (at most 30 s) until the daemon's pid file names a live libvirtd that holds the listener.
        func waitForListener() throws {
            let hexPort = String(format: "%04X", port)
            for _ in 0..<300 {
                if pid == 0, let text = try? String(contentsOfFile: dir + "/libvirtd.pid", encoding: .utf8),
                   let p = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                    pid = p
                }
                if pid != 0, let tcp = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8),
                   tcp.contains("0100007F:\(hexPort) 00000000:0000 0A") {
                    return
                }
                if !launcher.isRunning && pid == 0 { break }
                usleep(100_000)
            }
            throw NSError(domain: "ManagementPlaneLiveTests", code: 1,
                          userInfo: [NSLocalizedDescriptionKey: "libvirtd did not listen on 127.0.0.1:\(port): \(log)"])
        }

        /// SIGTERM to the daemon's process group and every descendant, then SIGKILL after 5 s.
        func stop() {
            var targets = Set<Int32>([launcher.processIdentifier])
            if pid != 0 { targets.insert(pid) }
            for signal in [SIGTERM, SIGKILL] {
                for t in targets {
                    let group = getpgid(t)
                    if group > 1 && group != getpgrp() { kill(-group, signal) }
                    kill(t, signal)
                }
                for d in Self.descendants(of: targets) { kill(d, signal) }
                for _ in 0..<50 where targets.contains(where: { kill($0, 0) == 0 && !Self.isZombie($0) }) { usleep(100_000) }
            }
            launcher.waitUntilExit()
            try? FileManager.default.removeItem(atPath: dir)
        }

        static func isZombie(_ pid: Int32) -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return true }
            return stat[stat.index(close, offsetBy: 2)] == "Z"
        }

        static func descendants(of roots: Set<Int32>) -> [Int32] {
            var parent: [Int32: Int32] = [:]
            for e in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let p = Int32(e), let stat = try? String(contentsOfFile: "/proc/\(e)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { continue }
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                if fields.count > 1, let pp = Int32(fields[1]) { parent[p] = pp }
            }
            return parent.keys.filter { p in
                var cur = parent[p]
                for _ in 0..<64 { guard let c = cur else { return false }; if roots.contains(c) { return true }; cur = parent[c] }
                return false
            }
        }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NSError(domain: "socket", code: Int(errno)) }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw NSError(domain: "bind", code: Int(errno)) }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    private func requireTools() throws {
        let missing = ["/usr/sbin/libvirtd", "/usr/bin/unshare", "/usr/bin/setsid"].filter { !FileManager.default.isExecutableFile(atPath: $0) }
        if !missing.isEmpty || getuid() != 0 {
            let msg = "a second libvirtd needs root and \(missing.isEmpty ? "root" : missing.joined(separator: ", "))"
            if LiveLab.required { XCTFail(msg) }
            throw XCTSkip(msg)
        }
    }

    func testScanReportsTheUnauthenticatedTCPListenerOfASecondLibvirtd() throws {
        try LiveLab.requireLab()
        try requireTools()
        let daemon = try SecondDaemon(port: try Self.freePort())
        defer { daemon.stop() }
        try daemon.waitForListener()

        let report = try LiveLab.scan()
        let libvirtd = try XCTUnwrap(report.host.facts["libvirtd"], "no host.libvirtd facts")
        let listeners = try XCTUnwrap(libvirtd["listeners"]?.arrayValue)
        let mine = listeners.first { $0["port"]?.intValue == daemon.port }
        XCTAssertNotNil(mine, "listener 127.0.0.1:\(daemon.port) missing from \(listeners)")
        XCTAssertEqual(mine?["address"], "127.0.0.1")
        XCTAssertEqual(mine?["pid"]?.intValue, Int(daemon.pid))
        XCTAssertEqual(mine?["daemon"], "libvirtd")
        XCTAssertEqual(mine?["protocol"], "tcp")
        XCTAssertEqual(mine?["loopback"], true)

        // The daemon's own -f file, with the line that set auth_tcp.
        let entry = try XCTUnwrap(libvirtd["daemons"]?.arrayValue?.first { $0["pid"]?.intValue == Int(daemon.pid) })
        XCTAssertEqual(entry["configPath"]?.stringValue, daemon.config)
        XCTAssertEqual(entry["configFromArgument"], true)
        XCTAssertEqual(entry[path: "settings.auth_tcp.value"], "none")
        XCTAssertEqual(entry[path: "settings.auth_tcp.source"]?.stringValue, daemon.config + ":5")
        XCTAssertEqual(entry["tcpNoAuth"], true)
        // The lab daemon itself listens on no TCP port.
        for other in libvirtd["daemons"]?.arrayValue ?? [] where other["pid"]?.intValue != Int(daemon.pid) && other["running"] == true {
            XCTAssertEqual(other["tcpNoAuth"], false, "\(other)")
        }

        let finding = try XCTUnwrap(report.host.findings.first { $0.rule == "management.tcp-requires-auth" })
        XCTAssertEqual(finding.status, .fail)
        XCTAssertEqual(finding.severity, .critical)
        let observed = JSONWriter.string(finding.observed)
        XCTAssertTrue(observed.contains("127.0.0.1:\(daemon.port)") && observed.contains("pid \(daemon.pid)"), observed)
        XCTAssertNotEqual(report.host.grade, "A")
        // Every guest of the host can be redefined through that socket: none of them keeps its grade.
        for d in report.domains where d.state == "running" {
            XCTAssertEqual(d.findings.first { $0.rule == "management.guest-definition-protected" }?.status, .fail, d.name)
            XCTAssertLessThanOrEqual(d.score, 54, "\(d.name) scores \(d.score) with an open management plane")
            XCTAssertEqual(d.layers["host"]?.down, true, d.name)
        }
        print("live listener: \(JSONWriter.string(mine ?? .null))\n\(finding.rule) \(finding.status): \(observed)")

        // Once the daemon is gone the same scan passes again.
        daemon.stop()
        let after = try LiveLab.scan()
        XCTAssertEqual(after.host.findings.first { $0.rule == "management.tcp-requires-auth" }?.status, .pass)
        XCTAssertFalse((after.host.facts[path: "libvirtd.listeners"]?.arrayValue ?? []).contains { $0["port"]?.intValue == daemon.port })
    }
}
