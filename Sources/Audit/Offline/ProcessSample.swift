import Core

/// One process (or domain) as a saved sample shows it: a `ps -eZ` / `ps auxZ` / `ps -efZ` line,
/// `virsh dominfo` output (its `Security label:` line), or an excerpt of `/proc/<pid>/status`.
/// Only what the sample printed is known; every other fact stays unknown.
struct ProcessSample: Sendable, Hashable {
    var pid: Int?
    var guestName: String?
    var uuid: String?
    /// The LSM label as printed (`system_u:system_r:svirt_t:s0:c10,c20`,
    /// `libvirt-<uuid> (enforce)`, `unconfined`, `-` when the process has none).
    var label: String?
    /// `virsh dominfo`'s `Security model:` (`selinux`, `apparmor`, `none`).
    var securityModel: String?
    /// `(enforcing)` / `(permissive)` after a dominfo label.
    var enforcing: Bool?
    /// The status file's fields present in the excerpt, by key (`Uid`, `CapEff`).
    var status: [String: String] = [:]
    /// The line of each status field.
    var statusLines: [String: Int] = [:]
    /// The command line a `ps` line shows (split on blanks).
    var arguments: [String]?
    /// `ps -eZ`, `ps auxZ`, `virsh dominfo`, `/proc/<pid>/status`.
    var source: String
    var line: Int
}

enum ProcessSampleParser {
    /// Keys the kernel prints in `/proc/<pid>/status` (fs/proc/array.c).
    static let statusKeys: Set<String> = [
        "Name", "Umask", "State", "Tgid", "Ngid", "Pid", "PPid", "TracerPid", "Uid", "Gid", "FDSize", "Groups",
        "NStgid", "NSpid", "NSpgid", "NSsid", "Kthread", "VmPeak", "VmSize", "VmLck", "VmPin", "VmHWM", "VmRSS",
        "RssAnon", "RssFile", "RssShmem", "VmData", "VmStk", "VmExe", "VmLib", "VmPTE", "VmSwap", "HugetlbPages",
        "CoreDumping", "THP_enabled", "untag_mask", "Threads", "SigQ", "SigPnd", "ShdPnd", "SigBlk", "SigIgn",
        "SigCgt", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters",
        "Speculation_Store_Bypass", "SpeculationIndirectBranch", "Cpus_allowed", "Cpus_allowed_list",
        "Mems_allowed", "Mems_allowed_list", "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches",
        "x86_Thread_features", "x86_Thread_features_locked",
    ]

    /// Keys of `virsh dominfo` (tools/virsh-domain-monitor.c).
    static let dominfoKeys: Set<String> = [
        "Id", "Name", "UUID", "OS Type", "State", "CPU(s)", "CPU time", "Max memory", "Used memory", "Persistent",
        "Autostart", "Managed save", "Security model", "Security DOI", "Security label", "Messages",
    ]

    // MARK: /proc/<pid>/status

    /// Lines `Key:<tab>value` with a kernel status key. Returns the recognised line numbers.
    static func status(_ lines: [(Int, String)]) -> (ProcessSample?, Set<Int>) {
        var s = ProcessSample(source: "/proc/<pid>/status", line: 0)
        var used: Set<Int> = []
        for (n, l) in lines {
            guard let colon = l.firstIndex(of: ":") else { continue }
            let key = String(l[..<colon]).trimmingWhitespace()
            guard statusKeys.contains(key), s.status[key] == nil else { continue }
            let value = String(l[l.index(after: colon)...]).trimmingWhitespace()
            s.status[key] = value
            s.statusLines[key] = n
            if s.line == 0 { s.line = n }
            used.insert(n)
        }
        guard !used.isEmpty else { return (nil, []) }
        s.pid = s.status["Pid"].flatMap { Int($0) }
        return (s, used)
    }

    // MARK: virsh dominfo

    static func dominfo(_ lines: [(Int, String)]) -> (ProcessSample?, Set<Int>) {
        var s = ProcessSample(source: "virsh dominfo", line: 0)
        var used: Set<Int> = []
        var fields: [String: String] = [:]
        for (n, l) in lines {
            guard let colon = l.firstIndex(of: ":") else { continue }
            let key = String(l[..<colon]).trimmingWhitespace()
            guard dominfoKeys.contains(key) else { continue }
            // virsh pads keys to a column with spaces; a status file uses a tab.
            guard !l[l.index(after: colon)...].hasPrefix("\t") || key.contains(" ") else { continue }
            let value = String(l[l.index(after: colon)...]).trimmingWhitespace()
            if fields[key] == nil { fields[key] = value }
            if key == "Security label" { parseLabel(value, into: &s) }
            if s.line == 0 { s.line = n }
            used.insert(n)
        }
        // A dominfo sample names its domain; two keys alone could be anything.
        guard fields["Name"] != nil || fields["UUID"] != nil, used.count >= 2 else { return (nil, []) }
        s.guestName = fields["Name"]
        s.uuid = fields["UUID"]?.lowercased()
        s.securityModel = fields["Security model"]
        if let id = fields["Id"], let _ = Int(id) {} // the domain id is not a pid
        return (s, used)
    }

    /// `system_u:system_r:svirt_t:s0:c1,c2 (enforcing)`.
    static func parseLabel(_ value: String, into s: inout ProcessSample) {
        var v = value
        if v.hasSuffix("(enforcing)") { s.enforcing = true; v.removeLast("(enforcing)".count) }
        else if v.hasSuffix("(permissive)") { s.enforcing = false; v.removeLast("(permissive)".count) }
        s.label = v.trimmingWhitespace()
    }

    // MARK: ps

    /// Column layouts `ps` prints, by header.
    struct PSLayout {
        var columns: [String]
        var label: Int?
        var pid: Int
        var user: Int?
        var command: Int
        var name: String
    }

    static func layout(_ header: String) -> PSLayout? {
        let cols = header.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let pid = cols.firstIndex(of: "PID"),
              let cmd = cols.firstIndex(where: { $0 == "CMD" || $0 == "COMMAND" || $0 == "ARGS" }), cmd == cols.count - 1 else { return nil }
        let label = cols.firstIndex(of: "LABEL")
        let user = cols.firstIndex(where: { $0 == "USER" || $0 == "UID" })
        let name = label == nil ? "ps" : (user == nil ? "ps -eZ" : (cols.contains("%CPU") ? "ps auxZ" : "ps -efZ"))
        return PSLayout(columns: cols, label: label, pid: pid, user: user, command: cmd, name: name)
    }

    /// `ps` output: a header, then one line per process. Returns the qemu processes and the
    /// recognised line numbers (every process line, qemu or not).
    static func ps(_ lines: [(Int, String)]) -> ([ProcessSample], Set<Int>) {
        var layout: PSLayout?
        var out: [ProcessSample] = []
        var used: Set<Int> = []
        for (n, l) in lines {
            if let h = Self.layout(l) { layout = h; used.insert(n); continue }
            // Without a header: `ps -eZ`'s LABEL PID TTY TIME CMD.
            let lay = layout ?? PSLayout(columns: ["LABEL", "PID", "TTY", "TIME", "CMD"], label: 0, pid: 1, user: nil, command: 4, name: "ps -eZ")
            var words = l.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            // An AppArmor label carries its mode after a blank: `libvirt-<uuid> (enforce)`.
            if let li = lay.label, li + 1 < words.count, words[li + 1].hasPrefix("("), words[li + 1].hasSuffix(")") {
                words[li] += " " + words[li + 1]
                words.remove(at: li + 1)
            }
            guard words.count > lay.command, let pid = Int(words[lay.pid]), pid > 0 else { continue }
            if layout == nil {
                // Headerless lines must look like ps -eZ: a TIME column hh:mm:ss.
                guard words[3].split(separator: ":").count >= 2, words[3].allSatisfy({ $0.isNumber || $0 == ":" || $0 == "-" }) else { continue }
            }
            used.insert(n)
            let command = Array(words[lay.command...])
            let isQemu = command.first.map(QemuInvocation.isQemuBinary) ?? false
                || (command.first?.hasPrefix("qemu-") ?? false)
                || (lay.label.map { words[$0].contains("svirt") || words[$0].hasPrefix("libvirt-") } ?? false)
            guard isQemu else { continue }
            var s = ProcessSample(pid: pid, source: lay.name, line: n)
            if let li = lay.label { s.label = words[li] }
            if command.count > 1 {
                s.arguments = command
                let q = QemuInvocation(arguments: command, environment: [], line: n, qemuVersion: nil, pid: pid)
                if let name = q.values(of: "-name").first {
                    s.guestName = QemuSandboxNames.guest(name)
                }
                s.uuid = q.values(of: "-uuid").first?.lowercased()
            }
            out.append(s)
        }
        return (out, used)
    }
}

enum QemuSandboxNames {
    /// `guest=va,debug-threads=on` -> `va`.
    static func guest(_ option: String) -> String? {
        let opts = QemuInvocation.keyValues(option, implied: "guest")
        return opts["guest"]
    }
}
