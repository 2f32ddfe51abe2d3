import Core

/// `/etc/libvirt/qemu.conf`: the QEMU driver's configuration, in libvirt's config syntax (`VirConf`).
///
/// Every statement is kept raw; the settings that decide how qemu is confined are resolved to the
/// value libvirtd uses: the file's value (`source: "file"`) or libvirt's documented default when the
/// setting is absent (`source: "default"`). A value of the wrong type makes libvirtd refuse the file;
/// such a setting resolves to an error instead of a value.
public struct QemuConf: Sendable, Hashable {
    public static let path = "/etc/libvirt/qemu.conf"

    /// How libvirt reads a setting (`virConfGetValueBool`, `...Int`, `...String`, `...StringList`).
    public enum Kind: String, Sendable, Hashable {
        /// An unsigned integer that must be 0 or 1; resolved to a JSON bool.
        case bool
        /// A signed integer.
        case int
        case string
        /// A list of strings.
        case stringList
        /// A list of strings, or a single string taken as a one-element list.
        case stringOrList
    }

    /// A setting that matters for confinement, with libvirt's default when it is not set.
    public struct Setting: Sendable, Hashable {
        public let key: String
        public let kind: Kind
        /// The default as JSON; null when the default is not a fixed value (see `doc`).
        public let defaultValue: JSONValue
        public let doc: String
    }

    /// libvirt's defaults (`virQEMUDriverConfigNew` in src/qemu/qemu_conf.c and the comments of
    /// qemu.conf itself).
    public static let tracked: [Setting] = [
        Setting(key: "user", kind: .string, defaultValue: .null,
                doc: "user qemu runs as. Unset: the distribution's build-time default (libvirt-qemu on Debian/Ubuntu, qemu on Fedora/RHEL/SUSE); the live process uid shows it."),
        Setting(key: "group", kind: .string, defaultValue: .null,
                doc: "group qemu runs as. Unset: the distribution's build-time default (kvm or libvirt-qemu on Debian/Ubuntu, qemu on Fedora/RHEL)."),
        Setting(key: "dynamic_ownership", kind: .bool, defaultValue: true,
                doc: "libvirt chowns each guest's files to user/group while it runs (default 1)."),
        Setting(key: "remember_owner", kind: .bool, defaultValue: true,
                doc: "libvirt restores the original owner of relabelled files (default 1)."),
        Setting(key: "security_driver", kind: .stringOrList, defaultValue: .null,
                doc: "MAC drivers. Unset: libvirt probes selinux then apparmor and uses the first active on the host; \"none\" disables MAC confinement of qemu."),
        Setting(key: "security_default_confined", kind: .bool, defaultValue: true,
                doc: "guests without a <seclabel> are confined (default 1)."),
        Setting(key: "security_require_confined", kind: .bool, defaultValue: false,
                doc: "libvirt refuses to start unconfined guests (default 0)."),
        Setting(key: "seccomp_sandbox", kind: .int, defaultValue: -1,
                doc: "qemu -sandbox: 0 off, 1 on, -1 (default) on when qemu supports it."),
        Setting(key: "namespaces", kind: .stringList, defaultValue: ["mount"],
                doc: "private namespaces per guest (default [\"mount\"]; [] turns the private mount namespace off)."),
        Setting(key: "clear_emulator_capabilities", kind: .bool, defaultValue: true,
                doc: "drop qemu's capabilities when it runs as root (default 1). libvirt 9.x no longer lists it in qemu.conf."),
        Setting(key: "cgroup_device_acl", kind: .stringList,
                defaultValue: ["/dev/null", "/dev/full", "/dev/zero", "/dev/random", "/dev/urandom", "/dev/ptmx", "/dev/kvm"],
                doc: "device nodes every guest may open through the devices cgroup."),
        Setting(key: "set_process_name", kind: .bool, defaultValue: false,
                doc: "qemu names its process qemu:<guest> (default 0)."),
        Setting(key: "vnc_listen", kind: .string, defaultValue: "127.0.0.1",
                doc: "default VNC listen address (default 127.0.0.1)."),
        Setting(key: "vnc_tls", kind: .bool, defaultValue: false,
                doc: "VNC uses TLS (default 0)."),
        Setting(key: "spice_listen", kind: .string, defaultValue: "127.0.0.1",
                doc: "default SPICE listen address (default 127.0.0.1)."),
        Setting(key: "spice_tls", kind: .bool, defaultValue: false,
                doc: "SPICE uses TLS (default 0)."),
        Setting(key: "relaxed_acs_check", kind: .bool, defaultValue: false,
                doc: "allow assigning PCI devices behind bridges without ACS (default 0)."),
    ] + transport

    /// Transport security and resource settings (qemu.conf's own comments give the defaults).
    public static let transport: [Setting] = [
        Setting(key: "default_tls_x509_verify", kind: .bool, defaultValue: .null,
                doc: "default for every *_tls_x509_verify. Unset: each TLS user keeps its own default."),
        Setting(key: "vnc_tls_x509_verify", kind: .bool, defaultValue: .null,
                doc: "VNC TLS requires a client certificate. Unset: default_tls_x509_verify, else 0 (see vncTlsVerify)."),
        Setting(key: "vnc_password", kind: .string, defaultValue: .null, doc: "default VNC password (at most 8 characters; no password when unset)."),
        Setting(key: "vnc_sasl", kind: .bool, defaultValue: false, doc: "VNC clients authenticate with SASL (default 0)."),
        Setting(key: "vnc_auto_unix_socket", kind: .bool, defaultValue: false,
                doc: "VNC on a unix socket instead of TCP when the XML gives no listen address (default 0)."),
        Setting(key: "spice_password", kind: .string, defaultValue: .null, doc: "default SPICE password (none when unset)."),
        Setting(key: "spice_sasl", kind: .bool, defaultValue: false, doc: "SPICE clients authenticate with SASL (default 0)."),
        Setting(key: "spice_auto_unix_socket", kind: .bool, defaultValue: false, doc: "SPICE on a unix socket by default (default 0)."),
        Setting(key: "chardev_tls", kind: .bool, defaultValue: false, doc: "TCP character devices use TLS (default 0)."),
        Setting(key: "nbd_tls", kind: .bool, defaultValue: false, doc: "NBD disks and storage migration use TLS (default 0)."),
        Setting(key: "migrate_tls_force", kind: .bool, defaultValue: false, doc: "refuse migrations without TLS (default 0)."),
        Setting(key: "migration_address", kind: .string, defaultValue: "0.0.0.0",
                doc: "address incoming migrations listen on (default 0.0.0.0: every interface, or :: with IPv6)."),
        Setting(key: "stdio_handler", kind: .string, defaultValue: "logd",
                doc: "where qemu's stdout/stderr go: logd (default, virtlogd rotates and caps) or file (grows without limit)."),
        Setting(key: "dump_guest_core", kind: .bool, defaultValue: false, doc: "qemu core dumps include guest RAM (default 0)."),
        Setting(key: "swtpm_user", kind: .string, defaultValue: "tss", doc: "user swtpm runs as (default tss)."),
        Setting(key: "cgroup_controllers", kind: .stringList, defaultValue: .null,
                doc: "cgroup controllers libvirt uses. Unset: every available one; [] disables cgroup confinement."),
        Setting(key: "max_processes", kind: .int, defaultValue: 0, doc: "RLIMIT_NPROC of qemu (0: the system default)."),
        Setting(key: "max_files", kind: .int, defaultValue: 0, doc: "RLIMIT_NOFILE of qemu (0: the system default)."),
    ]

    public enum Source: String, Sendable, Hashable {
        case file, `default`
    }

    /// A tracked setting as libvirtd resolves it.
    public struct Resolved: Sendable, Hashable {
        /// The value in use; null when the default is not a fixed value or the file's value is invalid.
        public let value: JSONValue
        public let source: Source
        /// Why the file's value is not usable (libvirtd refuses the file), if so.
        public let error: String?
    }

    /// False when the file does not exist: every setting is then libvirt's default.
    public let present: Bool
    public let conf: VirConf

    public init(present: Bool, conf: VirConf) {
        self.present = present
        self.conf = conf
    }

    /// Reads and parses the file under `root`; a missing file gives `present == false`.
    public static func read(root: HostRoot) throws(ProbeError) -> QemuConf {
        let file = root.path(path)
        let bytes: [UInt8]
        do {
            bytes = try FileReader.read(file)
        } catch .notFound {
            return QemuConf(present: false, conf: VirConf())
        }
        return QemuConf(present: true, conf: try VirConf.parse(bytes: bytes, path: file))
    }

    /// Parses file text (for tests and tools).
    public static func parse(_ text: String, path: String = QemuConf.path) throws(ProbeError) -> QemuConf {
        QemuConf(present: true, conf: try VirConf.parse(text, path: path))
    }

    /// The value libvirtd uses for a tracked setting.
    public func resolved(_ setting: Setting) -> Resolved {
        guard let raw = conf.value(setting.key) else {
            return Resolved(value: setting.defaultValue, source: .default, error: nil)
        }
        switch QemuConf.convert(raw, to: setting.kind) {
        case .success(let v):
            if setting.key == "security_driver", let list = v.arrayValue, list.count > 1, list.contains(.string("none")) {
                return Resolved(value: .null, source: .file,
                                error: "\(QemuConf.path): security_driver: \"none\" cannot be combined with other drivers; libvirtd refuses this file")
            }
            return Resolved(value: v, source: .file, error: nil)
        case .failure(let message):
            return Resolved(value: .null, source: .file,
                            error: "\(QemuConf.path): \(setting.key): \(message.text); libvirtd refuses this file")
        }
    }

    public func resolved(_ key: String) -> Resolved? {
        QemuConf.tracked.first { $0.key == key }.map { resolved($0) }
    }

    /// `security_driver = "none"`: libvirt applies no MAC label to qemu. Nil when the value is invalid.
    public var securityDriverNone: Bool? {
        guard let r = resolved("security_driver"), r.error == nil else { return nil }
        guard let list = r.value.arrayValue else { return false }  // unset: probed drivers
        return list.contains(.string("none"))
    }

    /// `user` is root (`root`, `+0`, or `0`). Unset resolves to false: every mainstream build defaults
    /// to an unprivileged account. Nil when the value is invalid.
    public var runsAsRoot: Bool? {
        guard let r = resolved("user"), r.error == nil else { return nil }
        guard let user = r.value.stringValue else { return false }
        return ["root", "+0", "0"].contains(user)
    }

    /// `namespaces` contains "mount" (the default). Nil when the value is invalid.
    public var mountNamespace: Bool? {
        guard let r = resolved("namespaces"), r.error == nil, let list = r.value.arrayValue else { return nil }
        return list.contains(.string("mount"))
    }

    /// Records `host.qemuConf.*`.
    public func record(into facts: inout FactBuilder) {
        let p = "host.qemuConf"
        facts.set("\(p).present", .bool(present))
        facts.set("\(p).path", .string(QemuConf.path))
        facts.set("\(p).settings", .object(conf.settings))
        facts.set("\(p).duplicateKeys", .from(conf.duplicateNames))
        for setting in QemuConf.tracked {
            let r = resolved(setting)
            facts.set("\(p).\(setting.key).source", .string(r.source.rawValue))
            if let e = r.error {
                facts.setUnknown("\(p).\(setting.key).value", reason: e)
            } else {
                facts.set("\(p).\(setting.key).value", r.value)
            }
        }
        let invalid = { (key: String) in self.resolved(key)?.error ?? "\(QemuConf.path): \(key) is invalid" }
        if let v = securityDriverNone { facts.set("\(p).securityDriverNone", .bool(v)) }
        else { facts.setUnknown("\(p).securityDriverNone", reason: invalid("security_driver")) }
        if let v = runsAsRoot { facts.set("\(p).runsAsRoot", .bool(v)) }
        else { facts.setUnknown("\(p).runsAsRoot", reason: invalid("user")) }
        if let v = mountNamespace { facts.set("\(p).mountNamespace", .bool(v)) }
        else { facts.setUnknown("\(p).mountNamespace", reason: invalid("namespaces")) }
        recordTransport(into: &facts)
    }

    private struct ConversionError: Error { let text: String }

    /// Type checks as libvirt's `virConfGetValue*` do, with their wording.
    private static func convert(_ v: VirConf.Value, to kind: Kind) -> Result<JSONValue, ConversionError> {
        switch (kind, v) {
        case (.bool, .int(let i)):
            if i < 0 { return .failure(ConversionError(text: "expected an unsigned integer but found signed integer")) }
            if i > 1 { return .failure(ConversionError(text: "must be 0 or 1")) }
            return .success(.bool(i == 1))
        case (.int, .int(let i)):
            return .success(.int(i))
        case (.string, .string(let s)):
            return .success(.string(s))
        case (.stringOrList, .string(let s)):
            return .success(.array([.string(s)]))
        case (.stringList, .list(let items)), (.stringOrList, .list(let items)):
            var out: [JSONValue] = []
            for item in items {
                guard case .string(let s) = item else {
                    return .failure(ConversionError(text: "expected a list of strings but found an element of type \(item.typeName)"))
                }
                out.append(.string(s))
            }
            return .success(.array(out))
        default:
            let expected: String
            switch kind {
            case .bool: expected = "an unsigned integer"
            case .int: expected = "an integer"
            case .string: expected = "a string"
            case .stringList: expected = "a list"
            case .stringOrList: expected = "a string or list"
            }
            return .failure(ConversionError(text: "expected \(expected) but found \(v.typeName)"))
        }
    }
}
