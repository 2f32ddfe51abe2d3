import Core

/// Where a domain's qemu process is, or why it cannot be said.
public enum ProcessLocation: Sendable, Hashable {
    /// `source` is the host path the pid came from (`/run/libvirt/qemu/va.pid`).
    case found(pid: Int, cmdline: [String], source: String)
    case unknown(reason: String)

    public var pid: Int? { if case .found(let pid, _, _) = self { return pid } else { return nil } }
}

/// Finds the qemu process of a domain from libvirt's runtime records under a `HostRoot`:
/// `/run/libvirt/qemu/<name>.pid` (`PidFile`), else the `<domstatus pid=...>` of
/// `/run/libvirt/qemu/<name>.xml` (`DomainStatusFile`), under `/var/run/libvirt/qemu` when the
/// root has no `/run/libvirt/qemu`. A pid is only trusted when `/proc/<pid>/cmdline` carries the
/// domain's UUID (qemu is started with `-uuid <uuid>`), so a stale record whose pid was reused by
/// another process is rejected. The caller passes the domain's name, UUID and `type` attribute
/// from its XML (the type decides, not the connection's driver).
public struct ProcessLocator: Sendable {
    public let root: HostRoot

    public init(root: HostRoot = HostRoot()) { self.root = root }

    /// Locates the process of a qemu/kvm domain; `type` is the `<domain type=...>` of its XML.
    public func locate(name: String, uuid: String, type: String) -> ProcessLocation {
        guard type == "qemu" || type == "kvm" else {
            return .unknown(reason: "domain type '\(type)' is not run by qemu; there is no qemu process to locate")
        }
        guard !uuid.isEmpty else { return .unknown(reason: "domain \(name) has no UUID to verify a process against") }
        guard !name.isEmpty, !name.contains("/") else { return .unknown(reason: "domain name '\(name)' cannot name a runtime file") }

        let dir = runtimeDirectory()
        var reasons: [String] = []
        var tried: Set<Int> = []

        let pidPath = dir + "/" + name + ".pid"
        switch readPidFile(pidPath) {
        case .success(let pid):
            tried.insert(pid)
            switch verify(pid: pid, uuid: uuid, source: pidPath) {
            case .success(let found): return found
            case .failure(let r): reasons.append(r.reason)
            }
        case .failure(let r): reasons.append(r.reason)
        }

        let statusPath = dir + "/" + name + ".xml"
        switch readDomstatus(statusPath) {
        case .success(let pid) where !tried.contains(pid):
            switch verify(pid: pid, uuid: uuid, source: statusPath) {
            case .success(let found): return found
            case .failure(let r): reasons.append(r.reason)
            }
        case .success:
            break  // same pid as the pid file: already rejected
        case .failure(let r): reasons.append(r.reason)
        }
        return .unknown(reason: reasons.joined(separator: "; "))
    }

    // MARK: - reading

    struct Failure: Error { var reason: String }

    /// `run/libvirt/qemu` under the root, else `var/run/libvirt/qemu` (hosts where /var/run is no link).
    private func runtimeDirectory() -> String {
        let run = "/run/libvirt/qemu"
        if FileReader.isDirectory(root.path(run)) { return run }
        let varRun = "/var/run/libvirt/qemu"
        if FileReader.isDirectory(root.path(varRun)) { return varRun }
        return run
    }

    private func readPidFile(_ hostPath: String) -> Result<Int, Failure> {
        do {
            return .success(try PidFile.read(root.path(hostPath)))
        } catch {
            return .failure(Failure(reason: error.hostView(root).description))
        }
    }

    private func readDomstatus(_ hostPath: String) -> Result<Int, Failure> {
        do {
            return .success(try DomainStatusFile.readPid(root.path(hostPath)))
        } catch {
            return .failure(Failure(reason: error.hostView(root).description))
        }
    }

    private func verify(pid: Int, uuid: String, source: String) -> Result<ProcessLocation, Failure> {
        let path = root.proc("\(pid)/cmdline")
        let bytes: [UInt8]
        do {
            bytes = try FileReader.read(path)
        } catch .notFound, .processGone {
            return .failure(Failure(reason: "process \(pid) from \(source) is gone"))
        } catch {
            return .failure(Failure(reason: "cannot read /proc/\(pid)/cmdline (pid from \(source)): \(error)"))
        }
        let args = Self.parseCmdline(bytes)
        if args.isEmpty {
            return .failure(Failure(reason: "process \(pid) from \(source) has an empty command line (exiting or a kernel thread)"))
        }
        guard Self.carriesUUID(args, uuid: uuid) else {
            return .failure(Failure(reason: "pid \(pid) from \(source) does not carry uuid \(uuid) on its command line (stale record, pid reused by \(args[0]))"))
        }
        return .success(.found(pid: pid, cmdline: args, source: source))
    }

    // MARK: - parsing

    /// `/proc/<pid>/cmdline`: arguments separated (and terminated) by NUL.
    static func parseCmdline(_ bytes: [UInt8]) -> [String] {
        var parts = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if parts.last == "" { parts.removeLast() }
        return parts
    }

    /// qemu is started with `-uuid <uuid>`; compared case-insensitively.
    public static func carriesUUID(_ args: [String], uuid: String) -> Bool {
        let want = uuid.lowercased()
        for (i, a) in args.enumerated() where (a == "-uuid" || a == "--uuid") && i + 1 < args.count {
            if args[i + 1].lowercased() == want { return true }
        }
        return false
    }
}
