/// Why libvirt could not answer. Every message is libvirt's own (`virGetLastError`), so the
/// admin sees the same words `virsh` would print.
public enum InventoryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `virConnectOpenReadOnly` failed: libvirtd down, socket permissions, unknown driver...
    case connect(uri: String, message: String)
    /// The connection was open but died (libvirtd restarted, socket closed).
    case lost(uri: String, message: String)
    /// A call about one domain failed for a reason other than the domain vanishing.
    case domain(name: String, message: String)
    /// A connection-level call (`virConnectListAllDomains`...) failed while the connection is alive.
    case call(function: String, message: String)

    public var description: String {
        switch self {
        case .connect(let uri, let m): return "cannot connect to libvirt at \(uri): \(m)"
        case .lost(let uri, let m): return "lost the libvirt connection to \(uri): \(m)"
        case .domain(let name, let m): return "libvirt domain \(name): \(m)"
        case .call(let f, let m): return "\(f) failed: \(m)"
        }
    }
}
