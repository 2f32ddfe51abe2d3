import Core

/// Collects one qemu process's confinement: `process.*` (credentials, capabilities, NoNewPrivs,
/// seccomp, namespaces, root, cgroup, cmdline, SELinux/AppArmor labels) and `sandbox.*` (the
/// `-sandbox`/`-runas`/`-chroot`/accelerator options on its command line).
///
/// Each file is read once: status, cgroup, cmdline, root, attr/current, attr/apparmor/current
/// and the eight ns links, 14 reads per process. A process that exits while it is read (a file
/// vanishes and `/proc/<pid>` with it, ESRCH, or the task is a zombie) makes both subtrees
/// unknown with the reason "process N exited during the scan"; any other failure makes only
/// the facts of that file unknown.
public enum ProcessProbe {
    /// The facts of process `pid`, rooted at `process` and `sandbox`.
    /// `hostNamespaces` comes from `NamespaceReference.resolve(root:)`, called once per scan.
    public static func collect(pid: Int, root: HostRoot, hostNamespaces: NamespaceReference,
                               reader: ProcReader = .live) -> FactBuilder {
        var b = FactBuilder()
        collect(pid: pid, root: root, hostNamespaces: hostNamespaces, into: &b, reader: reader)
        return b
    }

    /// The facts of a running domain's qemu, found through libvirt's pid file
    /// `/run/libvirt/qemu/<name>.pid`. When the pid file cannot be read, `process` and `sandbox`
    /// are unknown with that reason.
    public static func collect(domainName: String, root: HostRoot, hostNamespaces: NamespaceReference,
                               reader: ProcReader = .live) -> FactBuilder {
        var b = FactBuilder()
        do {
            let pid = try PidFile.read(domain: domainName, root: root, reader: reader)
            collect(pid: pid, root: root, hostNamespaces: hostNamespaces, into: &b, reader: reader)
        } catch {
            b.setUnknown("process", reason: "\(error)")
            b.setUnknown("sandbox", reason: "\(error)")
        }
        return b
    }

    /// Writes the facts of process `pid` into a domain's builder (`process.*`, `sandbox.*`).
    public static func collect(pid: Int, root: HostRoot, hostNamespaces: NamespaceReference,
                               into b: inout FactBuilder, reader: ProcReader = .live) {
        let status = Result(probing: { () throws(ProbeError) -> ProcStatus in try ProcStatus.read(pid: pid, root: root, reader: reader) })
        if case .success(let s) = status, s.hasExited {
            markGone(pid, &b)
            return
        }
        let namespaces = ProcNamespaces.read(pid: "\(pid)", root: root, reader: reader)
        let cgroup = Result(probing: { () throws(ProbeError) -> ProcCgroup in try ProcCgroup.read(pid: pid, root: root, reader: reader) })
        let cmdline = Result(probing: { () throws(ProbeError) -> ProcCmdline in try ProcCmdline.read(pid: pid, root: root, reader: reader) })
        let procRoot = Result(probing: { () throws(ProbeError) -> ProcRoot in try ProcRoot.read(pid: pid, root: root, reader: reader) })
        let attr = ProcAttr.read(pid: pid, root: root, reader: reader)

        var errors: [ProbeError] = []
        for r in [status.probeFailure, cgroup.probeFailure, cmdline.probeFailure, procRoot.probeFailure] { if let e = r { errors.append(e) } }
        errors += namespaces.errors.values
        errors += attr.readErrors
        if processExited(pid: pid, root: root, errors: errors, reader: reader) {
            markGone(pid, &b)
            return
        }

        b.set("process.pid", .int(pid))
        switch status {
        case .success(let s): setStatus(s, &b)
        case .failure(let e): for p in statusPaths { b.setUnknown("process." + p, reason: "\(e)") }
        }
        setNamespaces(namespaces, host: hostNamespaces, &b)
        switch cgroup {
        case .success(let c):
            b.set("process.cgroup", .object([
                "path": .string(c.path), "version": .int(c.version),
                "machineScope": .bool(c.machineScope != nil), "scope": .from(c.machineScope),
                "machine": .from(c.machineName),
            ]))
        case .failure(let e): b.setUnknown("process.cgroup", reason: "\(e)")
        }
        switch procRoot {
        case .success(let r):
            b.set("process.root", .object(["path": .string(r.path), "chrooted": .bool(r.chrooted)]))
        case .failure(let e): b.setUnknown("process.root", reason: "\(e)")
        }
        switch cmdline {
        case .success(let c):
            b.set("process.cmdline", .from(c.arguments))
            setSandbox(QemuSandbox.parse(c), &b)
        case .failure(let e):
            b.setUnknown("process.cmdline", reason: "\(e)")
            b.setUnknown("sandbox", reason: "\(e)")
        }
        setLabels(attr, &b)
    }

    /// True when the failures show the process has gone: ESRCH, or a file missing and
    /// `/proc/<pid>` with it.
    static func processExited(pid: Int, root: HostRoot, errors: [ProbeError], reader: ProcReader) -> Bool {
        var missing = false
        for e in errors {
            switch e {
            case .processGone: return true
            case .notFound: missing = true
            default: break
            }
        }
        return missing && !reader.exists(root.proc("\(pid)"))
    }

    static func markGone(_ pid: Int, _ b: inout FactBuilder) {
        let reason = ProbeError.processGone(pid: pid).description
        b.setUnknown("process", reason: reason)
        b.setUnknown("sandbox", reason: reason)
    }

    /// The `process.*` facts that come from the status file.
    static let statusPaths = ["name", "ppid", "state", "stateName", "uid", "gid", "uids", "gids", "groups",
                              "nspid", "capabilities", "noNewPrivs", "seccomp"]

    static func setStatus(_ s: ProcStatus, _ b: inout FactBuilder) {
        func ids(_ v: [Int]) -> JSONValue {
            .object(["real": .int(v[0]), "effective": .int(v[1]), "saved": .int(v[2]), "filesystem": .int(v[3])])
        }
        b.set("process.name", .string(s.name))
        b.set("process.ppid", .int(s.ppid))
        b.set("process.state", .string(s.state))
        b.set("process.stateName", .from(s.stateName))
        b.set("process.uid", .int(s.effectiveUID))
        b.set("process.gid", .int(s.effectiveGID))
        b.set("process.uids", ids(s.uid))
        b.set("process.gids", ids(s.gid))
        b.set("process.groups", .array(s.groups.map { .int($0) }))
        b.set("process.nspid", .array(s.nspid.map { .int($0) }))

        let sets: [(String, CapabilitySet?)] = [
            ("effective", s.capEff), ("permitted", s.capPrm), ("bounding", s.capBnd),
            ("inheritable", s.capInh), ("ambient", s.capAmb),
        ]
        for (name, set) in sets {
            if let set {
                b.set("process.capabilities.\(name)", .from(set.names))
                b.set("process.capabilities.\(name)Hex", .string(set.hex))
                b.set("process.capabilities.\(name)Count", .int(set.count))
            } else {
                let reason = "the kernel reports no CapAmb (ambient capabilities appeared in Linux 4.3)"
                for suffix in ["", "Hex", "Count"] { b.setUnknown("process.capabilities.\(name)\(suffix)", reason: reason) }
            }
        }

        if let n = s.noNewPrivs {
            b.set("process.noNewPrivs", .bool(n))
        } else {
            b.setUnknown("process.noNewPrivs", reason: "the kernel reports no NoNewPrivs (it appeared in Linux 4.10)")
        }
        if let m = s.seccomp {
            b.set("process.seccomp.mode", .int(m))
            b.set("process.seccomp.modeName", .string(ProcStatus.seccompModeName(m)))
        } else {
            let reason = "the kernel reports no Seccomp line (built without CONFIG_SECCOMP)"
            b.setUnknown("process.seccomp.mode", reason: reason)
            b.setUnknown("process.seccomp.modeName", reason: reason)
        }
        if let f = s.seccompFilters {
            b.set("process.seccomp.filters", .int(f))
        } else {
            b.setUnknown("process.seccomp.filters", reason: "the kernel reports no Seccomp_filters (it appeared in Linux 5.9)")
        }
    }

    static func setNamespaces(_ ns: ProcNamespaces, host: NamespaceReference, _ b: inout FactBuilder) {
        if let reason = host.failureReason {
            b.setUnknown("process.namespaces.reference", reason: reason)
        } else {
            b.set("process.namespaces.reference", host.referenceJSON)
        }
        var privateKinds: [String] = []
        var undecided: [String] = []
        for kind in ProcNamespaces.kinds {
            let base = "process.namespaces.\(kind)"
            guard let inode = ns.inodes[kind] else {
                let e = ns.errors[kind].map { "\($0)" } ?? "not read"
                b.setUnknown(base, reason: e)
                // A kind the kernel lacks cannot be private; any other failure leaves the count open.
                if case .notFound? = ns.errors[kind] {} else { undecided.append(kind) }
                continue
            }
            b.set(base + ".inode", .int(Int(truncatingIfNeeded: inode)))
            if let hostInode = host.inodes[kind] {
                b.set(base + ".hostInode", .int(Int(truncatingIfNeeded: hostInode)))
                b.set(base + ".sharedWithHost", .bool(inode == hostInode))
                if inode != hostInode { privateKinds.append(kind) }
            } else {
                let reason = host.failureReason ?? host.distrusted[kind]
                    ?? "the host reference (\(host.source?.rawValue ?? "none")) has no \(kind) namespace"
                b.setUnknown(base + ".hostInode", reason: reason)
                b.setUnknown(base + ".sharedWithHost", reason: reason)
                undecided.append(kind)
            }
        }
        if undecided.isEmpty {
            b.set("process.namespaces.private", .from(privateKinds))
            b.set("process.namespaces.privateCount", .int(privateKinds.count))
        } else {
            let reason = "sharing of \(undecided.joined(separator: ", ")) with the host is unknown"
            b.setUnknown("process.namespaces.private", reason: reason)
            b.setUnknown("process.namespaces.privateCount", reason: reason)
        }
    }

    public static func setSandbox(_ s: QemuSandbox, _ b: inout FactBuilder) {
        b.set("sandbox.enabled", .bool(s.enabled))
        for n in QemuSandbox.optionNames { b.set("sandbox.options.\(n)", .from(s.options[n])) }
        b.set("sandbox.explicitOptions", .from(s.explicitOptions))
        b.set("sandbox.runas", .from(s.runas))
        b.set("sandbox.chroot", .from(s.chroot))
        b.set("sandbox.accel", .string(s.accel))
        b.set("sandbox.accels", .from(s.accels))
        b.set("sandbox.kvm", .bool(s.kvm))
        b.set("sandbox.binary", .from(s.binary))
        b.set("sandbox.uuid", .from(s.uuid))
        b.set("sandbox.guestName", .from(s.guestName))
    }

    public static func setLabels(_ attr: ProcAttr, _ b: inout FactBuilder) {
        switch attr.selinux {
        case .label(let c):
            b.set("process.lsm.selinux", true)
            let cats = c.mls?.categories ?? []
            b.set("process.selinux", .object([
                "context": .string(c.raw), "user": .string(c.user), "role": .string(c.role),
                "type": .string(c.type), "level": .from(c.level), "sensitivity": .from(c.mls?.sensitivity),
                "categories": .array(cats.map { .int($0) }), "categoryCount": .int(cats.count),
                "fullRange": .bool(c.mls?.fullRange ?? false), "confinedType": .bool(c.confinedType),
                "typeClass": .string(c.typeClass.rawValue),
            ]))
        case .absent(let reason):
            b.set("process.lsm.selinux", false)
            b.setUnknown("process.selinux", reason: reason)
        case .failed(let e):
            b.setUnknown("process.lsm.selinux", reason: "\(e)")
            b.setUnknown("process.selinux", reason: "\(e)")
        }
        switch attr.apparmor {
        case .label(let l):
            b.set("process.lsm.apparmor", true)
            b.set("process.apparmor", .object([
                "profile": .string(l.profile), "mode": .string(l.mode), "confined": .bool(l.confined),
                "uuid": .from(l.libvirtUUID),
            ]))
        case .absent(let reason):
            b.set("process.lsm.apparmor", false)
            b.setUnknown("process.apparmor", reason: reason)
        case .failed(let e):
            b.setUnknown("process.lsm.apparmor", reason: "\(e)")
            b.setUnknown("process.apparmor", reason: "\(e)")
        }
    }
}

extension Result {
    var probeFailure: Failure? { if case .failure(let e) = self { return e } else { return nil } }
}
