import Core

/// The host's namespaces, the reference a qemu process's namespaces are compared with.
///
/// Resolved once per scan by `resolve(root:)` and passed to every `ProcessProbe.collect`:
/// 1. `/proc/1/ns/*` (init's namespaces are the host's), unless unreadable (in some sandboxes
///    even root gets EACCES there);
/// 2. the libvirt daemon's (pid from `/run/libvirtd.pid`, or `/run/virtqemud.pid` with the
///    modular daemons, accepted only when `/proc/<pid>/comm` names that daemon): libvirt starts
///    qemu from its own namespaces, so a namespace qemu did not unshare equals the daemon's;
/// 3. the auditor's own (`/proc/self`; under a fixture root `self` is a plain directory).
public struct NamespaceReference: Sendable, Hashable {
    public enum Source: String, Sendable, Hashable {
        case pid1, libvirtd, `self`
    }

    /// Which process supplied the reference; nil when none could be read.
    public var source: Source?
    /// That process's pid (`/proc/self` resolves to the auditor's pid on a live root; nil for a
    /// fixture's literal `self`).
    public var pid: Int?
    public var inodes: [String: UInt64]
    /// Why each earlier candidate was passed over, or why none could be used.
    public var attempts: [String]
    /// Kinds the reference cannot stand for, with the reason (their comparison is unknown).
    public var distrusted: [String: String]

    public init(source: Source?, pid: Int?, inodes: [String: UInt64], attempts: [String] = [],
                distrusted: [String: String] = [:]) {
        self.source = source
        self.pid = pid
        self.inodes = inodes
        self.attempts = attempts
        self.distrusted = distrusted
    }

    /// On a live host the auditor's own mount namespace is no host reference: a service manager
    /// (systemd's ProtectSystem=, PrivateTmp=) gives the service a private one, and comparing qemu
    /// against it would call a qemu in the host's mount namespace "private".
    static let selfMountReason = "the host mount namespace is unknown: neither PID 1 nor libvirtd could be read, and the auditor's own mount namespace may be private (systemd sandboxing)"

    /// The daemons accepted as the libvirt reference: pid file under /run, and expected comm.
    public static let daemons: [(pidFile: String, comm: String)] = [
        ("libvirtd.pid", "libvirtd"), ("virtqemud.pid", "virtqemud"),
    ]

    public static func resolve(root: HostRoot, reader: ProcReader = .live) -> NamespaceReference {
        var attempts: [String] = []

        let init1 = ProcNamespaces.read(pid: "1", root: root, reader: reader)
        if let reason = unusable(init1) {
            attempts.append("pid1: \(reason)")
        } else {
            return NamespaceReference(source: .pid1, pid: 1, inodes: init1.inodes, attempts: attempts)
        }

        var daemonFound = false
        for d in daemons {
            let pidPath = root.run(d.pidFile)
            let pid: Int
            do {
                pid = try PidFile.read(pidPath, reader: reader)
            } catch .notFound {
                continue
            } catch {
                attempts.append("libvirtd: \(error)")
                continue
            }
            daemonFound = true
            let commPath = root.proc("\(pid)/comm")
            do {
                let comm = try reader.readString(commPath).trimmingWhitespace()
                guard comm == d.comm else {
                    attempts.append("libvirtd: pid \(pid) from \(pidPath) is '\(comm)', not \(d.comm)")
                    continue
                }
            } catch {
                attempts.append("libvirtd: \(error)")
                continue
            }
            let ns = ProcNamespaces.read(pid: "\(pid)", root: root, reader: reader)
            if let reason = unusable(ns) {
                attempts.append("libvirtd: \(reason)")
                continue
            }
            return NamespaceReference(source: .libvirtd, pid: pid, inodes: ns.inodes, attempts: attempts)
        }
        if !daemonFound {
            attempts.append("libvirtd: no \(daemons.map { root.run($0.pidFile) }.joined(separator: " or "))")
        }

        let me = ProcNamespaces.read(pid: "self", root: root, reader: reader)
        if let reason = unusable(me) {
            attempts.append("self: \(reason)")
            return NamespaceReference(source: nil, pid: nil, inodes: [:], attempts: attempts)
        }
        var selfPid: Int? = nil
        var inodes = me.inodes
        var distrusted: [String: String] = [:]
        if root.isLive {
            if let link = try? reader.readLink(root.proc("self")) { selfPid = Int(link) }
            inodes["mnt"] = nil
            distrusted["mnt"] = selfMountReason
        }
        return NamespaceReference(source: .self, pid: selfPid, inodes: inodes, attempts: attempts, distrusted: distrusted)
    }

    /// A candidate is usable when its mount namespace and every kind other than those the kernel
    /// lacks (not found) could be read.
    static func unusable(_ ns: ProcNamespaces) -> String? {
        if let e = ns.errors["mnt"] { return "\(e)" }
        if let (_, e) = ns.errors.sorted(by: { $0.key < $1.key }).first(where: {
            if case .notFound = $0.value { return false } else { return true }
        }) {
            return "\(e)"
        }
        return nil
    }

    /// `process.namespaces.reference`.
    public var referenceJSON: JSONValue {
        .object(["source": .from(source?.rawValue), "pid": .from(pid)])
    }

    /// Why there is no reference (nil when there is one).
    public var failureReason: String? {
        source == nil ? "no host namespace reference: " + attempts.joined(separator: "; ") : nil
    }
}
