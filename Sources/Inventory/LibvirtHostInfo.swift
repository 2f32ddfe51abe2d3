/// What the libvirt connection says about the host it talks to. A field is nil when its call
/// failed; `problems` holds libvirt's message for it, keyed by field name.
public struct LibvirtHostInfo: Sendable, Hashable {
    public var uri: String
    /// The daemon's libvirt version (`virConnectGetLibVersion`), `9.0.0`.
    public var libvirtVersion: String?
    /// The hypervisor's version (`virConnectGetVersion`): qemu's for the qemu driver, `7.2.0`.
    public var hypervisorVersion: String?
    /// The driver name (`virConnectGetType`): `QEMU`, `Test`...
    public var driver: String?
    /// `virConnectGetHostname`.
    public var hostname: String?
    public var problems: [String: String]

    public init(uri: String, libvirtVersion: String?, hypervisorVersion: String?, driver: String?,
                hostname: String?, problems: [String: String] = [:]) {
        self.uri = uri
        self.libvirtVersion = libvirtVersion
        self.hypervisorVersion = hypervisorVersion
        self.driver = driver
        self.hostname = hostname
        self.problems = problems
    }

    /// Decodes libvirt's packed version number, `major * 1_000_000 + minor * 1_000 + release`.
    public static func versionString(_ packed: UInt) -> String {
        "\(packed / 1_000_000).\(packed / 1_000 % 1_000).\(packed % 1_000)"
    }
}
