import Core

/// The libvirt management plane: which daemons run or are enabled, the configuration each one
/// actually reads, the systemd socket units that make them listen, and the TCP sockets they hold.
///
/// A running daemon reads the file named by `-f`/`--config`, else `/etc/libvirt/<daemon>.conf`;
/// on the live root the file is read through `/proc/<pid>/root` (the daemon's own mount
/// namespace). Its listening sockets are the `LISTEN` lines of `/proc/<pid>/net/tcp{,6}` (its own
/// network namespace) whose inode is one of its open sockets. A daemon that is not running but
/// has a config file or an enabled unit is judged from the file and the units.
public struct LibvirtDaemons: Sendable {
    public struct Daemon: Sendable {
        public var name: String
        public var process: LibvirtDaemonProcess?
        public var conf: LibvirtDaemonConf?
        public var confError: String?
        /// `--listen` from the process, or from LIBVIRTD_ARGS in /etc/default|sysconfig/<name>.
        public var listenArgument: Bool
        public var units: [String]
        public var listeners: [ProcNetTCP.Listener]
        public var listenerError: String?
        /// The daemon's network namespace is the host's; nil when unknown.
        public var hostNetwork: Bool?
    }

    public var daemons: [Daemon]
    public var hostNetNamespace: String?
    public var units: [String]
    public var sasl: SASLLibvirtConf?
    public var saslError: String?

    /// Unit-name suffixes of a daemon's units (`libvirtd-tcp.socket`).
    static let unitSuffixes = [".service", ".socket", "-ro.socket", "-admin.socket", "-tcp.socket", "-tls.socket"]

    public static func read(root: HostRoot) throws(ProbeError) -> LibvirtDaemons {
        let processes = try LibvirtDaemonProcess.scan(root: root)
        let wants = (try? SystemdWants.read(root: root)) ?? SystemdWants(units: [])
        var hostNet = try? FileReader.readLink(root.proc("1/ns/net"))
        if hostNet == nil, root.isLive { hostNet = try? FileReader.readLink("/proc/self/ns/net") }

        var daemons: [Daemon] = []
        var tables: [String: Result<ProcNetTCP, ProbeError>] = [:]
        for p in processes {
            var d = Daemon(name: p.name, process: p, listenArgument: p.listen, units: unitsOf(p.name, wants),
                           listeners: [], hostNetwork: nil)
            let path = p.configArgument ?? LibvirtDaemonConf.defaultPath(p.name)
            do {
                d.conf = try LibvirtDaemonConf.read(file: configFile(path, pid: p.pid, root: root), path: path)
            } catch {
                d.confError = "\(error)"
            }
            if let net = p.netNamespace, let host = hostNet { d.hostNetwork = net == host }
            if let inodes = p.socketInodes {
                let key = p.netNamespace ?? "pid:\(p.pid)"
                let table: Result<ProcNetTCP, ProbeError>
                if let t = tables[key] { table = t } else {
                    do { table = .success(try ProcNetTCP.read(pid: "\(p.pid)", root: root)) } catch { table = .failure(error) }
                    tables[key] = table
                }
                switch table {
                case .success(let t): d.listeners = t.listeners.filter { inodes.contains($0.inode) }
                case .failure(let e): d.listenerError = "\(e)"
                }
            } else {
                d.listenerError = p.fdError ?? "/proc/\(p.pid)/fd: unreadable"
            }
            daemons.append(d)
        }
        let running = Set(processes.map(\.name))
        for name in LibvirtDaemonConf.daemons where !running.contains(name) {
            let path = LibvirtDaemonConf.defaultPath(name)
            let units = unitsOf(name, wants)
            var d = Daemon(name: name, process: nil, listenArgument: listenInDefaults(name, root: root), units: units,
                           listeners: [], hostNetwork: nil)
            do {
                let c = try LibvirtDaemonConf.read(file: root.path(path), path: path)
                guard c.present || !units.isEmpty else { continue }
                d.conf = c
            } catch {
                d.confError = "\(error)"
            }
            daemons.append(d)
        }
        var out = LibvirtDaemons(daemons: daemons, hostNetNamespace: hostNet, units: wants.units.filter(isLibvirtUnit))
        do { out.sasl = try SASLLibvirtConf.read(root: root) } catch { out.saslError = "\(error)" }
        return out
    }

    public init(daemons: [Daemon], hostNetNamespace: String?, units: [String]) {
        self.daemons = daemons
        self.hostNetNamespace = hostNetNamespace
        self.units = units
    }

    /// Where to read the daemon's file: through its own root on the live host, under the fixture
    /// root otherwise (fixtures keep the file at its path).
    static func configFile(_ path: String, pid: Int, root: HostRoot) -> String {
        if root.isLive {
            return path.hasPrefix("/") ? "/proc/\(pid)/root" + path : "/proc/\(pid)/cwd/" + path
        }
        return root.path(path.hasPrefix("/") ? path : "/" + path)
    }

    static func unitsOf(_ name: String, _ wants: SystemdWants) -> [String] {
        unitSuffixes.map { name + $0 }.filter(wants.enabled)
    }

    static func isLibvirtUnit(_ unit: String) -> Bool {
        LibvirtDaemonConf.daemons.contains { unit.hasPrefix($0 + ".") || unit.hasPrefix($0 + "-") }
    }

    /// `--listen`/`-l` in the service's argument file (Debian `/etc/default/<name>`, Red Hat
    /// `/etc/sysconfig/<name>`): `LIBVIRTD_ARGS="--listen"`.
    static func listenInDefaults(_ name: String, root: HostRoot) -> Bool {
        for dir in ["/etc/default/", "/etc/sysconfig/"] {
            guard let text = try? FileReader.readString(root.path(dir + name), limit: 64 * 1024) else { continue }
            for line in text.split(separator: "\n") {
                let l = String(line).trimmingWhitespace()
                guard !l.hasPrefix("#"), l.uppercased().hasPrefix(name.uppercased() + "_ARGS=") else { continue }
                let words = l.split(whereSeparator: { " \t\"'=".contains($0) })
                if words.contains(where: { $0 == "--listen" || ($0.hasPrefix("-") && !$0.hasPrefix("--") && $0.contains("l")) }) {
                    return true
                }
            }
        }
        return false
    }
}

extension LibvirtDaemons.Daemon {
    public var remoteCapable: Bool { LibvirtDaemonConf.remoteDaemons.contains(name) }
    public var socketActivated: Bool { units.contains(name + ".socket") }
    public var tcpUnit: Bool { units.contains(name + "-tcp.socket") }
    public var tlsUnit: Bool { units.contains(name + "-tls.socket") }
    var liveEvidence: Bool { process != nil && listenerError == nil }

    /// `tls` when the port is the daemon's tls_port, else `tcp` (a port from a socket unit that is
    /// not tls_port counts as plain TCP: never assume encryption that was not shown).
    public func proto(_ l: ProcNetTCP.Listener) -> String {
        let tls = LibvirtDaemonConf.port(conf?.string("tls_port") ?? "16514")
        return l.port == tls ? "tls" : "tcp"
    }

    /// From the configuration alone: libvirtd honours listen_* only with --listen, virtproxyd
    /// always; socket activation ignores them (the -tcp/-tls units decide).
    func configured(_ key: String) -> Bool? {
        guard remoteCapable else { return false }
        if socketActivated { return false }
        guard name == "virtproxyd" || listenArgument else { return false }
        return conf?.bool(key)
    }

    /// Accepts plain TCP connections: a live TCP listener, an enabled -tcp.socket unit, or (without
    /// live evidence) the configuration. Nil when the configuration is invalid and nothing else shows it.
    public var tcpEnabled: Bool? {
        guard remoteCapable else { return false }
        if tcpUnit || listeners.contains(where: { proto($0) == "tcp" }) { return true }
        if liveEvidence { return false }
        return configured("listen_tcp")
    }

    public var tlsEnabled: Bool? {
        guard remoteCapable else { return false }
        if tlsUnit || listeners.contains(where: { proto($0) == "tls" }) { return true }
        if liveEvidence { return false }
        return configured("listen_tls")
    }

    /// TCP without authentication: auth_tcp = "none".
    public var tcpNoAuth: Bool? {
        guard let tcp = tcpEnabled else { return nil }
        if !tcp { return false }
        guard let auth = conf?.string("auth_tcp") else { return nil }
        return auth == "none"
    }

    /// TLS that lets any client in: auth_tls = "none" and tls_no_verify_certificate = 1.
    public var tlsNoAuth: Bool? {
        guard let tls = tlsEnabled else { return nil }
        if !tls { return false }
        guard let auth = conf?.string("auth_tls"), let noVerify = conf?.bool("tls_no_verify_certificate") else { return nil }
        return auth == "none" && noVerify
    }

    /// The read-write unix socket is open to every local user (mode wider than 0770) without polkit.
    public var unixRwOpen: Bool? {
        guard let auth = conf?.string("auth_unix_rw"), let perms = conf?.string("unix_sock_rw_perms") else { return nil }
        if auth == "polkit" { return false }
        guard let mode = LibvirtDaemonConf.octal(perms) else { return nil }
        return mode & 0o007 != 0
    }
}
