import Core

/// `/var/lib/selinux/<policytype>/active/modules/<priority>/`: the module store of the installed
/// policy. `semanage permissive -a svirt_t` adds a module `permissive_svirt_t` (priority 400), which
/// makes `svirt_t` permissive in the loaded policy while the host stays enforcing.
public struct SELinuxPolicyStore: Sendable, Hashable {
    public static func modulesDirectory(_ policyType: String) -> String { "/var/lib/selinux/\(policyType)/active/modules" }

    /// Types made permissive by a `permissive_<type>` module, sorted.
    public let permissiveTypes: [String]

    public init(permissiveTypes: [String]) { self.permissiveTypes = permissiveTypes }

    /// Throws `notFound` when the store of `policyType` does not exist.
    public static func read(root: HostRoot, policyType: String) throws(ProbeError) -> SELinuxPolicyStore {
        let dir = root.path(modulesDirectory(policyType))
        var types = Set<String>()
        for priority in try FileReader.list(dir) where Int(priority) != nil {
            let modules: [String]
            do { modules = try FileReader.list(dir + "/" + priority) } catch .notFound { continue }
            for m in modules where m.hasPrefix("permissive_") && m.count > 11 {
                // A module disabled with semodule -d has a `disabled` marker next to it.
                if FileReader.exists(dir + "/disabled/" + m) { continue }
                types.insert(String(m.dropFirst(11)))
            }
        }
        return SELinuxPolicyStore(permissiveTypes: types.sorted())
    }
}
