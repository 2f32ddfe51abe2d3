import Core

/// The management plane and the host's KVM knobs: libvirt daemons (`host.libvirtd.*`), SELinux
/// depth (`host.selinux.booleans`, `riskyBooleansOn`, `permissiveTypes`), KVM module parameters
/// (`host.kvmModule.*`), KSM (`host.ksm.*`), two sysctls (`host.sysctl.*`), cgroup controllers
/// (`host.cgroups.*`) and libvirt hook scripts (`host.libvirtHooks.*`). Each source fails alone.
extension HostProbe {
    static func collectManagement(root: HostRoot, into facts: inout FactBuilder) {
        probe("host.libvirtd", &facts) { try LibvirtDaemons.read(root: root).record(into: &$0) }
        collectSELinuxDepth(root: root, into: &facts)
        probe("host.kvmModule", &facts) {
            try recordKVM(try KVMModuleParameters.read(root: root), try ModprobeOptions.read(root: root), into: &$0)
        }
        probe("host.ksm", &facts) { f in
            if let k = try KSMState.read(root: root) {
                f.set("host.ksm.present", true)
                f.set("host.ksm.run", .int(k.run))
                f.set("host.ksm.merging", .bool(k.run == 1))
                f.set("host.ksm.pagesShared", .from(k.pagesShared))
                f.set("host.ksm.pagesSharing", .from(k.pagesSharing))
            } else {
                f.set("host.ksm.present", false)
                f.set("host.ksm.merging", false)
            }
        }
        for (key, path) in [("unprivilegedUserfaultfd", HostSysctls.userfaultfdPath), ("unprivilegedBpfDisabled", HostSysctls.bpfPath)] {
            do {
                if let v = try HostSysctls.read(path, root: root) {
                    facts.set("host.sysctl.\(key)", .int(v))
                } else {
                    facts.setUnknown("host.sysctl.\(key)", reason: "\(path): no such sysctl in this kernel")
                }
            } catch {
                facts.setUnknown("host.sysctl.\(key)", reason: "\(error)")
            }
        }
        probe("host.cgroups", &facts) { f in
            let c = try ProcCgroups.read(root: root)
            f.set("host.cgroups.controllers", .object(c.controllers.mapValues { .bool($0) }))
            f.set("host.cgroups.missing", .from(c.missing))
        }
        probe("host.libvirtHooks", &facts) { f in
            let h = try LibvirtHooks.read(root: root)
            f.set("host.libvirtHooks.scripts", .array(h.scripts.map { .object(["path": .string($0.path), "executable": .bool($0.executable)]) }))
            f.set("host.libvirtHooks.count", .int(h.scripts.count))
        }
    }

    /// Booleans and the policy store, once `host.selinux.*` is known.
    static func collectSELinuxDepth(root: HostRoot, into facts: inout FactBuilder) {
        // Unknown SELinux state: the reason recorded for host.selinux covers these paths too.
        guard let enabled = facts.tree[path: "host.selinux.enabled"]?.boolValue else { return }
        guard enabled else {
            // No policy is loaded: nothing is permissive and no boolean applies.
            facts.set("host.selinux.booleans", .object([:]))
            facts.set("host.selinux.riskyBooleansOn", .array([]))
            facts.set("host.selinux.permissiveTypes", .array([]))
            return
        }
        do {
            if let b = try SELinuxBooleans.read(root: root) {
                facts.set("host.selinux.booleans", .object(b.values.mapValues { .bool($0) }))
                facts.set("host.selinux.riskyBooleansOn", .from(b.riskyOn))
            } else {
                let r = "\(root.path(SELinuxBooleans.directory)): no such directory"
                facts.setUnknown("host.selinux.booleans", reason: r)
                facts.setUnknown("host.selinux.riskyBooleansOn", reason: r)
            }
        } catch {
            facts.setUnknown("host.selinux.booleans", reason: "\(error)")
            facts.setUnknown("host.selinux.riskyBooleansOn", reason: "\(error)")
        }
        let type = facts.tree[path: "host.selinux.policyType"]?.stringValue ?? "targeted"
        do {
            facts.set("host.selinux.permissiveTypes", .from(try SELinuxPolicyStore.read(root: root, policyType: type).permissiveTypes))
        } catch {
            facts.setUnknown("host.selinux.permissiveTypes", reason: "\(error)")
        }
    }

    static func recordKVM(_ k: KVMModuleParameters, _ m: ModprobeOptions, into f: inout FactBuilder) throws(ProbeError) {
        let p = "host.kvmModule"
        f.set("\(p).loaded", .bool(k.parameters["kvm"] != nil))
        f.set("\(p).vendor", .from(k.vendor))
        f.set("\(p).parameters", .object(k.parameters.mapValues { .object($0.mapValues { .string($0) }) }))
        f.set("\(p).modprobeOptions", .array(m.options.map {
            .object(["module": .string($0.module), "name": .string($0.name), "value": .string($0.value), "source": .string($0.source)])
        }))
        // A loaded module shows the value in force; otherwise modprobe.d gives the value at next load.
        func resolve(_ modules: [String], _ name: String) -> (value: String, source: String)? {
            for mod in modules {
                if let v = k.parameters[mod]?[name] { return (v, KVMModuleParameters.directory(mod) + "/" + name) }
            }
            for mod in modules where k.parameters[mod] == nil {
                if let o = m.value(mod, name) { return (o.value, o.source) }
            }
            return nil
        }
        let vendors = k.vendor.map { [$0] } ?? ["kvm_intel", "kvm_amd"]
        if let n = resolve(vendors, "nested"), let b = KVMModuleParameters.bool(n.value) {
            f.set("\(p).nested", .bool(b))
            f.set("\(p).nestedSource", .string(n.source))
        } else {
            f.setUnknown("\(p).nested", reason: "no kvm_intel or kvm_amd module is loaded and modprobe.d sets no nested option")
            f.set("\(p).nestedSource", .null)
        }
        if let n = resolve(["kvm"], "nx_huge_pages") {
            f.set("\(p).nxHugePages", .string(n.value))
        } else {
            f.setUnknown("\(p).nxHugePages", reason: "kvm module not loaded and no nx_huge_pages option in modprobe.d")
        }
        if let n = resolve(["kvm_intel"], "vmentry_l1d_flush") {
            f.set("\(p).vmentryL1dFlush", .string(n.value))
        } else {
            f.setUnknown("\(p).vmentryL1dFlush", reason: "kvm_intel not loaded and no vmentry_l1d_flush option in modprobe.d")
        }
    }
}

extension LibvirtDaemons {
    /// Records `host.libvirtd.*`.
    public func record(into f: inout FactBuilder) {
        let p = "host.libvirtd"
        let modular = daemons.contains { $0.name != "libvirtd" && ($0.process != nil || !$0.units.isEmpty) }
        let mono = daemons.contains { $0.name == "libvirtd" && ($0.process != nil || !$0.units.isEmpty) }
        f.set("\(p).mode", .string(mono && modular ? "mixed" : mono ? "monolithic" : modular ? "modular" : "none"))
        f.set("\(p).hostNetNamespace", .from(hostNetNamespace))
        f.set("\(p).socketUnits", .from(units))
        var listeners: [JSONValue] = []
        var list: [JSONValue] = []
        var anyOpen = false, anyUnknown = false, anyRemote = false
        for d in daemons {
            let (settings, errors) = d.conf?.settings(for: d.name) ?? ([:], [:])
            var problems = Array(errors.values).sorted()
            if let e = d.confError { problems.append(e) }
            if let e = d.listenerError { problems.append(e) }
            let open = [d.tcpNoAuth, d.tlsNoAuth]
            if open.contains(true) { anyOpen = true } else if open.contains(nil) { anyUnknown = true }
            if d.tcpEnabled == true || d.tlsEnabled == true { anyRemote = true }
            let remote: Bool? = d.tcpEnabled == true || d.tlsEnabled == true ? true
                : (d.tcpEnabled == nil || d.tlsEnabled == nil ? nil : false)
            list.append(.object([
                "name": .string(d.name),
                "pid": .from(d.process?.pid),
                "running": .bool(d.process != nil),
                "configPath": .from(d.conf?.path ?? d.process?.configArgument ?? LibvirtDaemonConf.defaultPath(d.name)),
                "configPresent": .from(d.conf?.present),
                "configFromArgument": .bool(d.process?.configArgument != nil),
                "listenArgument": .bool(d.listenArgument),
                "units": .from(d.units),
                "socketActivated": .bool(d.socketActivated),
                "tcpSocketUnit": .bool(d.tcpUnit),
                "tlsSocketUnit": .bool(d.tlsUnit),
                "hostNetwork": .from(d.hostNetwork),
                "settings": .object(settings),
                "tcpEnabled": .from(d.tcpEnabled),
                "tlsEnabled": .from(d.tlsEnabled),
                "remoteEnabled": .from(remote),
                "tcpNoAuth": .from(d.tcpNoAuth),
                "tlsNoAuth": .from(d.tlsNoAuth),
                "unixRwOpen": .from(d.unixRwOpen),
                "errors": .from(problems),
            ]))
            for l in d.listeners {
                listeners.append(.object([
                    "daemon": .string(d.name), "pid": .from(d.process?.pid), "family": .string(l.family),
                    "address": .string(l.address), "port": .int(l.port), "protocol": .string(d.proto(l)),
                    "loopback": .bool(l.loopback), "hostNetwork": .from(d.hostNetwork), "inode": .int(Int(l.inode)),
                ]))
            }
            for e in problems { f.markUnknown("\(p).daemons", reason: e) }
        }
        recordEvidence(into: &f)
        f.set("\(p).daemons", .array(list))
        f.set("\(p).listeners", .array(listeners))
        f.set("\(p).remoteEnabled", .bool(anyRemote))
        if anyOpen {
            f.set("\(p).unauthenticatedRemote", true)
        } else if anyUnknown {
            f.setUnknown("\(p).unauthenticatedRemote", reason: "a libvirt daemon's remote access could not be determined (see host.libvirtd.daemons[].errors)")
        } else {
            f.set("\(p).unauthenticatedRemote", false)
        }
        if let s = sasl {
            f.set("\(p).sasl.present", .bool(s.present))
            f.set("\(p).sasl.mechList", .from(s.mechList))
            f.set("\(p).sasl.onlyStrongMechanisms", .bool(s.onlyStrongMechanisms))
        } else {
            f.setUnknown("\(p).sasl", reason: saslError ?? "\(SASLLibvirtConf.path): unreadable")
        }
    }

    /// `host.libvirtd.tcpWithoutAuth` / `tlsWithoutVerification`: one line of evidence per open
    /// daemon (who, where it listens, which setting lets everyone in); null when a daemon's state is
    /// unknown and none is known to be open.
    func recordEvidence(into f: inout FactBuilder) {
        let p = "host.libvirtd"
        func line(_ d: Daemon, _ proto: String, _ key: String, _ extra: String) -> String {
            let who = d.process.map { "\(d.name) pid \($0.pid)" } ?? "\(d.name) (not running)"
            let conf = d.conf?.path ?? LibvirtDaemonConf.defaultPath(d.name)
            let live = d.listeners.filter { d.proto($0) == proto }
                .map { $0.family == "tcp6" ? "[\($0.address)]:\($0.port)" : "\($0.address):\($0.port)" }
            let whereText: String
            if !live.isEmpty { whereText = "listening on " + live.joined(separator: ", ") }
            else if d.units.contains(d.name + "-\(proto).socket") { whereText = "\(d.name)-\(proto).socket enabled" }
            else { whereText = "listen_\(proto) = 1 (\(d.conf?.resolved("listen_\(proto)")?.source ?? conf))" }
            let src = d.conf?.resolved(key)?.source ?? "default"
            return "\(who), config \(conf): \(proto.uppercased()) \(whereText), \(key) = \"none\" (\(src))\(extra)"
        }
        for (key, pick, proto, extra) in [
            ("tcpWithoutAuth", { (d: Daemon) in d.tcpNoAuth }, "tcp", ""),
            ("tlsWithoutVerification", { (d: Daemon) in d.tlsNoAuth }, "tls", ", tls_no_verify_certificate = 1"),
        ] {
            let auth = proto == "tcp" ? "auth_tcp" : "auth_tls"
            let open = daemons.filter { pick($0) == true }.map { line($0, proto, auth, extra) }
            if open.isEmpty, daemons.contains(where: { pick($0) == nil }) {
                f.setUnknown("\(p).\(key)", reason: "a libvirt daemon's \(proto.uppercased()) access could not be determined (see host.libvirtd.daemons[].errors)")
            } else {
                f.set("\(p).\(key)", .from(open))
            }
        }
    }
}
