/// The confinement qemu was asked for on its command line (`/proc/<pid>/cmdline`): `-sandbox`
/// (qemu's own seccomp filter), `-runas`/`-chroot` (or `-run-with user=,chroot=` of newer qemu),
/// the accelerator, and the identity options libvirt passes (`-name guest=`, `-uuid`).
///
/// qemu's version is not read here (running `<binary> --version` is not done by a scan); the
/// integrator fills `sandbox.qemuVersion` from libvirt.
public struct QemuSandbox: Sendable, Hashable {
    /// The `-sandbox` sub-options, in report order.
    public static let optionNames = ["obsolete", "elevateprivileges", "spawn", "resourcecontrol"]

    /// qemu's value for a sub-option absent from `-sandbox on,...` (qemu-options.hx): obsolete
    /// system calls are denied, everything else allowed.
    public static let defaults: [String: String] = [
        "obsolete": "deny", "elevateprivileges": "allow", "spawn": "allow", "resourcecontrol": "allow",
    ]

    public var binary: String?
    /// `-sandbox on` (or `enable=on`).
    public var enabled: Bool
    /// Effective value of each sub-option: as given, else qemu's default. With the sandbox off,
    /// nothing is filtered and every option is `allow`.
    public var options: [String: String]
    /// Sub-options written on the command line (the rest are defaults).
    public var explicitOptions: [String]
    public var runas: String?
    public var chroot: String?
    /// Accelerators requested, in qemu's order of preference (`-accel kvm -accel tcg`,
    /// `-machine accel=kvm:tcg`, `-enable-kvm`).
    public var accels: [String]
    public var uuid: String?
    public var guestName: String?

    /// The preferred accelerator; qemu's default `tcg` when none is requested.
    public var accel: String { accels.first ?? "tcg" }
    public var kvm: Bool { accel == "kvm" }

    public static func parse(_ cmdline: ProcCmdline) -> QemuSandbox { parse(arguments: cmdline.arguments) }

    public static func parse(arguments args: [String]) -> QemuSandbox {
        var s = QemuSandbox(binary: args.first, enabled: false, options: [:], explicitOptions: [],
                            runas: nil, chroot: nil, accels: [], uuid: nil, guestName: nil)
        var sandboxOpts: [(String, String)]? = nil
        var accelOption: [String] = []
        var machineAccel: [String] = []
        var enableKVM = false
        var i = 1
        while i < args.count {
            var name = args[i]
            guard name.hasPrefix("-") else { i += 1; continue }
            if name.hasPrefix("--") { name.removeFirst() }
            let value: String? = i + 1 < args.count ? args[i + 1] : nil
            switch name {
            case "-enable-kvm":
                enableKVM = true
                i += 1
                continue
            case "-sandbox":
                if let v = value { sandboxOpts = options(v, implied: "enable") }
            case "-runas":
                s.runas = value
            case "-chroot":
                s.chroot = value
            case "-run-with":
                if let v = value {
                    for (k, val) in options(v, implied: nil) {
                        if k == "user" { s.runas = val }
                        if k == "chroot" { s.chroot = val }
                    }
                }
            case "-accel":
                if let v = value, let a = options(v, implied: "accel").last(where: { $0.0 == "accel" }) {
                    accelOption.append(a.1)
                }
            case "-machine", "-M":
                if let v = value, let a = options(v, implied: "type").last(where: { $0.0 == "accel" }) {
                    machineAccel = a.1.split(separator: ":").map(String.init)
                }
            case "-uuid":
                s.uuid = value
            case "-name":
                if let v = value, let g = options(v, implied: "guest").last(where: { $0.0 == "guest" }) {
                    s.guestName = g.1
                }
            default:
                i += 1
                continue
            }
            i += 2
        }
        if enableKVM { s.accels = ["kvm"] }
        s.accels += accelOption + machineAccel
        var seen = Set<String>()
        s.accels = s.accels.filter { seen.insert($0).inserted }

        if let opts = sandboxOpts {
            var given: [String: String] = [:]
            for (k, v) in opts { given[k] = v.lowercased() }
            s.enabled = given["enable"].map(isTrue) ?? false
            s.explicitOptions = optionNames.filter { given[$0] != nil }
            for n in optionNames { s.options[n] = s.enabled ? (given[n] ?? defaults[n]!) : "allow" }
        } else {
            for n in optionNames { s.options[n] = "allow" }
        }
        return s
    }

    static func isTrue(_ v: String) -> Bool { ["on", "yes", "true", "y", "1"].contains(v) }

    /// Splits a QemuOpts string `on,obsolete=deny` into key/value pairs: a first item without
    /// `=` is the value of `implied`; `,,` is a literal comma.
    public static func options(_ text: String, implied: String?) -> [(String, String)] {
        var items: [String] = []
        var current = ""
        var chars = Array(text)[...]
        while let c = chars.first {
            chars.removeFirst()
            if c == "," {
                if chars.first == "," { current.append(","); chars.removeFirst(); continue }
                items.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        items.append(current)
        var out: [(String, String)] = []
        for (index, item) in items.enumerated() {
            if let eq = item.firstIndex(of: "=") {
                out.append((String(item[..<eq]), String(item[item.index(after: eq)...])))
            } else if index == 0, let implied {
                out.append((implied, item))
            } else if !item.isEmpty {
                out.append((item, "on"))
            }
        }
        return out
    }
}
