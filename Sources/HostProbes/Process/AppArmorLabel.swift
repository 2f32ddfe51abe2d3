import Core

/// An AppArmor task label as in `/proc/<pid>/attr/apparmor/current`: `libvirt-<uuid> (enforce)`,
/// or `unconfined`.
public struct AppArmorLabel: Sendable, Hashable {
    public var profile: String
    /// `enforce`, `complain`, `kill`, `unconfined`, ...; `unconfined` for the bare `unconfined` label.
    public var mode: String

    public var confined: Bool { profile != "unconfined" && mode != "unconfined" }

    /// The uuid of a libvirt per-domain profile `libvirt-<uuid>`, else nil.
    public var libvirtUUID: String? {
        guard profile.hasPrefix("libvirt-") else { return nil }
        let u = String(profile.dropFirst("libvirt-".count))
        let hexOrDash = u.allSatisfy { $0 == "-" || $0.isHexDigit }
        return (u.count == 36 && hexOrDash) ? u.lowercased() : nil
    }

    public static func parse(_ text: String, path: String = "label") throws(ProbeError) -> AppArmorLabel {
        let raw = text.trimmingWhitespace()
        if raw == "unconfined" { return AppArmorLabel(profile: "unconfined", mode: "unconfined") }
        guard raw.hasSuffix(")"), let open = ProcText.lastRange(of: " (", in: raw) else {
            throw .parse(path: path, reason: "'\(raw)' is not an AppArmor label 'profile (mode)'")
        }
        let profile = String(raw[..<open.lowerBound])
        let mode = String(raw[open.upperBound...].dropLast())
        guard !profile.isEmpty, !mode.isEmpty else {
            throw .parse(path: path, reason: "'\(raw)' is not an AppArmor label 'profile (mode)'")
        }
        return AppArmorLabel(profile: profile, mode: mode)
    }

    /// True when `text` has the shape of an AppArmor label.
    public static func looksLikeLabel(_ text: String) -> Bool {
        text == "unconfined" || (text.hasSuffix(")") && text.contains(" ("))
    }
}

