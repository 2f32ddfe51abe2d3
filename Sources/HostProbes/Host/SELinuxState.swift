import Core
import CSELinux
import Glibc

/// The host's SELinux state: whether a policy is loaded, whether it is enforced, and what
/// `/etc/selinux/config` asks for at boot.
///
/// On the live root it asks libselinux (`is_selinux_enabled`, `security_getenforce`,
/// `selinux_getpolicytype`), which finds selinuxfs wherever it is mounted. On any other root it reads
/// the files: `/sys/fs/selinux/enforce` exists exactly when selinuxfs is mounted with a policy loaded
/// and holds `1` (enforcing) or `0` (permissive). `/etc/selinux/config` gives `SELINUX=` and
/// `SELINUXTYPE=` in both cases.
public struct SELinuxState: Sendable, Hashable {
    public static let enforcePath = "/sys/fs/selinux/enforce"
    public static let configPath = "/etc/selinux/config"

    public var enabled: Bool
    public var enforcing: Bool
    /// The policy type in use (enabled) or configured (disabled): `targeted`, `mls`, `minimum`.
    public var policyType: String?
    /// The parsed config file; nil when it could not be read (see `configError`).
    public var config: Config?
    public var configError: ProbeError?
    /// `libselinux` or `selinuxfs`.
    public var source: String

    /// `enforcing`, `permissive` or `disabled`.
    public var mode: String { !enabled ? "disabled" : (enforcing ? "enforcing" : "permissive") }

    /// `/etc/selinux/config`: `KEY=value` lines, `#` comments.
    public struct Config: Sendable, Hashable {
        /// `SELINUX=`, lowercased: enforcing, permissive or disabled.
        public var mode: String?
        /// `SELINUXTYPE=`: targeted, minimum, mls.
        public var policyType: String?
    }

    public init(enabled: Bool, enforcing: Bool, policyType: String?, config: Config?, configError: ProbeError? = nil,
                source: String) {
        self.enabled = enabled
        self.enforcing = enforcing
        self.policyType = policyType
        self.config = config
        self.configError = configError
        self.source = source
    }

    public static func read(root: HostRoot) throws(ProbeError) -> SELinuxState {
        var config: Config?
        var configError: ProbeError?
        do {
            config = parseConfig(try FileReader.readString(root.path(configPath), limit: 64 * 1024))
        } catch {
            configError = error
        }
        let enabled: Bool, enforcing: Bool
        var policyType = config?.policyType
        let source: String
        if root.isLive {
            source = "libselinux"
            enabled = is_selinux_enabled() > 0
            if enabled {
                let e = security_getenforce()
                if e < 0 { throw ProbeError.io(path: enforcePath, errno: errno) }
                enforcing = e == 1
                var type: UnsafeMutablePointer<CChar>?
                if selinux_getpolicytype(&type) == 0, let type {
                    policyType = String(cString: type)
                    free(type)
                }
            } else {
                enforcing = false
            }
        } else {
            source = "selinuxfs"
            do {
                enforcing = try parseEnforce(try FileReader.readAttribute(root.path(enforcePath)), path: root.path(enforcePath))
                enabled = true
            } catch .notFound {
                enabled = false
                enforcing = false
            }
        }
        return SELinuxState(enabled: enabled, enforcing: enforcing, policyType: policyType, config: config,
                            configError: configError, source: source)
    }

    /// The content of `/sys/fs/selinux/enforce`: `1` enforcing, `0` permissive.
    public static func parseEnforce(_ text: String, path: String = enforcePath) throws(ProbeError) -> Bool {
        switch text.trimmingWhitespace() {
        case "1": return true
        case "0": return false
        default: throw ProbeError.parse(path: path, reason: "expected 0 or 1")
        }
    }

    /// Parses `/etc/selinux/config` as libselinux does: leading blanks skipped, `#` lines ignored, the
    /// first line starting `SELINUX=` (exact case) and the first starting `SELINUXTYPE=` (any case),
    /// the value ending at the first blank. `SELINUX = x` with blanks is not recognised by libselinux
    /// either.
    public static func parseConfig(_ text: String) -> Config {
        var config = Config()
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let line = raw.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            func value(after tag: Int) -> String? {
                let v = String(line.dropFirst(tag).prefix { $0 != " " && $0 != "\t" })
                return v.isEmpty ? nil : v
            }
            if line.prefix(12).uppercased() == "SELINUXTYPE=" {
                if config.policyType == nil { config.policyType = value(after: 12) }
            } else if line.hasPrefix("SELINUX=") {
                if config.mode == nil { config.mode = value(after: 8)?.lowercased() }
            }
        }
        return config
    }

    /// Records `host.selinux.*`.
    public func record(into facts: inout FactBuilder) {
        facts.set("host.selinux.enabled", .bool(enabled))
        facts.set("host.selinux.enforcing", .bool(enforcing))
        facts.set("host.selinux.mode", .string(mode))
        facts.set("host.selinux.source", .string(source))
        if let policyType {
            facts.set("host.selinux.policyType", .string(policyType))
        } else {
            facts.setUnknown("host.selinux.policyType", reason: configError.map { "\($0)" }
                             ?? "\(SELinuxState.configPath): no SELINUXTYPE= line")
        }
        if let mode = config?.mode {
            facts.set("host.selinux.configMode", .string(mode))
        } else {
            facts.setUnknown("host.selinux.configMode", reason: configError.map { "\($0)" }
                             ?? "\(SELinuxState.configPath): no SELINUX= line")
        }
    }
}
