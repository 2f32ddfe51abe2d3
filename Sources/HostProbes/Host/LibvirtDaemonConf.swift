import Core

/// `/etc/libvirt/<daemon>.conf` (`libvirtd.conf`, `virtproxyd.conf`, `virtqemud.conf`, ...): the
/// remote-access and access-control settings of one libvirt daemon, in libvirt's config syntax
/// (`VirConf`).
///
/// The settings that decide who may connect are resolved to the value the daemon uses, each with
/// its source: the file and line that set it (`/etc/libvirt/libvirtd.conf:12`) or `default`
/// (libvirt's own default, `src/remote/remote_daemon_config.c`, built with polkit as every
/// mainstream distribution does). A value of the wrong type makes the daemon refuse to start; such
/// a setting resolves to an error instead of a value.
public struct LibvirtDaemonConf: Sendable, Hashable {
    /// The daemons that serve libvirt's remote protocol. Only `libvirtd` and `virtproxyd` listen on
    /// TCP/TLS; the others (modular drivers) only have unix sockets.
    public static let daemons = ["libvirtd", "virtproxyd", "virtqemud", "virtlxcd", "virtchd", "virtxend",
                                 "virtnetworkd", "virtstoraged", "virtnodedevd", "virtnwfilterd",
                                 "virtsecretd", "virtinterfaced", "virtvboxd"]
    /// Daemons that can listen on TCP or TLS.
    public static let remoteDaemons: Set<String> = ["libvirtd", "virtproxyd"]

    /// The file a daemon running as root reads when started without `-f`/`--config`.
    public static func defaultPath(_ daemon: String) -> String { "/etc/libvirt/\(daemon).conf" }

    public enum Kind: String, Sendable, Hashable { case bool, int, string, stringList }

    public struct Setting: Sendable, Hashable {
        public let key: String
        public let kind: Kind
        public let defaultValue: JSONValue
        /// Only libvirtd/virtproxyd read it.
        public let remoteOnly: Bool
        public let doc: String
    }

    /// libvirt's defaults (`daemonConfigNew`, and the comments of libvirtd.conf).
    public static let tracked: [Setting] = [
        Setting(key: "listen_tls", kind: .bool, defaultValue: true, remoteOnly: true,
                doc: "listen for TLS connections (default 1; libvirtd needs --listen, socket activation ignores it)."),
        Setting(key: "listen_tcp", kind: .bool, defaultValue: false, remoteOnly: true,
                doc: "listen for plain TCP connections (default 0; libvirtd needs --listen, socket activation ignores it)."),
        Setting(key: "listen_addr", kind: .string, defaultValue: .null, remoteOnly: true,
                doc: "address the TCP/TLS sockets bind to. Unset: every interface."),
        Setting(key: "tcp_port", kind: .string, defaultValue: "16509", remoteOnly: true,
                doc: "TCP port (default \"16509\")."),
        Setting(key: "tls_port", kind: .string, defaultValue: "16514", remoteOnly: true,
                doc: "TLS port (default \"16514\")."),
        Setting(key: "auth_tcp", kind: .string, defaultValue: "sasl", remoteOnly: true,
                doc: "authentication on the TCP socket: sasl (default) or none."),
        Setting(key: "auth_tls", kind: .string, defaultValue: "none", remoteOnly: true,
                doc: "authentication on the TLS socket beyond the client certificate: none (default) or sasl."),
        Setting(key: "tls_no_verify_certificate", kind: .bool, defaultValue: false, remoteOnly: true,
                doc: "accept TLS clients without checking their certificate (default 0)."),
        Setting(key: "tls_allowed_dn_list", kind: .stringList, defaultValue: [], remoteOnly: true,
                doc: "client certificate Distinguished Names allowed to connect. Unset: any certificate the CA signed."),
        Setting(key: "sasl_allowed_username_list", kind: .stringList, defaultValue: [], remoteOnly: true,
                doc: "SASL user names allowed to connect. Unset: every user the SASL database accepts."),
        Setting(key: "unix_sock_group", kind: .string, defaultValue: "root", remoteOnly: false,
                doc: "group owning the unix sockets (default root)."),
        Setting(key: "unix_sock_ro_perms", kind: .string, defaultValue: "0777", remoteOnly: false,
                doc: "mode of the read-only unix socket (default \"0777\")."),
        Setting(key: "unix_sock_rw_perms", kind: .string, defaultValue: "0777", remoteOnly: false,
                doc: "mode of the read-write unix socket (default \"0777\" with polkit, \"0700\" without)."),
        Setting(key: "auth_unix_ro", kind: .string, defaultValue: "polkit", remoteOnly: false,
                doc: "authentication on the read-only unix socket (default polkit)."),
        Setting(key: "auth_unix_rw", kind: .string, defaultValue: "polkit", remoteOnly: false,
                doc: "authentication on the read-write unix socket (default polkit)."),
        Setting(key: "access_drivers", kind: .stringList, defaultValue: [], remoteOnly: false,
                doc: "fine-grained API access control drivers (polkit). Unset: none, every authenticated client may call every API."),
        Setting(key: "audit_level", kind: .int, defaultValue: 1, remoteOnly: false,
                doc: "0 no auditing, 1 (default) audit when the host audits, 2 audit or refuse to start."),
        Setting(key: "audit_logging", kind: .bool, defaultValue: false, remoteOnly: false,
                doc: "also write audit records to libvirt's log (default 0)."),
    ]

    /// A tracked setting as the daemon resolves it.
    public struct Resolved: Sendable, Hashable {
        /// The value in use; null when the default is not a fixed value or the file's value is invalid.
        public let value: JSONValue
        /// `<path>:<line>` or `default`.
        public let source: String
        public let error: String?
    }

    /// The host path of the file (as the daemon names it).
    public let path: String
    /// False when the file does not exist: every setting is libvirt's default.
    public let present: Bool
    public let conf: VirConf

    public init(path: String, present: Bool, conf: VirConf) {
        self.path = path
        self.present = present
        self.conf = conf
    }

    /// Reads `file` (the path on this machine: under the root or `/proc/<pid>/root`); `path` is the
    /// name the daemon uses. A missing file gives `present == false`.
    public static func read(file: String, path: String) throws(ProbeError) -> LibvirtDaemonConf {
        let bytes: [UInt8]
        do {
            bytes = try FileReader.read(file)
        } catch .notFound {
            return LibvirtDaemonConf(path: path, present: false, conf: VirConf())
        }
        return LibvirtDaemonConf(path: path, present: true, conf: try VirConf.parse(bytes: bytes, path: path))
    }

    public static func parse(_ text: String, path: String) throws(ProbeError) -> LibvirtDaemonConf {
        LibvirtDaemonConf(path: path, present: true, conf: try VirConf.parse(text, path: path))
    }

    public func resolved(_ setting: Setting) -> Resolved {
        guard let entry = conf.entries.first(where: { $0.name == setting.key }) else {
            return Resolved(value: setting.defaultValue, source: "default", error: nil)
        }
        let source = "\(path):\(entry.line)"
        let invalid = { (what: String) in
            Resolved(value: .null, source: source, error: "\(source): \(setting.key): expected \(what) but found \(entry.value.typeName); the daemon refuses this file")
        }
        switch (setting.kind, entry.value) {
        case (.bool, .int(let i)):
            guard i == 0 || i == 1 else {
                return Resolved(value: .null, source: source, error: "\(source): \(setting.key): must be 0 or 1; the daemon refuses this file")
            }
            return Resolved(value: .bool(i == 1), source: source, error: nil)
        case (.int, .int(let i)):
            return Resolved(value: .int(i), source: source, error: nil)
        case (.string, .string(let s)):
            return Resolved(value: .string(s), source: source, error: nil)
        case (.stringList, .list(let items)):
            var out: [JSONValue] = []
            for item in items {
                guard case .string(let s) = item else { return invalid("a list of strings") }
                out.append(.string(s))
            }
            return Resolved(value: .array(out), source: source, error: nil)
        case (.stringList, .string(let s)):
            return Resolved(value: .array([.string(s)]), source: source, error: nil)
        case (.bool, _), (.int, _): return invalid("an integer")
        case (.string, _): return invalid("a string")
        case (.stringList, _): return invalid("a list")
        }
    }

    public func resolved(_ key: String) -> Resolved? {
        LibvirtDaemonConf.tracked.first { $0.key == key }.map { resolved($0) }
    }

    /// Resolved value helpers (nil when invalid).
    public func bool(_ key: String) -> Bool? { resolved(key)?.value.boolValue }
    public func string(_ key: String) -> String? { resolved(key)?.value.stringValue }

    /// The tracked settings that apply to `daemon`, as `{key: {value, source}}`; invalid values
    /// are null with the error in `errors`.
    public func settings(for daemon: String) -> (settings: [String: JSONValue], errors: [String: String]) {
        var out: [String: JSONValue] = [:], errors: [String: String] = [:]
        let remote = LibvirtDaemonConf.remoteDaemons.contains(daemon)
        for s in LibvirtDaemonConf.tracked where remote || !s.remoteOnly {
            let r = resolved(s)
            out[s.key] = .object(["value": r.value, "source": .string(r.source)])
            if let e = r.error { errors[s.key] = e }
        }
        return (out, errors)
    }

    /// The numeric permission bits of an octal mode string ("0770"); nil when it is not octal.
    public static func octal(_ s: String) -> Int? {
        guard !s.isEmpty, s.count <= 6 else { return nil }
        var v = 0
        for c in s.utf8 {
            guard c >= 0x30 && c <= 0x37 else { return nil }
            v = v * 8 + Int(c - 0x30)
        }
        return v
    }

    /// A port setting ("16509" or a service name) as a number; nil for a service name.
    public static func port(_ s: String?) -> Int? {
        guard let s, let p = Int(s), p > 0, p < 65536 else { return nil }
        return p
    }
}
