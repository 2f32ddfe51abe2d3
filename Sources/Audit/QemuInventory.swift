import Core
import HostProbes
import Inventory

/// Every qemu on the host, whoever started it. libvirt's list covers only the domains of the
/// daemon the scan is connected to; a qemu started by hand, by another manager (Proxmox VE's
/// `qm`), or by a libvirt daemon in another mount namespace (KubeVirt's virt-launcher pods,
/// containerized OpenStack compute) is found here from the process table (`/proc/<pid>/exe`),
/// matched to the domains by the `-uuid` on its command line, and audited from its process.
///
/// `management.*` facts say, for every VM, who manages it: the connected libvirt, a libvirt
/// daemon in another mount namespace (reached through `/proc/<pid>/root`), or nobody visible.
enum QemuInventory {
    static let schema: [FactField] = [
        FactField("management.kind", .string, source: "libvirt connection, /proc/<pid>/exe, -uuid",
                  "libvirt: a domain of the connected daemon; libvirt-namespaced: a domain of a libvirt daemon in another mount namespace, reached through /proc/<pid>/root; unmanaged: a qemu process that no visible libvirt daemon lists."),
        FactField("management.daemon", .object, source: "/proc/<pid>/exe of libvirtd/virtqemud",
                  "The libvirt daemon in another mount namespace that manages the VM (pid, exe, socket); null for the connected daemon and unmanaged qemus."),
        FactField("management.daemon.pid", .int, source: "/proc/<pid>/exe", "The daemon's pid on the host."),
        FactField("management.daemon.exe", .string, source: "/proc/<pid>/exe", "The daemon's executable."),
        FactField("management.daemon.socket", .string, source: "/proc/<pid>/root/run/libvirt/*-sock-ro",
                  "The read-only socket the domain list was read through (host view)."),
        FactField("management.mountNamespace", .int, source: "/proc/<pid>/ns/mnt", "The qemu process's mount namespace inode."),
        FactField("management.hostMountNamespace", .bool, source: "/proc/<pid>/ns/mnt vs the host reference",
                  "True when the managing daemon (for unmanaged qemus: the qemu) is in the host's mount namespace."),
        FactField("management.cgroup", .string, source: "/proc/<pid>/cgroup", "The qemu process's cgroup path."),
        FactField("management.container", .object, source: "/proc/<pid>/cgroup",
                  "The container the qemu runs in, as the cgroup path names it (runtime, containerId, podUid); null when none is named."),
        FactField("management.container.runtime", .string, source: "/proc/<pid>/cgroup", "docker, containerd, cri-o, podman or kubernetes."),
        FactField("management.container.containerId", .string, source: "/proc/<pid>/cgroup", "The 64-hex-digit container id."),
        FactField("management.container.podUid", .string, source: "/proc/<pid>/cgroup", "The Kubernetes pod uid."),
        FactField("management.kubevirt", .bool, source: "/proc/<pid>/exe of the qemu's ancestors, domain metadata",
                  "True when the qemu belongs to a KubeVirt virt-launcher pod (an ancestor runs virt-launcher, or the domain carries KubeVirt metadata)."),
        FactField("management.pid", .int, source: "/proc/<pid>/exe", "The qemu process found for an unmanaged VM."),
        FactField("management.commandLineName", .string, source: "/proc/<pid>/cmdline (-name)", "The guest name on the qemu command line."),
        FactField("management.startedByLibvirt", .bool, source: "/proc/<pid>/cmdline (monitor socket path)",
                  "True when the qemu's monitor socket lives in a libvirt state directory (a libvirt daemon started it, even if none lists it now)."),

        FactField("host.qemu", .object, source: "/proc/*/exe", "Every qemu system emulator process on the host."),
        FactField("host.qemu.processCount", .int, source: "/proc/*/exe", "qemu processes found by executable."),
        FactField("host.qemu.managedCount", .int, source: "/proc/*/exe, libvirt", "Those accounted for by a visible libvirt daemon."),
        FactField("host.qemu.unmanaged", .list, element: .object, source: "/proc/*/exe, /proc/<pid>/{cmdline,status}",
                  "qemu processes that no visible libvirt daemon lists: pid, uid, name and uuid from the command line, exe, startedByLibvirt."),
        FactField("host.qemu.unmanaged[].pid", .int, source: "/proc/<pid>/exe", "The qemu's pid."),
        FactField("host.qemu.unmanaged[].name", .string, source: "/proc/<pid>/cmdline (-name)", "The guest name on its command line; null without -name."),
        FactField("host.qemu.unmanaged[].uuid", .string, source: "/proc/<pid>/cmdline (-uuid)", "The -uuid on its command line; null without one."),
        FactField("host.qemu.unmanaged[].exe", .string, source: "/proc/<pid>/exe", "The emulator binary."),
        FactField("host.qemu.unmanaged[].uid", .int, source: "/proc/<pid>/status (Uid, effective)", "Its effective uid; null when status could not be read."),
        FactField("host.qemu.unmanaged[].startedByLibvirt", .bool, source: "/proc/<pid>/cmdline (monitor path)",
                  "Its monitor socket is in a libvirt state directory: a libvirt daemon started it but none visible lists it."),
        FactField("host.qemu.unreadableProcesses", .int, source: "/proc/*/exe", "Processes whose exe link could not be read (kernel threads excluded)."),
        FactField("host.libvirt.namespacedDaemons", .list, element: .object, source: "/proc/*/exe, /proc/<pid>/ns/mnt",
                  "libvirt daemons (libvirtd, virtqemud) in a mount namespace other than the host's: pid, exe, mountNamespace, container, socket, reachable, error, domains."),
        FactField("host.libvirt.namespacedDaemons[].pid", .int, source: "/proc/<pid>/exe", "The daemon's pid on the host."),
        FactField("host.libvirt.namespacedDaemons[].exe", .string, source: "/proc/<pid>/exe", "libvirtd or virtqemud."),
        FactField("host.libvirt.namespacedDaemons[].mountNamespace", .int, source: "/proc/<pid>/ns/mnt", "Its mount namespace inode."),
        FactField("host.libvirt.namespacedDaemons[].container", .object, source: "/proc/<pid>/cgroup", "The container its cgroup path names, or null."),
        FactField("host.libvirt.namespacedDaemons[].reachable", .bool, source: "/proc/<pid>/root/run/libvirt/*-sock-ro",
                  "True when its domains were listed through its read-only socket."),
        FactField("host.libvirt.namespacedDaemons[].error", .string, source: "libvirt", "Why it could not be listed; null when it was."),
        FactField("host.libvirt.namespacedDaemons[].domains", .int, source: "libvirt", "How many domains it listed."),
        FactField("host.libvirt.namespacedDaemons[].kubevirt", .bool, source: "/proc/<pid>/exe of its ancestors", "An ancestor runs KubeVirt's virt-launcher."),
    ]

    /// The domain facts only a libvirt definition gives: every top-level family of the fact
    /// schema except the process's (`process`, `sandbox`), `management` and the identity in
    /// `domain.*`.
    static let definitionPaths: [String] = {
        let keep: Set<String> = ["process", "sandbox", "management", "domain", "host"]
        var families: Set<String> = []
        var domainPaths: [String] = []
        for field in Auditor.schema.sortedFields {
            let parts = field.path.split(separator: ".")
            guard let first = parts.first.map(String.init) else { continue }
            if !keep.contains(first) { families.insert(first) }
            if first == "domain", parts.count == 2,
               !["name", "uuid", "id", "running", "state"].contains(String(parts[1])) {
                domainPaths.append(field.path)
            }
        }
        return families.sorted() + domainPaths
    }()

    // MARK: - daemons in other mount namespaces

    /// A libvirt daemon whose mount namespace is not the host's.
    struct Daemon: Sendable {
        var pid: Int
        var exe: String
        var mountNamespace: UInt64?
        var container: ContainerContext?
    }

    /// The read-only sockets a daemon may serve, relative to its root.
    static let socketCandidates = [
        "/run/libvirt/libvirt-sock-ro", "/run/libvirt/virtqemud-sock-ro",
        "/var/run/libvirt/libvirt-sock-ro", "/var/run/libvirt/virtqemud-sock-ro",
    ]

    /// Daemons whose mount namespace differs from the host reference's. Without a mount
    /// reference (a live host where PID 1 and libvirtd cannot be read) nothing is said.
    static func namespacedDaemons(table: ProcessTable, root: HostRoot, hostNamespaces: NamespaceReference) -> [Daemon] {
        guard let hostMnt = hostNamespaces.inodes["mnt"] else { return [] }
        return table.daemons.compactMap { d in
            let ns = ProcNamespaces.read(pid: "\(d.pid)", root: root)
            guard let mnt = ns.inodes["mnt"], mnt != hostMnt else { return nil }
            let cgroup = try? ProcCgroup.read(pid: d.pid, root: root)
            return Daemon(pid: d.pid, exe: d.exe, mountNamespace: mnt,
                          container: cgroup.flatMap { ContainerContext.parse(cgroupPath: $0.path) })
        }
    }

    /// Opens each namespaced daemon's read-only socket through `/proc/<pid>/root` and lists its
    /// domains. Only on a live root: a fixture's sockets are not sockets.
    static func fetch(_ daemons: [Daemon], root: HostRoot) -> (records: [DomainRecord], errors: [Int: String]) {
        var records: [DomainRecord] = []
        var errors: [Int: String] = [:]
        for d in daemons {
            guard root.isLive else {
                errors[d.pid] = "not reached: the scan reads a fixture root, whose sockets cannot be opened"
                continue
            }
            let daemonRoot = "/proc/\(d.pid)/root"
            guard let socket = socketCandidates.map({ daemonRoot + $0 }).first(where: { FileReader.exists($0) }) else {
                errors[d.pid] = "no read-only libvirt socket under \(daemonRoot) (\(socketCandidates.joined(separator: ", ")))"
                continue
            }
            let uri = "qemu+unix:///system?socket=" + socket
            do {
                let connection = try LibvirtConnection(uri: uri)
                defer { connection.close() }
                let listed = try connection.listDomains()
                let managing = ManagingDaemon(pid: d.pid, exe: d.exe, socket: socket, root: daemonRoot)
                records += listed.map { r in var r = r; r.daemon = managing; return r }
            } catch {
                errors[d.pid] = "\(error)"
            }
        }
        return (records, errors)
    }

    // MARK: - per scan

    /// The process table and the command lines read from it during one scan.
    final class Scan: @unchecked Sendable {
        let root: HostRoot
        let table: Result<ProcessTable, ProbeError>
        private var cmdlines: [Int: [String]] = [:]

        init(root: HostRoot) {
            self.root = root
            do { table = .success(try ProcessTable.read(root: root)) } catch { table = .failure(error) }
        }

        var qemus: [ProcessTable.Entry] { (try? table.get())?.qemus ?? [] }

        func cmdline(_ pid: Int) -> [String] {
            if let c = cmdlines[pid] { return c }
            let args = (try? ProcCmdline.read(pid: pid, root: root))?.arguments ?? []
            cmdlines[pid] = args
            return args
        }

        /// The qemu whose command line carries `-uuid <uuid>`.
        func qemu(uuid: String) -> (pid: Int, cmdline: [String])? {
            for q in qemus {
                let args = cmdline(q.pid)
                if ProcessLocator.carriesUUID(args, uuid: uuid) { return (q.pid, args) }
            }
            return nil
        }
    }

    /// `management.*` for a VM whose process facts are in `f`.
    static func recordContext(kind: String, daemon: ManagingDaemon?, hostMountNamespace: Bool?,
                              definition: DomainDefinition?, ancestorsKubeVirt: Bool, into f: inout FactBuilder) {
        f.set("management.kind", .string(kind))
        if let daemon {
            f.set("management.daemon", .object(["pid": .int(daemon.pid), "exe": .string(daemon.exe),
                                                "socket": .string(daemon.socket)]))
        } else {
            f.set("management.daemon", .null)
        }
        let tree = f.tree
        f.set("management.mountNamespace", tree[path: "process.namespaces.mnt.inode"] ?? .null)
        f.set("management.hostMountNamespace", .from(hostMountNamespace))
        let cgroup = tree[path: "process.cgroup.path"]?.stringValue
        f.set("management.cgroup", .from(cgroup))
        f.set("management.container", cgroup.flatMap { ContainerContext.parse(cgroupPath: $0) }?.json ?? .null)
        let kubevirtMetadata = definition?.metadata.contains { $0.namespace?.hasPrefix("http://kubevirt.io") ?? false } ?? false
        f.set("management.kubevirt", .bool(ancestorsKubeVirt || kubevirtMetadata))
    }

    /// True when one of the process's first ancestors runs KubeVirt's virt-launcher.
    static func hasKubeVirtAncestor(pid: Int, root: HostRoot) -> Bool {
        var current = pid
        for _ in 0..<6 {
            guard let s = try? ProcStatus.read(pid: current, root: root), s.ppid > 1 else { return false }
            current = s.ppid
            if let link = try? FileReader.readLink(root.proc("\(current)/exe")) {
                let base = ProcessTable.parseExe(link).path.split(separator: "/").last ?? ""
                if base.hasPrefix("virt-launcher") { return true }
            }
        }
        return false
    }
}

// MARK: - qemus outside the connected libvirt

extension QemuInventory {
    /// A VM found from its qemu process alone.
    struct OutsideVM: Sendable {
        var name: String
        var uuid: String
        var pid: Int
        /// The namespaced libvirt daemon the qemu belongs to, when one was found but its
        /// domain list could not be read.
        var daemonPid: Int?
        var facts: FactBuilder
    }

    /// Finds the qemus no listed domain accounts for, builds their VM facts, and records
    /// `host.qemu.*` and `host.libvirt.namespacedDaemons` into `host`.
    static func outside(scan: Scan, records: [DomainRecord], domainFacts: [FactBuilder],
                        hostNamespaces: NamespaceReference, daemonErrors: [Int: String],
                        into host: inout FactBuilder) -> (vms: [OutsideVM], daemons: [Daemon]) {
        let root = scan.root
        let table: ProcessTable
        switch scan.table {
        case .success(let t): table = t
        case .failure(let e):
            host.setUnknown("host.qemu", reason: "\(e)")
            host.setUnknown("host.libvirt.namespacedDaemons", reason: "\(e)")
            return ([], [])
        }
        let daemons = namespacedDaemons(table: table, root: root, hostNamespaces: hostNamespaces)
        let knownUUIDs = Set(records.map(\.uuid))
        let locatedPids = Set(domainFacts.compactMap { $0.tree[path: "process.pid"]?.intValue })

        var vms: [OutsideVM] = []
        var unmanagedJSON: [JSONValue] = []
        for q in table.qemus where !locatedPids.contains(q.pid) {
            let args = scan.cmdline(q.pid)
            guard !args.isEmpty else { continue }  // exited, or a zombie
            let identity = QemuIdentity.parse(args)
            if let u = identity.uuid, knownUUIDs.contains(u) { continue }  // a listed domain whose pid file failed

            var f = FactBuilder()
            ProcessProbe.collect(pid: q.pid, root: root, hostNamespaces: hostNamespaces, into: &f)
            if f.tree[path: "process.pid"] == nil { continue }  // exited while read
            let cgroup = f.tree[path: "process.cgroup.path"]?.stringValue
            let container = cgroup.flatMap { ContainerContext.parse(cgroupPath: $0) }
            let mnt = f.tree[path: "process.namespaces.mnt.inode"]?.intValue.map(UInt64.init)
            let daemon = daemons.first { d in
                (mnt != nil && mnt == d.mountNamespace)
                    || (container != nil && d.container != nil
                        && (container?.podUID != nil && container?.podUID == d.container?.podUID
                            || container?.containerID != nil && container?.containerID == d.container?.containerID))
            }
            let name = identity.name.flatMap { $0.isEmpty ? nil : $0 } ?? "qemu-\(q.pid)"
            let uuid = identity.uuid ?? "pid-\(q.pid)"
            let why = daemon.map { "qemu \(q.pid) belongs to libvirt daemon \($0.pid) in another mount namespace, whose domain list could not be read: \(daemonErrors[$0.pid] ?? "not reached")" }
                ?? "qemu \(q.pid) is not managed by a visible libvirt daemon: there is no domain definition to judge"
            var vm = FactBuilder()
            vm.set("domain.name", .string(name))
            vm.set("domain.uuid", .string(uuid))
            vm.set("domain.id", .null)
            vm.set("domain.running", .bool(true))
            vm.set("domain.state", .string("running"))
            // What only a domain definition tells does not apply: those layers show no verdict
            // instead of failing for want of a file that does not exist.
            for path in definitionPaths { vm.setNotApplicable(path, reason: why) }
            vm.absorb(f)
            vm.set("process.located", .bool(true))
            vm.set("process.source", .string("/proc/\(q.pid)/exe"))
            let hostMnt = hostNamespaces.inodes["mnt"]
            recordContext(kind: daemon == nil ? "unmanaged" : "libvirt-namespaced",
                          daemon: daemon.map { ManagingDaemon(pid: $0.pid, exe: $0.exe, socket: "", root: "/proc/\($0.pid)/root") },
                          hostMountNamespace: daemon != nil ? false : (mnt != nil && hostMnt != nil ? mnt == hostMnt : nil),
                          definition: nil, ancestorsKubeVirt: hasKubeVirtAncestor(pid: q.pid, root: root), into: &vm)
            vm.set("management.pid", .int(q.pid))
            vm.set("management.commandLineName", .from(identity.name))
            vm.set("management.startedByLibvirt", .bool(identity.startedByLibvirt))
            vms.append(OutsideVM(name: name, uuid: uuid, pid: q.pid, daemonPid: daemon?.pid, facts: vm))
            if daemon == nil {
                unmanagedJSON.append(.object([
                    "pid": .int(q.pid), "name": .from(identity.name), "uuid": .from(identity.uuid),
                    "exe": .string(q.exe), "uid": f.tree[path: "process.uid"] ?? .null,
                    "startedByLibvirt": .bool(identity.startedByLibvirt),
                ]))
            }
        }
        host.set("host.qemu.processCount", .int(table.qemus.count))
        host.set("host.qemu.managedCount", .int(table.qemus.count - unmanagedJSON.count))
        host.set("host.qemu.unmanaged", .array(unmanagedJSON))
        host.set("host.qemu.unreadableProcesses", .int(table.unreadable))

        var perDaemon: [Int: Int] = [:]
        for r in records { if let d = r.daemon { perDaemon[d.pid, default: 0] += 1 } }
        host.set("host.libvirt.namespacedDaemons", .array(daemons.map { d in
            let reached = perDaemon[d.pid] != nil || daemonErrors[d.pid] == nil && root.isLive
            return .object([
                "pid": .int(d.pid), "exe": .string(d.exe), "mountNamespace": .from(d.mountNamespace.map { Int($0) }),
                "container": d.container?.json ?? .null,
                "reachable": .bool(reached), "error": .from(daemonErrors[d.pid]),
                "domains": .int(perDaemon[d.pid] ?? 0),
                "kubevirt": .bool(hasKubeVirtAncestor(pid: d.pid, root: root)),
            ])
        }))
        return (vms, daemons)
    }

    /// The host facts a VM of daemon `pid` is judged with: the host's, with `host.qemuConf` read
    /// from the daemon's own root (`/proc/<pid>/root/etc/libvirt/qemu.conf`).
    static func daemonContext(pid: Int, root: HostRoot, host: FactBuilder) -> JSONValue {
        let daemonRoot = HostRoot(root.proc("\(pid)/root"))
        var conf = FactBuilder()
        do {
            try QemuConf.read(root: daemonRoot).record(into: &conf)
        } catch {
            conf.setUnknown("host.qemuConf", reason: "\(error)")
        }
        conf.set("host.qemuConf.path", .string("/proc/\(pid)/root" + QemuConf.path))
        var h = host
        h.replace("host.qemuConf", from: conf)
        return h.facts
    }
}
