import Core

/// `/sys/module/{kvm,kvm_intel,kvm_amd}/parameters/*`: the KVM modules' runtime parameters, one
/// value per file (`Y`/`N`, `1`/`0`, `auto`, `cond`...). Absent directories mean the module is not
/// loaded.
public struct KVMModuleParameters: Sendable, Hashable {
    public static let modules = ["kvm", "kvm_intel", "kvm_amd"]
    public static func directory(_ module: String) -> String { "/sys/module/\(module)/parameters" }

    /// Module -> parameter -> value, for the loaded modules.
    public let parameters: [String: [String: String]]

    public init(parameters: [String: [String: String]]) { self.parameters = parameters }

    public static func read(root: HostRoot) throws(ProbeError) -> KVMModuleParameters {
        var out: [String: [String: String]] = [:]
        for m in modules {
            let dir = root.path(directory(m))
            let names: [String]
            do { names = try FileReader.list(dir) } catch .notFound { continue }
            var values: [String: String] = [:]
            for n in names {
                // Some parameters are write-only or root-only; those are skipped, not fatal.
                if let v = try? FileReader.readAttribute(dir + "/" + n) { values[n] = v }
            }
            out[m] = values
        }
        return KVMModuleParameters(parameters: out)
    }

    /// `kvm_intel` or `kvm_amd`, whichever is loaded.
    public var vendor: String? { ["kvm_intel", "kvm_amd"].first { parameters[$0] != nil } }

    /// A boolean parameter as the kernel prints it (`Y`, `N`, `1`, `0`).
    public static func bool(_ v: String?) -> Bool? {
        switch v {
        case "Y", "y", "1": return true
        case "N", "n", "0": return false
        default: return nil
        }
    }
}
