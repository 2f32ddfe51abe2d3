import Core

/// `/proc/<pid>/status`: identity, credentials, capabilities, NoNewPrivs and seccomp of a process.
/// Field names follow the kernel's keys (`CapEff`, `NSpid`).
public struct ProcStatus: Sendable, Hashable {
    public var name: String
    /// The state letter (`S`) and its word (`sleeping`), from `State:\tS (sleeping)`.
    public var state: String
    public var stateName: String?
    public var ppid: Int
    /// Real, effective, saved set, filesystem.
    public var uid: [Int]
    public var gid: [Int]
    public var groups: [Int]
    public var nspid: [Int]
    public var capInh: CapabilitySet
    public var capPrm: CapabilitySet
    public var capEff: CapabilitySet
    public var capBnd: CapabilitySet
    /// Absent before Linux 4.3.
    public var capAmb: CapabilitySet?
    /// Absent before Linux 4.10.
    public var noNewPrivs: Bool?
    /// 0 disabled, 1 strict, 2 filter; absent when the kernel lacks CONFIG_SECCOMP.
    public var seccomp: Int?
    /// Number of attached seccomp filters; absent before Linux 5.9.
    public var seccompFilters: Int?

    public var effectiveUID: Int { uid[1] }
    public var effectiveGID: Int { gid[1] }

    /// True for a zombie or dead task: the process has exited, only its entry remains.
    public var hasExited: Bool { state == "Z" || state == "X" }

    public static func path(pid: Int, root: HostRoot) -> String { root.proc("\(pid)/status") }

    public static func read(pid: Int, root: HostRoot, reader: ProcReader = .live) throws(ProbeError) -> ProcStatus {
        let path = path(pid: pid, root: root)
        return try parse(try reader.readString(path), path: path)
    }

    /// Parses the text of a status file. Uid, Gid, CapInh/CapPrm/CapEff/CapBnd, Name and State
    /// are required; the rest are optional as older kernels lack them.
    public static func parse(_ text: String, path: String = "status") throws(ProbeError) -> ProcStatus {
        // Lines split on the UTF-8 bytes: the file is ASCII apart from the process name, and a
        // per-character split costs more than reading the file.
        var fields: [String: String] = [:]
        fields.reserveCapacity(64)
        let utf8 = text.utf8
        var lineStart = utf8.startIndex
        while lineStart < utf8.endIndex {
            let lineEnd = utf8[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? utf8.endIndex
            if let colon = utf8[lineStart..<lineEnd].firstIndex(of: UInt8(ascii: ":")) {
                let key = String(text[lineStart..<colon])
                if fields[key] == nil {
                    fields[key] = String(text[utf8.index(after: colon)..<lineEnd]).trimmingWhitespace()
                }
            }
            lineStart = lineEnd < utf8.endIndex ? utf8.index(after: lineEnd) : lineEnd
        }
        func required(_ key: String) throws(ProbeError) -> String {
            guard let v = fields[key] else { throw .parse(path: path, reason: "no \(key) line") }
            return v
        }
        func ints(_ key: String, count: Int?) throws(ProbeError) -> [Int] {
            let raw = try required(key)
            let parts = raw.split(whereSeparator: { $0 == " " || $0 == "\t" })
            var out: [Int] = []
            for p in parts {
                guard let v = Int(p), v >= 0 else { throw .parse(path: path, reason: "\(key): '\(raw)' is not a list of numbers") }
                out.append(v)
            }
            if let count, out.count != count {
                throw .parse(path: path, reason: "\(key): expected \(count) values, found \(out.count)")
            }
            return out
        }
        func caps(_ key: String) throws(ProbeError) -> CapabilitySet {
            let raw = try required(key)
            guard let set = CapabilitySet.parse(hex: raw) else { throw .parse(path: path, reason: "\(key): '\(raw)' is not a hex mask") }
            return set
        }
        func optionalInt(_ key: String) throws(ProbeError) -> Int? {
            guard let raw = fields[key] else { return nil }
            guard let v = Int(raw) else { throw .parse(path: path, reason: "\(key): '\(raw)' is not a number") }
            return v
        }

        let stateRaw = try required("State")
        let stateParts = stateRaw.split(separator: " ", maxSplits: 1)
        guard let letter = stateParts.first, letter.count == 1 else {
            throw .parse(path: path, reason: "State: '\(stateRaw)' has no state letter")
        }
        var stateName: String? = nil
        if stateParts.count == 2 {
            stateName = ProcText.strip(String(stateParts[1]), "()")
        }
        guard let ppid = Int(try required("PPid")) else { throw .parse(path: path, reason: "PPid is not a number") }
        let noNewPrivs: Bool?
        switch fields["NoNewPrivs"] {
        case nil: noNewPrivs = nil
        case "0": noNewPrivs = false
        case "1": noNewPrivs = true
        case let v?: throw .parse(path: path, reason: "NoNewPrivs: '\(v)' is not 0 or 1")
        }
        let seccomp = try optionalInt("Seccomp")
        if let s = seccomp, !(0...2).contains(s) { throw .parse(path: path, reason: "Seccomp: \(s) is not 0, 1 or 2") }
        var amb: CapabilitySet? = nil
        if fields["CapAmb"] != nil { amb = try caps("CapAmb") }
        return ProcStatus(
            name: try required("Name"),
            state: String(letter), stateName: stateName, ppid: ppid,
            uid: try ints("Uid", count: 4), gid: try ints("Gid", count: 4),
            groups: fields["Groups"] == nil ? [] : try ints("Groups", count: nil),
            nspid: fields["NSpid"] == nil ? [] : try ints("NSpid", count: nil),
            capInh: try caps("CapInh"), capPrm: try caps("CapPrm"), capEff: try caps("CapEff"),
            capBnd: try caps("CapBnd"), capAmb: amb,
            noNewPrivs: noNewPrivs, seccomp: seccomp, seccompFilters: try optionalInt("Seccomp_filters"))
    }

    /// The kernel's name of a seccomp mode.
    public static func seccompModeName(_ mode: Int) -> String {
        switch mode {
        case 0: return "disabled"
        case 1: return "strict"
        case 2: return "filter"
        default: return "unknown"
        }
    }
}

