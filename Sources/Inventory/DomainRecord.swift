/// What libvirt reports about one domain, read through the C API at one moment.
///
/// `xml` is the live definition (`virDomainGetXMLDesc` with flags 0): for a running domain the
/// state libvirt started it with (allocated labels, ports, aliases); for an inactive one its
/// persistent config. Parse it with `DomainXML.parse(_:)`.
public struct DomainRecord: Sendable, Hashable {
    public var name: String
    /// Lower-case canonical UUID, `1b12e57c-bb1d-43e2-ad97-9f409ec2e398`.
    public var uuid: String
    /// libvirt's domain id; nil when the domain is not active.
    public var id: Int?
    /// `running`, `blocked`, `paused`, `shutdown`, `shutoff`, `crashed`, `pmsuspended` or `nostate`;
    /// nil when `virDomainGetState` failed (see `problems["state"]`).
    public var state: String?
    /// nil when libvirt could not say (see `problems["persistent"]`).
    public var persistent: Bool?
    /// nil when libvirt could not say (see `problems["autostart"]`).
    public var autostart: Bool?
    public var xml: String
    /// Why a field above is nil, keyed by field name (`state`, `persistent`, `autostart`).
    public var problems: [String: String]
    /// The daemon that listed the domain when it is not the one the scan connected to: a libvirt
    /// daemon in another mount namespace, reached through `/proc/<pid>/root`. nil otherwise.
    public var daemon: ManagingDaemon?

    public init(name: String, uuid: String, id: Int?, state: String?, persistent: Bool?, autostart: Bool?,
                xml: String, problems: [String: String] = [:]) {
        self.name = name
        self.uuid = uuid
        self.id = id
        self.state = state
        self.persistent = persistent
        self.autostart = autostart
        self.xml = xml
        self.problems = problems
    }

    /// True when the domain has a process (libvirt calls it active): a domain id is assigned.
    /// Paused, blocked, pmsuspended and shutting-down domains are active too.
    public var isActive: Bool { id != nil }

    /// The name libvirt's `virDomainState` value goes by in facts.
    public static func stateName(_ raw: Int) -> String {
        switch raw {
        case 1: return "running"
        case 2: return "blocked"
        case 3: return "paused"
        case 4: return "shutdown"
        case 5: return "shutoff"
        case 6: return "crashed"
        case 7: return "pmsuspended"
        default: return "nostate"
        }
    }
}

/// A libvirt daemon running in another mount namespace (a container, a pod), whose domains a scan
/// lists through the daemon's own read-only socket.
public struct ManagingDaemon: Sendable, Hashable {
    public var pid: Int
    /// The daemon's executable (`/usr/sbin/virtqemud`).
    public var exe: String
    /// The socket the domains were listed through, as the host sees it
    /// (`/proc/4242/root/run/libvirt/virtqemud-sock-ro`).
    public var socket: String
    /// The daemon's filesystem root as the host sees it (`/proc/4242/root`).
    public var root: String

    public init(pid: Int, exe: String, socket: String, root: String) {
        self.pid = pid
        self.exe = exe
        self.socket = socket
        self.root = root
    }
}
