import Core

/// The host's AppArmor state: `/sys/module/apparmor/parameters/enabled` (`Y`/`N`: AppArmor was
/// enabled at boot) and the loaded profiles in `/sys/kernel/security/apparmor/profiles`, one
/// `name (mode)` line each. libvirt's per-guest profiles are named `libvirt-<domain uuid>`.
public struct AppArmorState: Sendable, Hashable {
    public static let enabledPath = "/sys/module/apparmor/parameters/enabled"
    public static let profilesPath = "/sys/kernel/security/apparmor/profiles"

    public struct Profile: Sendable, Hashable {
        public let name: String
        /// enforce, complain, kill, unconfined, prompt...
        public let mode: String

        public init(name: String, mode: String) {
            self.name = name
            self.mode = mode
        }
    }

    /// AppArmor is built in and enabled (false when the module is absent).
    public var enabled: Bool
    /// The loaded profiles; nil when enabled but the list could not be read (see `profilesError`).
    public var profiles: [Profile]?
    public var profilesError: ProbeError?

    public init(enabled: Bool, profiles: [Profile]?, profilesError: ProbeError? = nil) {
        self.enabled = enabled
        self.profiles = profiles
        self.profilesError = profilesError
    }

    /// libvirt's per-guest profiles (`libvirt-<uuid>`).
    public var libvirtProfiles: [Profile]? {
        profiles?.filter { $0.name.hasPrefix("libvirt-") }
    }

    public static func read(root: HostRoot) throws(ProbeError) -> AppArmorState {
        let enabledFile = root.path(enabledPath)
        guard let text = try FileReader.readOptional(enabledFile) else {
            return AppArmorState(enabled: false, profiles: [])
        }
        let enabled = try parseEnabled(text, path: enabledFile)
        let profilesFile = root.path(profilesPath)
        do {
            let profiles = try parseProfiles(try FileReader.readString(profilesFile), path: profilesFile)
            return AppArmorState(enabled: enabled, profiles: profiles)
        } catch .notFound where !enabled {
            return AppArmorState(enabled: false, profiles: [])
        } catch {
            return AppArmorState(enabled: enabled, profiles: nil, profilesError: error)
        }
    }

    /// A kernel bool parameter: `Y` or `N`.
    public static func parseEnabled(_ text: String, path: String = enabledPath) throws(ProbeError) -> Bool {
        switch text.trimmingWhitespace() {
        case "Y": return true
        case "N": return false
        default: throw ProbeError.parse(path: path, reason: "expected Y or N")
        }
    }

    /// `name (mode)` per line; a name may itself contain spaces and parentheses, the mode is the last
    /// parenthesised word.
    public static func parseProfiles(_ text: String, path: String = profilesPath) throws(ProbeError) -> [Profile] {
        var out: [Profile] = []
        var lineNo = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            if raw.isEmpty { continue }
            guard raw.hasSuffix(")"), let open = raw.lastIndex(of: "("), open > raw.startIndex,
                  raw[raw.index(before: open)] == " " else {
                throw ProbeError.parse(path: path, reason: "line \(lineNo): expected 'name (mode)'")
            }
            let name = String(raw[..<raw.index(before: open)])
            let mode = String(raw[raw.index(after: open)..<raw.index(before: raw.endIndex)])
            guard !name.isEmpty, !mode.isEmpty, mode.allSatisfy({ $0.isLetter || $0 == "_" || $0 == "-" }) else {
                throw ProbeError.parse(path: path, reason: "line \(lineNo): expected 'name (mode)'")
            }
            out.append(Profile(name: name, mode: mode))
        }
        return out
    }

    /// Records `host.apparmor.*`.
    public func record(into facts: inout FactBuilder) {
        facts.set("host.apparmor.enabled", .bool(enabled))
        if let profiles, let libvirt = libvirtProfiles {
            facts.set("host.apparmor.profilesLoaded", .int(profiles.count))
            facts.set("host.apparmor.libvirtProfiles",
                      .array(libvirt.map { .object(["name": .string($0.name), "mode": .string($0.mode)]) }))
        } else {
            let reason = profilesError.map { "\($0)" } ?? "\(AppArmorState.profilesPath): unreadable"
            facts.setUnknown("host.apparmor.profilesLoaded", reason: reason)
            facts.setUnknown("host.apparmor.libvirtProfiles", reason: reason)
        }
    }
}
