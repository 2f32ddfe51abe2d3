import Foundation

/// What happened to a domain, as libvirt reported it.
///
/// The lifecycle kinds are libvirt's `virDomainEventType` (`VIR_DOMAIN_EVENT_STARTED`...); the
/// others come from their own event ids (`VIR_DOMAIN_EVENT_ID_DEVICE_ADDED`...).
public enum DomainEventKind: String, Sendable, Hashable, Codable, CaseIterable {
    case defined
    case undefined
    case started
    case suspended
    case resumed
    case stopped
    case shutdown
    case pmsuspended
    case crashed
    /// A device was hot-plugged (`VIR_DOMAIN_EVENT_ID_DEVICE_ADDED`); `detail` is its alias.
    case deviceAdded = "device-added"
    /// A device was hot-unplugged (`VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED`); `detail` is its alias.
    case deviceRemoved = "device-removed"
    /// The guest rebooted inside the same qemu process (`VIR_DOMAIN_EVENT_ID_REBOOT`).
    case reboot
    /// `<metadata>`, `<title>` or `<description>` changed (`VIR_DOMAIN_EVENT_ID_METADATA_CHANGE`).
    case metadataChanged = "metadata-changed"
    /// A lifecycle event code this build does not know (a newer libvirt); `detail` has the codes.
    case unknown

    /// True for the kinds of `VIR_DOMAIN_EVENT_ID_LIFECYCLE`.
    public var isLifecycle: Bool {
        switch self {
        case .defined, .undefined, .started, .suspended, .resumed, .stopped, .shutdown, .pmsuspended, .crashed,
             .unknown:
            return true
        case .deviceAdded, .deviceRemoved, .reboot, .metadataChanged:
            return false
        }
    }
}

/// One libvirt domain event, stamped when the callback ran.
public struct DomainEvent: Sendable, Hashable {
    public var kind: DomainEventKind
    /// The lifecycle detail's name (`booted`, `destroyed`, `added`...), the device alias for
    /// device events, the changed metadata for metadata events, "" for reboot.
    public var detail: String
    public var domainName: String
    /// Lower-case canonical UUID.
    public var domainUUID: String
    /// When the C callback ran in this process.
    public var receivedAt: Date

    public init(kind: DomainEventKind, detail: String, domainName: String, domainUUID: String, receivedAt: Date) {
        self.kind = kind
        self.detail = detail
        self.domainName = domainName
        self.domainUUID = domainUUID
        self.receivedAt = receivedAt
    }
}

/// Names for libvirt's numeric event and detail codes (libvirt-domain.h, 9.0).
public enum DomainEventCodes {
    /// Decodes a `VIR_DOMAIN_EVENT_ID_LIFECYCLE` callback's `event` and `detail`.
    /// Unknown codes keep their numbers: `.unknown` with `"event 12 detail 3"`, or a known kind
    /// with `"detail 9"`.
    public static func lifecycle(event: Int, detail: Int) -> (kind: DomainEventKind, detail: String) {
        let table: (DomainEventKind, [String])
        switch event {
        case 0: table = (.defined, ["added", "updated", "renamed", "from-snapshot"])
        case 1: table = (.undefined, ["removed", "renamed"])
        case 2: table = (.started, ["booted", "migrated", "restored", "from-snapshot", "wakeup"])
        case 3: table = (.suspended, ["paused", "migrated", "ioerror", "watchdog", "restored", "from-snapshot",
                                      "api-error", "postcopy", "postcopy-failed"])
        case 4: table = (.resumed, ["unpaused", "migrated", "from-snapshot", "postcopy", "postcopy-failed"])
        case 5: table = (.stopped, ["shutdown", "destroyed", "crashed", "migrated", "saved", "failed",
                                    "from-snapshot"])
        case 6: table = (.shutdown, ["finished", "guest", "host"])
        case 7: table = (.pmsuspended, ["memory", "disk"])
        case 8: table = (.crashed, ["panicked", "crashloaded"])
        default: return (.unknown, "event \(event) detail \(detail)")
        }
        let names = table.1
        return (table.0, names.indices.contains(detail) ? names[detail] : "detail \(detail)")
    }

    /// Describes a `VIR_DOMAIN_EVENT_ID_METADATA_CHANGE` callback's `type` (`virDomainMetadataType`)
    /// and namespace URI: `description`, `title`, or `element <nsuri>`.
    public static func metadata(type: Int, namespaceURI: String?) -> String {
        switch type {
        case 0: return "description"
        case 1: return "title"
        case 2: return namespaceURI.map { "element " + $0 } ?? "element"
        default: return "type \(type)"
        }
    }

    /// Why libvirt closed a connection (`virConnectCloseReason`).
    public static func closeReason(_ code: Int) -> String {
        switch code {
        case 0: return "connection closed: misc I/O error"
        case 1: return "connection closed: end of file from libvirtd"
        case 2: return "connection closed: keepalive timer triggered"
        case 3: return "connection closed: client requested it"
        default: return "connection closed: reason \(code)"
        }
    }
}
