import Core

extension QemuConf {
    /// `max_core`: an integer byte count or the string "unlimited"; default 0 (no core dumps).
    public var maxCore: JSONValue? {
        switch conf.value("max_core") {
        case nil: return .int(0)
        case .int(let i)?: return .int(i)
        case .string(let s)? where s == "unlimited": return .string(s)
        default: return nil
        }
    }

    /// vnc_tls_x509_verify as libvirt resolves it: its own value, else default_tls_x509_verify, else false.
    public var vncTlsVerify: Bool? {
        guard let own = resolved("vnc_tls_x509_verify"), own.error == nil,
              let def = resolved("default_tls_x509_verify"), def.error == nil else { return nil }
        return own.value.boolValue ?? def.value.boolValue ?? false
    }

    /// cgroup_device_acl entries beyond libvirt's default list.
    public var extraDeviceAcl: [String]? {
        guard let setting = QemuConf.tracked.first(where: { $0.key == "cgroup_device_acl" }) else { return nil }
        let r = resolved(setting)
        guard r.error == nil, let list = r.value.arrayValue, let defaults = setting.defaultValue.arrayValue else { return nil }
        return list.compactMap(\.stringValue).filter { !defaults.contains(.string($0)) }
    }

    /// Core dumps of qemu would include guest RAM: dump_guest_core = 1 and max_core not 0.
    public var guestCoreDumps: Bool? {
        guard let dump = resolved("dump_guest_core")?.value.boolValue, let core = maxCore else { return nil }
        return dump && core != .int(0)
    }

    /// libvirt keeps the devices cgroup: cgroup_controllers unset or listing "devices".
    public var devicesCgroup: Bool? {
        guard let r = resolved("cgroup_controllers"), r.error == nil else { return nil }
        guard let list = r.value.arrayValue else { return true }
        return list.contains(.string("devices"))
    }

    func recordTransport(into facts: inout FactBuilder) {
        let p = "host.qemuConf"
        func put(_ key: String, _ v: JSONValue?, _ reason: String) {
            if let v { facts.set("\(p).\(key)", v) } else { facts.setUnknown("\(p).\(key)", reason: "\(QemuConf.path): \(reason)") }
        }
        put("maxCore", maxCore, "max_core must be an integer or \"unlimited\"")
        put("vncTlsVerify", vncTlsVerify.map { .bool($0) }, "vnc_tls_x509_verify or default_tls_x509_verify is invalid")
        put("extraDeviceAcl", extraDeviceAcl.map { .from($0) }, "cgroup_device_acl is invalid")
        put("guestCoreDumps", guestCoreDumps.map { .bool($0) }, "dump_guest_core or max_core is invalid")
        put("devicesCgroup", devicesCgroup.map { .bool($0) }, "cgroup_controllers is invalid")
    }

    /// Schema of the derived transport facts.
    static let transportSchema: [FactField] = [
        FactField("host.qemuConf.maxCore", .any, source: "\(path): max_core", "max_core: bytes or \"unlimited\" (default 0)"),
        FactField("host.qemuConf.vncTlsVerify", .bool, source: "\(path): vnc_tls_x509_verify, default_tls_x509_verify", "VNC TLS requires client certificates"),
        FactField("host.qemuConf.extraDeviceAcl", .list, element: .string, source: "\(path): cgroup_device_acl", "device nodes every guest may open beyond libvirt's default list"),
        FactField("host.qemuConf.guestCoreDumps", .bool, source: "\(path): dump_guest_core, max_core", "qemu core dumps would hold guest RAM"),
        FactField("host.qemuConf.devicesCgroup", .bool, source: "\(path): cgroup_controllers", "libvirt keeps the devices cgroup (cgroup_controllers unset or listing devices)"),
    ]
}
