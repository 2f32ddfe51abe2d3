import Core

/// The host's processes that matter to a hypervisor audit, found by executable, never by name:
/// the `/proc/<pid>/exe` link (the binary the kernel runs, ` (deleted)` after a package upgrade)
/// of every numeric entry under `/proc`. One readlink per process; command lines are read only
/// for the processes that need them.
///
/// A process's `comm` and `argv[0]` are chosen by whoever started it (qemu's `-name
/// process=...` renames its threads), so they are not used to decide what a process is. A process
/// that exits while the table is read is simply not in it; one whose `exe` link cannot be read
/// (EACCES without CAP_SYS_PTRACE, a kernel thread) is counted in `unreadable`.
public struct ProcessTable: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// A qemu system emulator (`qemu-system-*`, `qemu-kvm`).
        case qemu
        /// A libvirt daemon that starts qemu: monolithic `libvirtd` or modular `virtqemud`.
        case libvirtDaemon = "libvirt-daemon"
    }

    public struct Entry: Sendable, Hashable {
        public var pid: Int
        public var kind: Kind
        /// The `exe` link target without the ` (deleted)` suffix.
        public var exe: String
        /// True when the binary was replaced or removed after the process started.
        public var exeDeleted: Bool
    }

    public var entries: [Entry]
    /// Processes whose `exe` could not be read (permission, kernel threads have none).
    public var unreadable: Int
    /// Numeric `/proc` entries looked at.
    public var scanned: Int

    public var qemus: [Entry] { entries.filter { $0.kind == .qemu } }
    public var daemons: [Entry] { entries.filter { $0.kind == .libvirtDaemon } }

    /// What an executable path is, from its file name: nil for anything else.
    public static func kind(ofExecutable path: String) -> Kind? {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        if base.hasPrefix("qemu-system-") || base == "qemu-kvm" { return .qemu }
        if base == "libvirtd" || base == "virtqemud" { return .libvirtDaemon }
        return nil
    }

    /// Splits `exe`'s link target into the path and whether it was deleted.
    public static func parseExe(_ link: String) -> (path: String, deleted: Bool) {
        let suffix = " (deleted)"
        if link.hasSuffix(suffix) { return (String(link.dropLast(suffix.count)), true) }
        return (link, false)
    }

    /// Reads the table under `root`. `/proc` itself unreadable is an error; everything below it
    /// is best effort (processes come and go while it is read).
    public static func read(root: HostRoot, reader: ProcReader = .live) throws(ProbeError) -> ProcessTable {
        let names = try FileReader.list(root.path("/proc"))
        var table = ProcessTable(entries: [], unreadable: 0, scanned: 0)
        for name in names {
            guard let pid = Int(name), pid > 0 else { continue }
            table.scanned += 1
            let link: String
            do { link = try reader.readLink(root.proc("\(pid)/exe")) } catch .notFound, .processGone {
                continue
            } catch {
                table.unreadable += 1
                continue
            }
            let exe = parseExe(link)
            guard let kind = kind(ofExecutable: exe.path) else { continue }
            table.entries.append(Entry(pid: pid, kind: kind, exe: exe.path, exeDeleted: exe.deleted))
        }
        table.entries.sort { $0.pid < $1.pid }
        return table
    }
}

/// What a qemu command line says about the guest it runs, for qemu processes that no libvirt
/// domain accounts for: `-name guest=NAME,...` (or the legacy `-name NAME`), `-uuid` (else the
/// SMBIOS type 1 uuid, which is all Proxmox VE passes), and where
/// its QMP monitor socket is (libvirt's live under `.../libvirt/qemu/domain-<id>-<name>/`).
public struct QemuIdentity: Sendable, Hashable {
    public var name: String?
    public var uuid: String?
    /// The `path=` of the monitor chardev (`charmonitor`) or of a `-qmp unix:` option.
    public var monitorPath: String?
    /// True when the monitor lives in a libvirt state directory: a libvirt daemon started it.
    public var startedByLibvirt: Bool { monitorPath?.contains("/libvirt/qemu/domain-") ?? false }

    public static func parse(_ args: [String]) -> QemuIdentity {
        var id = QemuIdentity()
        var i = 1
        func value(_ opt: String) -> String? { i + 1 < args.count ? args[i + 1] : nil }
        while i < args.count {
            let a = args[i].hasPrefix("--") ? String(args[i].dropFirst()) : args[i]
            switch a {
            case "-name":
                if let v = value(a) { id.name = nameValue(v) }
                i += 1
            case "-uuid":
                if let v = value(a) { id.uuid = v.lowercased() }
                i += 1
            case "-smbios":
                // Proxmox VE passes the VM's uuid only as SMBIOS type 1 (`type=1,uuid=...`).
                if let v = value(a), v.hasPrefix("type=1"), id.uuid == nil, let u = keyval(v, "uuid") { id.uuid = u.lowercased() }
                i += 1
            case "-chardev":
                if let v = value(a), v.contains("id=charmonitor") || id.monitorPath == nil,
                   v.hasPrefix("socket"), let p = keyval(v, "path") {
                    if v.contains("id=charmonitor") || id.monitorPath == nil { id.monitorPath = p }
                }
                i += 1
            case "-qmp", "-monitor":
                if let v = value(a), v.hasPrefix("unix:") {
                    let p = String(v.dropFirst("unix:".count)).split(separator: ",").first.map(String.init)
                    if id.monitorPath == nil { id.monitorPath = p }
                }
                i += 1
            default:
                break
            }
            i += 1
        }
        return id
    }

    /// `guest=va,debug-threads=on` -> `va`; `va,process=x` (legacy) -> `va`; `,,` escapes a comma.
    static func nameValue(_ v: String) -> String {
        let parts = splitKeyval(v)
        for p in parts where p.hasPrefix("guest=") { return String(p.dropFirst("guest=".count)) }
        return parts.first.map { $0.contains("=") ? "" : $0 } ?? v
    }

    static func keyval(_ v: String, _ key: String) -> String? {
        for p in splitKeyval(v) where p.hasPrefix(key + "=") { return String(p.dropFirst(key.count + 1)) }
        return nil
    }

    /// qemu's keyval syntax: parts separated by `,`, a doubled `,,` is a literal comma.
    static func splitKeyval(_ v: String) -> [String] {
        var parts: [String] = []
        var cur = ""
        var chars = Array(v)
        var i = 0
        while i < chars.count {
            if chars[i] == "," {
                if i + 1 < chars.count, chars[i + 1] == "," { cur.append(","); i += 2; continue }
                parts.append(cur); cur = ""
            } else {
                cur.append(chars[i])
            }
            i += 1
        }
        parts.append(cur)
        chars.removeAll()
        return parts
    }
}
