import Core

extension HostProbe {
    /// The facts of `collectManagement` (documented in Docs/facts/management.md).
    static let management: [FactField] = libvirtd + selinuxDepth + kvmModule + kernelKnobs

    private static let libvirtd: [FactField] = {
        let proc = "/proc/<pid>/{comm,cmdline,fd,ns/net}", conf = "/etc/libvirt/<daemon>.conf or the -f file"
        let units = SystemdWants.directory + "/*.wants/"
        let tcp = "/proc/<pid>/net/tcp, tcp6"
        let d = "host.libvirtd.daemons[]", l = "host.libvirtd.listeners[]"
        var fields: [FactField] = [
            FactField("host.libvirtd.mode", .string, source: "\(proc), \(units)", "monolithic (libvirtd), modular (virtqemud, virtproxyd...), mixed, or none"),
            FactField("host.libvirtd.hostNetNamespace", .string, source: "/proc/1/ns/net (live: /proc/self/ns/net when PID 1 is unreadable)", "the host's network namespace, net:[inode]"),
            FactField("host.libvirtd.socketUnits", .list, element: .string, source: units, "enabled units of libvirt daemons (libvirtd-tcp.socket, virtproxyd-tls.socket...)"),
            FactField("host.libvirtd.remoteEnabled", .bool, source: "\(proc), \(units), \(conf)", "some daemon accepts TCP or TLS connections"),
            FactField("host.libvirtd.unauthenticatedRemote", .bool, source: "\(proc), \(units), \(conf)", "some daemon accepts remote connections without authentication (TCP with auth_tcp none, or TLS with auth_tls none and tls_no_verify_certificate)"),
            FactField("host.libvirtd.tcpWithoutAuth", .list, element: .string, source: "\(tcp), \(units), \(conf)", "one line per daemon accepting TCP with auth_tcp = \"none\": pid, config file, listener, the setting's file:line"),
            FactField("host.libvirtd.tlsWithoutVerification", .list, element: .string, source: "\(tcp), \(units), \(conf)", "one line per daemon accepting TLS with auth_tls = \"none\" and tls_no_verify_certificate = 1"),
            FactField("host.libvirtd.daemons", .list, element: .object, source: "\(proc), \(units), \(conf)", "every libvirt daemon running, configured or enabled"),
            FactField("\(d).name", .string, source: "/proc/<pid>/comm", "libvirtd, virtproxyd, virtqemud, ..."),
            FactField("\(d).pid", .int, source: "/proc/<pid>", "its pid; null when not running"),
            FactField("\(d).running", .bool, source: "/proc/<pid>/comm", "a process of that name runs"),
            FactField("\(d).configPath", .string, source: "/proc/<pid>/cmdline", "the file it reads: the -f/--config argument or /etc/libvirt/<daemon>.conf"),
            FactField("\(d).configPresent", .bool, source: conf, "the file exists (false: every setting is libvirt's default)"),
            FactField("\(d).configFromArgument", .bool, source: "/proc/<pid>/cmdline", "started with -f/--config"),
            FactField("\(d).listenArgument", .bool, source: "/proc/<pid>/cmdline, /etc/default|sysconfig/<daemon>", "started with --listen (libvirtd honours listen_tcp/listen_tls only with it)"),
            FactField("\(d).units", .list, element: .string, source: units, "its enabled units (.service, .socket, -ro/-admin/-tcp/-tls.socket)"),
            FactField("\(d).socketActivated", .bool, source: units, "<daemon>.socket is enabled: systemd owns the sockets and listen_* are ignored"),
            FactField("\(d).tcpSocketUnit", .bool, source: units, "<daemon>-tcp.socket is enabled"),
            FactField("\(d).tlsSocketUnit", .bool, source: units, "<daemon>-tls.socket is enabled"),
            FactField("\(d).hostNetwork", .bool, source: "/proc/<pid>/ns/net", "it runs in the host's network namespace; null when unknown or not running"),
            FactField("\(d).settings", .object, source: conf, "tracked settings as the daemon resolves them: {key: {value, source}}"),
            FactField("\(d).tcpEnabled", .bool, source: "\(tcp), \(units), \(conf)", "accepts plain TCP: a live listener, an enabled -tcp.socket, or (no live evidence) --listen + listen_tcp"),
            FactField("\(d).tlsEnabled", .bool, source: "\(tcp), \(units), \(conf)", "accepts TLS: a listener on tls_port, an enabled -tls.socket, or (no live evidence) --listen + listen_tls"),
            FactField("\(d).remoteEnabled", .bool, source: "\(tcp), \(units), \(conf)", "tcpEnabled or tlsEnabled"),
            FactField("\(d).tcpNoAuth", .bool, source: conf, "tcpEnabled and auth_tcp = \"none\""),
            FactField("\(d).tlsNoAuth", .bool, source: conf, "tlsEnabled, auth_tls = \"none\" and tls_no_verify_certificate = 1"),
            FactField("\(d).unixRwOpen", .bool, source: conf, "auth_unix_rw is not polkit and unix_sock_rw_perms grants others access"),
            FactField("\(d).errors", .list, element: .string, source: "\(conf), /proc/<pid>/fd", "why part of it could not be read"),
            FactField("host.libvirtd.listeners", .list, element: .object, source: "\(tcp), /proc/<pid>/fd", "listening TCP sockets held by a libvirt daemon"),
            FactField("\(l).daemon", .string, source: "/proc/<pid>/comm", "the daemon holding it"),
            FactField("\(l).pid", .int, source: "/proc/<pid>/fd", "its pid"),
            FactField("\(l).family", .string, source: tcp, "tcp or tcp6"),
            FactField("\(l).address", .string, source: tcp, "local address (0.0.0.0 and :: are every interface)"),
            FactField("\(l).port", .int, source: tcp, "local port"),
            FactField("\(l).protocol", .string, source: "\(tcp), tls_port", "tls when on the daemon's tls_port, else tcp"),
            FactField("\(l).loopback", .bool, source: tcp, "bound to 127.0.0.0/8 or ::1"),
            FactField("\(l).hostNetwork", .bool, source: "/proc/<pid>/ns/net", "in the host's network namespace; null when unknown"),
            FactField("\(l).inode", .int, source: "\(tcp), /proc/<pid>/fd", "socket inode (the fd link socket:[inode])"),
            FactField("host.libvirtd.sasl.present", .bool, source: SASLLibvirtConf.path, "the file exists"),
            FactField("host.libvirtd.sasl.mechList", .list, element: .string, source: SASLLibvirtConf.path, "mech_list, lower case; null when unset (every installed mechanism)"),
            FactField("host.libvirtd.sasl.onlyStrongMechanisms", .bool, source: SASLLibvirtConf.path, "mech_list is set and offers only gssapi"),
        ]
        for s in LibvirtDaemonConf.tracked {
            let kind: FactField.Kind, element: FactField.Kind?
            switch s.kind {
            case .bool: kind = .bool; element = nil
            case .int: kind = .int; element = nil
            case .string: kind = .string; element = nil
            case .stringList: kind = .list; element = .string
            }
            fields.append(FactField("\(d).settings.\(s.key)", .object, source: "\(conf): \(s.key)", "\(s.key): {value, source}"))
            fields.append(FactField("\(d).settings.\(s.key).value", kind, element: element, source: "\(conf): \(s.key)", s.doc))
            fields.append(FactField("\(d).settings.\(s.key).source", .string, source: "\(conf): \(s.key)", "<file>:<line> or default"))
        }
        return fields
    }()

    private static let selinuxDepth: [FactField] = [
        FactField("host.selinux.booleans", .object, source: SELinuxBooleans.directory + "/virt_*", "virt_* boolean -> current value; {} when SELinux is disabled"),
        FactField("host.selinux.riskyBooleansOn", .list, element: .string, source: SELinuxBooleans.directory, "risky virt booleans that are on (virt_use_execmem, virt_use_nfs, ...)"),
        FactField("host.selinux.permissiveTypes", .list, element: .string, source: "/var/lib/selinux/<type>/active/modules/*/permissive_<type>", "types made permissive (semanage permissive -a); [] when SELinux is disabled"),
    ]

    private static let kvmModule: [FactField] = {
        let s = "/sys/module/{kvm,kvm_intel,kvm_amd}/parameters", m = ModprobeOptions.sources
        return [
            FactField("host.kvmModule.loaded", .bool, source: "/sys/module/kvm", "the kvm module is loaded"),
            FactField("host.kvmModule.vendor", .string, source: "/sys/module/kvm_{intel,amd}", "kvm_intel or kvm_amd; null when neither is loaded"),
            FactField("host.kvmModule.parameters", .object, source: s, "module -> parameter -> value as printed"),
            FactField("host.kvmModule.modprobeOptions", .list, element: .object, source: m, "options lines: {module, name, value, source file:line}"),
            FactField("host.kvmModule.modprobeOptions[].module", .string, source: m, "module name (- as _)"),
            FactField("host.kvmModule.modprobeOptions[].name", .string, source: m, "parameter"),
            FactField("host.kvmModule.modprobeOptions[].value", .string, source: m, "value"),
            FactField("host.kvmModule.modprobeOptions[].source", .string, source: m, "file:line"),
            FactField("host.kvmModule.nested", .bool, source: "\(s)/nested, \(m)", "nested virtualization is on (loaded module, else modprobe.d)"),
            FactField("host.kvmModule.nestedSource", .string, source: "\(s)/nested, \(m)", "where nested came from"),
            FactField("host.kvmModule.nxHugePages", .string, source: "/sys/module/kvm/parameters/nx_huge_pages, \(m)", "N, Y, off, force or auto"),
            FactField("host.kvmModule.vmentryL1dFlush", .string, source: "/sys/module/kvm_intel/parameters/vmentry_l1d_flush, \(m)", "always, cond or never"),
        ]
    }()

    private static let kernelKnobs: [FactField] = {
        let k = KSMState.directory
        return [
            FactField("host.ksm.present", .bool, source: k, "the kernel has KSM"),
            FactField("host.ksm.run", .int, source: "\(k)/run", "0 stopped, 1 merging, 2 stopped and unmerged"),
            FactField("host.ksm.merging", .bool, source: "\(k)/run", "run is 1"),
            FactField("host.ksm.pagesShared", .int, source: "\(k)/pages_shared", "merged pages in use"),
            FactField("host.ksm.pagesSharing", .int, source: "\(k)/pages_sharing", "pages deduplicated into them"),
            FactField("host.sysctl.unprivilegedUserfaultfd", .int, source: HostSysctls.userfaultfdPath, "1: unprivileged processes may use userfaultfd"),
            FactField("host.sysctl.unprivilegedBpfDisabled", .int, source: HostSysctls.bpfPath, "0: unprivileged bpf() allowed; 1 or 2: refused"),
            FactField("host.cgroups.controllers", .object, source: ProcCgroups.path, "controller -> enabled"),
            FactField("host.cgroups.missing", .list, element: .string, source: ProcCgroups.path, "of cpu, cpuacct, cpuset, memory, devices, blkio: those absent or disabled"),
            FactField("host.libvirtHooks.scripts", .list, element: .object, source: LibvirtHooks.directory, "hook scripts: daemon, qemu, lxc, network... and <driver>.d/*"),
            FactField("host.libvirtHooks.scripts[].path", .string, source: LibvirtHooks.directory, "its path"),
            FactField("host.libvirtHooks.scripts[].executable", .bool, source: LibvirtHooks.directory, "an execute bit is set (libvirt runs only executable hooks)"),
            FactField("host.libvirtHooks.count", .int, source: LibvirtHooks.directory, "number of scripts"),
        ]
    }()
}
