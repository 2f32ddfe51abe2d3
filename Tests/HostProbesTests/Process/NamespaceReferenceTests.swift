import Core
import XCTest
@testable import HostProbes

final class NamespaceReferenceTests: XCTestCase {
    func testReadableInitIsTheReference() {
        let h = NamespaceReference.resolve(root: ProcFixture.root("proc-root-qemu"))
        XCTAssertEqual(h.source, .pid1)
        XCTAssertEqual(h.pid, 1)
        XCTAssertEqual(h.inodes["mnt"], 4026531832)
        XCTAssertEqual(h.referenceJSON, ["source": "pid1", "pid": 1])
    }

    func testWithoutInitTheLibvirtDaemonIsUsed() {
        let h = NamespaceReference.resolve(root: ProcFixture.root("proc-libvirt-default"))
        XCTAssertEqual(h.source, .libvirtd)
        XCTAssertEqual(h.pid, 3534)
        XCTAssertEqual(h.inodes.count, 8)
        XCTAssertTrue(h.attempts.first?.hasPrefix("pid1:") ?? false, "\(h.attempts)")
        XCTAssertNil(h.failureReason)
    }

    func testAPidFileNamingAnotherProgramFallsBackToSelf() {
        // run/libvirtd.pid names pid 7000, whose comm is bash.
        let h = NamespaceReference.resolve(root: ProcFixture.root("proc-selinux-svirt"))
        XCTAssertEqual(h.source, .self)
        XCTAssertNil(h.pid)
        XCTAssertEqual(h.inodes["mnt"], 4026531840)
        XCTAssertTrue(h.attempts.contains { $0.contains("'bash', not libvirtd") }, "\(h.attempts)")
    }

    func testNoCandidateGivesAReasonNotAGuess() throws {
        let (root, dir) = try ProcFixture.copy("proc-gone")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.removeItem(atPath: root.proc("self"))
        let h = NamespaceReference.resolve(root: root)
        XCTAssertNil(h.source)
        XCTAssertEqual(h.inodes, [:])
        XCTAssertEqual(h.referenceJSON, ["source": nil, "pid": nil])
        let reason = try XCTUnwrap(h.failureReason)
        XCTAssertTrue(reason.contains("pid1:") && reason.contains("libvirtd:") && reason.contains("self:"), reason)
    }

    func testLiveHostFollowsTheFallbackOrder() throws {
        let h = NamespaceReference.resolve(root: HostRoot())
        let initReadable = (try? FileReader.readLink("/proc/1/ns/mnt")) != nil
        if initReadable {
            XCTAssertEqual(h.source, .pid1)
        } else if let pid = try? PidFile.parse(FileReader.readString("/run/libvirtd.pid")),
                  (try? FileReader.readAttribute("/proc/\(pid)/comm")) == "libvirtd" {
            XCTAssertEqual(h.source, .libvirtd)
            XCTAssertEqual(h.pid, pid)
            XCTAssertEqual(h.inodes["mnt"], try ProcNamespaces.parse(link: FileReader.readLink("/proc/\(pid)/ns/mnt"), kind: "mnt"))
        } else {
            XCTAssertEqual(h.source, .self)
            XCTAssertEqual(h.pid, Int(getpid()))
        }
    }
}

/// On a live host, falling back to the auditor's own namespaces must not decide mount-namespace
/// sharing: a sandboxed service has a private mount namespace of its own.
final class NamespaceReferenceLiveSelfTests: XCTestCase {
    func testLiveSelfFallbackDistrustsTheMountNamespace() {
        let live = ProcReader.live
        // PID 1 unreadable and no libvirt daemon: only /proc/self is left.
        let reader = ProcReader(
            read: { (p: String) throws(ProbeError) -> [UInt8] in
                if p.hasSuffix("libvirtd.pid") || p.hasSuffix("virtqemud.pid") { throw .notFound(path: p) }
                return try live.read(p)
            },
            readLink: { (p: String) throws(ProbeError) -> String in
                if p.hasPrefix("/proc/1/") { throw .permissionDenied(path: p) }
                return try live.readLink(p)
            },
            exists: live.exists)
        let ref = NamespaceReference.resolve(root: HostRoot("/"), reader: reader)
        XCTAssertEqual(ref.source, .self)
        XCTAssertNil(ref.inodes["mnt"])
        XCTAssertNotNil(ref.inodes["net"])
        XCTAssertNotNil(ref.distrusted["mnt"])

        var b = FactBuilder()
        ProcessProbe.collect(pid: Int(getpid()), root: HostRoot("/"), hostNamespaces: ref, into: &b, reader: live)
        let facts = b.facts
        XCTAssertEqual(facts[path: "process.namespaces.mnt.sharedWithHost"], .null)
        XCTAssertEqual(FactBuilder.reason(for: "process.namespaces.mnt.sharedWithHost", in: facts),
                       NamespaceReference.selfMountReason)
        XCTAssertEqual(facts[path: "process.namespaces.net.sharedWithHost"], .bool(true))
    }
}
