/// Cross-VM analysis of sVirt MCS labels: two guests with the same category set can read and
/// write each other's images and memory, defeating sVirt's isolation.
public enum MCSAnalysis {
    /// For every labelled VM, the names of the other VMs whose level has exactly the same
    /// sensitivity and category set (an empty list when none). VMs whose level is nil or does not
    /// parse are left out. The integrator stores each list as `process.selinux.sharedWith`.
    public static func duplicates(_ labels: [(uuid: String, name: String, level: String?)]) -> [String: [String]] {
        struct Key: Hashable { let sensitivity: String; let categories: [Int] }
        var keyed: [(uuid: String, name: String, key: Key)] = []
        for l in labels {
            guard let level = l.level, let parsed = try? MLSLevel.parse(level) else { continue }
            keyed.append((l.uuid, l.name, Key(sensitivity: parsed.sensitivity, categories: parsed.categories)))
        }
        var byKey: [Key: [(uuid: String, name: String)]] = [:]
        for k in keyed { byKey[k.key, default: []].append((k.uuid, k.name)) }
        var out: [String: [String]] = [:]
        for k in keyed {
            out[k.uuid] = byKey[k.key]!.filter { $0.uuid != k.uuid }.map(\.name).sorted()
        }
        return out
    }
}
