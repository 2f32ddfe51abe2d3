import Foundation
import XCTest
import Audit
import Core

/// The live lab: libvirtd on qemu:///system with the guests of `scripts/lab`.
enum LiveLab {
    static let uri = "qemu:///system"
    static let confined = "va-confined"
    static let rootDAC = "va-rootdac"

    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    static var required: Bool { ProcessInfo.processInfo.environment["VIRTAUDIT_REQUIRE_LIBVIRT"] == "1" }

    /// Skips (or, in CI, fails) when the lab is not up.
    static func requireLab(file: StaticString = #filePath, line: UInt = #line) throws {
        let pid = "/run/libvirt/qemu/\(rootDAC).pid"
        guard FileManager.default.fileExists(atPath: pid),
              FileManager.default.fileExists(atPath: "/run/libvirt/qemu/\(confined).pid") else {
            let msg = "live lab not running (scripts/lab up): \(pid) missing"
            if required { XCTFail(msg, file: file, line: line); throw XCTSkip(msg) }
            throw XCTSkip(msg)
        }
    }

    /// A tiny TCG guest (64 MiB, no disk) with `devices` inside `<devices>`.
    static func guestXML(_ name: String, devices: String) -> String {
        """
        <domain type='qemu'>
          <name>\(name)</name>
          <memory unit='MiB'>64</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64' machine='pc'>hvm</type></os>
          <devices>
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
        \(devices)
            <memballoon model='none'/>
          </devices>
        </domain>
        """
    }

    static func scan() throws -> ScanReport {
        let settings = ScanSettings(uri: uri, root: HostRoot("/"), policiesDirectory: repository + "/policies")
        let auditor = try Auditor(settings: settings)
        return try auditor.scan()
    }
}

/// Runs the built `virtaudit` executable the way users and scripts do.
enum CLI {
    struct Run { var status: Int32; var stdout: Data; var stderr: String }

    static var executable: String {
        let beside = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("virtaudit").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        let here = Bundle.main.bundleURL.appendingPathComponent("virtaudit").path
        if FileManager.default.isExecutableFile(atPath: here) { return here }
        return LiveLab.repository + "/.build/debug/virtaudit"
    }

    static func run(_ args: [String]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.executable)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: LiveLab.repository)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: o, stderr: String(decoding: e, as: UTF8.self))
    }

}
