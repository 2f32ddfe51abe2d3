import Core

/// `/etc/sasl2/libvirt.conf`: Cyrus SASL's settings for libvirt's `libvirt` service, lines of
/// `key: value`, `#` comments. `mech_list` names the mechanisms the daemons offer; without it SASL
/// offers every mechanism plugin installed on the host.
public struct SASLLibvirtConf: Sendable, Hashable {
    public static let path = "/etc/sasl2/libvirt.conf"

    public let present: Bool
    /// Lower-cased mechanism names; nil when the file sets no `mech_list`.
    public let mechList: [String]?

    public init(present: Bool, mechList: [String]?) {
        self.present = present
        self.mechList = mechList
    }

    public static func read(root: HostRoot) throws(ProbeError) -> SASLLibvirtConf {
        do {
            return parse(try FileReader.readString(root.path(path), limit: 64 * 1024))
        } catch .notFound {
            return SASLLibvirtConf(present: false, mechList: nil)
        }
    }

    /// Cyrus reads `key: value` (the first colon separates); a repeated key keeps the last value.
    public static func parse(_ text: String) -> SASLLibvirtConf {
        var mechs: [String]?
        for raw in text.split(separator: "\n") {
            let line = String(raw).trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon]).trimmingWhitespace()
            guard key == "mech_list" else { continue }
            let rest = line[line.index(after: colon)...]
            let words: [Substring] = rest.split(whereSeparator: { (c: Character) -> Bool in c == " " || c == "\t" || c == "," })
            mechs = words.map { (w: Substring) -> String in w.lowercased() }
        }
        return SASLLibvirtConf(present: true, mechList: mechs)
    }

    /// Mechanisms that authenticate and encrypt a plain TCP connection: GSSAPI (Kerberos). SCRAM
    /// and PLAIN give no encryption (libvirt refuses them below SSF 56 on plain TCP), DIGEST-MD5 is
    /// obsolete (RFC 6331).
    public static let strongForPlainTCP: Set<String> = ["gssapi"]

    /// True when `mech_list` is set and offers only strong mechanisms.
    public var onlyStrongMechanisms: Bool {
        guard let m = mechList, !m.isEmpty else { return false }
        return m.allSatisfy { SASLLibvirtConf.strongForPlainTCP.contains($0) }
    }
}
