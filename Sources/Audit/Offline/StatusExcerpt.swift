import Core
import HostProbes

/// `process.*` facts from a partial `/proc/<pid>/status` (lines pasted into a ticket, a
/// `grep Cap /proc/<pid>/status`). Each fact comes from its own field: a field missing from the
/// excerpt leaves only its facts unknown, with a reason saying the input lacked it (not that the
/// kernel does); a field present but unreadable leaves its facts unknown with what was wrong.
/// The paths and values are those `ProcessProbe` writes for a live process.
enum StatusExcerpt {
    static func facts(_ fields: [String: String], file: String, into f: inout FactBuilder) {
        func absent(_ key: String) -> String {
            OfflineCheck.marker + "the \(key) field was absent from the input (\(file) is a partial /proc/<pid>/status)"
        }
        func bad(_ key: String, _ value: String, _ what: String) -> String {
            "\(file): \(key): '\(value.prefix(40))' is not \(what)"
        }
        func numbers(_ v: String) -> [Int]? {
            let parts = v.split(whereSeparator: { $0 == " " || $0 == "\t" })
            let n = parts.compactMap { Int($0) }
            return n.count == parts.count && n.allSatisfy { $0 >= 0 } ? n : nil
        }
        func field(_ key: String, _ paths: [String], _ write: (String) -> String?) {
            guard let v = fields[key] else {
                for p in paths { f.setUnknown(p, reason: absent(key)) }
                return
            }
            if let problem = write(v) { for p in paths { f.setUnknown(p, reason: problem) } }
        }

        field("Name", ["process.name"]) { v in f.set("process.name", .string(v)); return nil }
        field("State", ["process.state", "process.stateName"]) { v in
            let parts = v.split(separator: " ", maxSplits: 1)
            guard let letter = parts.first, letter.count == 1 else { return bad("State", v, "a state letter") }
            f.set("process.state", .string(String(letter)))
            f.set("process.stateName", parts.count == 2 ? .string(parts[1].trimmingCharacters(in: ["(", ")"])) : .null)
            return nil
        }
        field("PPid", ["process.ppid"]) { v in
            guard let n = Int(v) else { return bad("PPid", v, "a number") }
            f.set("process.ppid", .int(n)); return nil
        }
        for (key, single, multi) in [("Uid", "process.uid", "process.uids"), ("Gid", "process.gid", "process.gids")] {
            field(key, [single, multi]) { v in
                guard let n = numbers(v), n.count == 4 else { return bad(key, v, "four ids") }
                f.set(single, .int(n[1]))
                f.set(multi, .object(["real": .int(n[0]), "effective": .int(n[1]), "saved": .int(n[2]), "filesystem": .int(n[3])]))
                return nil
            }
        }
        for (key, path) in [("Groups", "process.groups"), ("NSpid", "process.nspid")] {
            field(key, [path]) { v in
                guard let n = numbers(v) else { return bad(key, v, "a list of numbers") }
                f.set(path, .array(n.map { .int($0) })); return nil
            }
        }
        for (key, name) in [("CapEff", "effective"), ("CapPrm", "permitted"), ("CapBnd", "bounding"),
                            ("CapInh", "inheritable"), ("CapAmb", "ambient")] {
            let base = "process.capabilities.\(name)"
            field(key, [base, base + "Hex", base + "Count"]) { v in
                guard let set = CapabilitySet.parse(hex: v) else { return bad(key, v, "a hex mask") }
                f.set(base, .from(set.names))
                f.set(base + "Hex", .string(set.hex))
                f.set(base + "Count", .int(set.count))
                return nil
            }
        }
        field("NoNewPrivs", ["process.noNewPrivs"]) { v in
            guard v == "0" || v == "1" else { return bad("NoNewPrivs", v, "0 or 1") }
            f.set("process.noNewPrivs", .bool(v == "1")); return nil
        }
        field("Seccomp", ["process.seccomp.mode", "process.seccomp.modeName"]) { v in
            guard let m = Int(v), (0...2).contains(m) else { return bad("Seccomp", v, "0, 1 or 2") }
            f.set("process.seccomp.mode", .int(m))
            f.set("process.seccomp.modeName", .string(ProcStatus.seccompModeName(m)))
            return nil
        }
        field("Seccomp_filters", ["process.seccomp.filters"]) { v in
            guard let n = Int(v), n >= 0 else { return bad("Seccomp_filters", v, "a number") }
            f.set("process.seccomp.filters", .int(n)); return nil
        }
    }
}
