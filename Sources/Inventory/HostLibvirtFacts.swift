import Core

/// The `host.libvirt.*` and `host.hostname` facts. Paths in the builder are the schema paths.
public enum HostLibvirtFacts {
    public static func build(_ info: LibvirtHostInfo) -> FactBuilder {
        var f = FactBuilder()
        f.set("host.libvirt.uri", .string(info.uri))
        set(&f, "host.libvirt.version", info.libvirtVersion, info.problems["libvirtVersion"])
        set(&f, "host.libvirt.hypervisorVersion", info.hypervisorVersion, info.problems["hypervisorVersion"])
        set(&f, "host.libvirt.driver", info.driver, info.problems["driver"])
        set(&f, "host.hostname", info.hostname, info.problems["hostname"])
        return f
    }

    /// When libvirt cannot be reached: every fact unknown, with the connection error as reason.
    public static func unavailable(uri: String, reason: String) -> FactBuilder {
        var f = FactBuilder()
        f.set("host.libvirt.uri", .string(uri))
        for p in ["host.libvirt.version", "host.libvirt.hypervisorVersion", "host.libvirt.driver", "host.hostname"] {
            f.setUnknown(p, reason: reason)
        }
        return f
    }

    private static func set(_ f: inout FactBuilder, _ path: String, _ value: String?, _ problem: String?) {
        if let value { f.set(path, .string(value)) } else { f.setUnknown(path, reason: problem ?? "libvirt did not report it") }
    }

    public static let schema: [FactField] = [
        FactField("host.libvirt.uri", .string, source: "connection", "The libvirt URI virtaudit connected to (read-only)."),
        FactField("host.libvirt.version", .string, source: "virConnectGetLibVersion", "libvirt version of the daemon (9.0.0)."),
        FactField("host.libvirt.hypervisorVersion", .string, source: "virConnectGetVersion", "Hypervisor version: qemu's for the qemu driver (7.2.0)."),
        FactField("host.libvirt.driver", .string, source: "virConnectGetType", "libvirt driver name (QEMU)."),
        FactField("host.hostname", .string, source: "virConnectGetHostname", "Host name as libvirt reports it."),
    ]
}
