import Core
import Devices
import Foundation
import HostProbes

/// One qemu command line read from a saved artifact: `/proc/<pid>/cmdline` (NUL-separated),
/// libvirt's `<name>.args` file and the start lines of `/var/log/libvirt/qemu/<name>.log`
/// (environment assignments `VAR=value \` before the argv, one argument per line, shell-quoted),
/// or a `ps` line (arguments split on blanks: quoting is lost, as `ps` prints it).
struct QemuInvocation: Sendable, Hashable {
    var arguments: [String]
    /// `VAR=value` assignments before the binary (libvirt's log and .args files).
    var environment: [String]
    /// Line of the binary in the artifact (1-based).
    var line: Int
    /// `qemu version: X` of the libvirt log header preceding the command line.
    var qemuVersion: String?
    /// The process id, when the artifact gives it (a `ps` line).
    var pid: Int?
    /// The line of each argument, when the artifact puts them on several lines (libvirt's files).
    var argumentLines: [Int] = []

    /// The line of the first occurrence of any of `options` (`-vnc`), else the binary's line.
    func line(of options: [String]) -> Int {
        guard argumentLines.count == arguments.count else { return line }
        for (i, a) in arguments.enumerated() where options.contains(a) { return argumentLines[i] }
        return line
    }

    /// True when `word` (a path or a name) names a qemu system emulator binary.
    static func isQemuBinary(_ word: String) -> Bool {
        let base = word.split(separator: "/").last.map(String.init) ?? word
        return base.hasPrefix("qemu-system-") || base == "qemu-kvm" || base == "kvm"
    }

    /// One `-device` option: its driver and properties, from keyval (`vfio-pci,host=06:12.1`)
    /// or JSON (`{"driver":"vfio-pci","host":"0000:06:12.1"}`) syntax.
    struct Device: Sendable, Hashable {
        var driver: String
        var properties: [String: String]
    }

    var devices: [Device] { values(of: "-device").compactMap(Self.device) }

    /// The arguments of every occurrence of `option` (`-device`, `--device`).
    func values(of option: String) -> [String] {
        var out: [String] = []
        var i = 1
        while i < arguments.count {
            var a = arguments[i]
            if a.hasPrefix("--") { a.removeFirst() }
            if a == option, i + 1 < arguments.count { out.append(arguments[i + 1]); i += 2; continue }
            i += 1
        }
        return out
    }

    static func device(_ text: String) -> Device? {
        let object = keyValues(text, implied: "driver")
        guard let d = object["driver"], !d.isEmpty else { return nil }
        return Device(driver: d, properties: object)
    }

    /// Keyval (`a,b=c`) or JSON (`{"b":"c"}`) option text as flat string properties.
    static func keyValues(_ text: String, implied: String) -> [String: String] {
        let t = text.trimmingWhitespace()
        if t.hasPrefix("{") {
            guard let v = try? JSONDecoder().decode(JSONValue.self, from: Data(t.utf8)), let obj = v.objectValue else { return [:] }
            var out: [String: String] = [:]
            for (k, v) in obj {
                switch v {
                case .string(let s): out[k] = s
                case .int(let n): out[k] = String(n)
                case .double(let d): out[k] = String(d)
                case .bool(let b): out[k] = b ? "on" : "off"
                default: continue
                }
            }
            return out
        }
        var out: [String: String] = [:]
        for (k, v) in QemuSandbox.options(t, implied: implied) where out[k] == nil { out[k] = v }
        return out
    }

    /// `06:12.1` -> `0000:06:12.1`; nil when not a PCI address.
    static func pciAddress(_ text: String) -> String? { PCIAddress.normalize(text) }

    /// Host PCI functions given to the guest with `-device vfio-pci,host=...` (or `sysfsdev=`).
    var vfioHosts: [String] {
        devices.filter { $0.driver == "vfio-pci" || $0.driver == "vfio-pci-nohotplug" }.compactMap { d in
            if let h = d.properties["host"] { return Self.pciAddress(h) }
            if let s = d.properties["sysfsdev"], let last = s.split(separator: "/").last { return Self.pciAddress(String(last)) }
            return nil
        }
    }

    /// Display servers: `-vnc` and `-spice`, with where they listen.
    var graphics: [(type: String, listenType: String?, listen: String?, nonLoopback: Bool?)] {
        var out: [(String, String?, String?, Bool?)] = []
        for v in values(of: "-vnc") {
            let opts = QemuSandbox.options(v, implied: "display")
            let display = opts.first { $0.0 == "display" }?.1 ?? v
            if display == "none" { continue }
            if display.hasPrefix("unix:") {
                out.append(("vnc", "socket", String(display.dropFirst(5)), false))
                continue
            }
            // host:display; an empty host listens on every address.
            let host: String
            if display.hasPrefix("["), let close = display.firstIndex(of: "]") {
                host = String(display[display.index(after: display.startIndex)..<close])
            } else {
                host = display.split(separator: ":", omittingEmptySubsequences: false).dropLast().joined(separator: ":")
            }
            out.append(("vnc", "address", host.isEmpty ? "0.0.0.0" : host, !IPAddress.isLoopbackListen(host)))
        }
        for v in values(of: "-spice") {
            let opts = Dictionary(QemuSandbox.options(v, implied: "port"), uniquingKeysWith: { a, _ in a })
            if opts["unix"] == "on", let a = opts["addr"] {
                out.append(("spice", "socket", a, false))
                continue
            }
            if opts["port"] == nil && opts["tls-port"] == nil { continue }
            let host = opts["addr"] ?? ""
            out.append(("spice", "address", host.isEmpty ? "0.0.0.0" : host, !IPAddress.isLoopbackListen(host)))
        }
        return out
    }

    /// The command line's security-relevant options, for the check report.
    var summary: JSONValue {
        .object([
            "binary": .from(arguments.first), "line": .int(line), "environment": .from(environment),
            "qemuVersion": .from(qemuVersion), "devices": .from(devices.map(\.driver)), "vfioHosts": .from(vfioHosts),
            "graphics": .array(graphics.map { g in
                .object(["type": .string(g.type), "listen": .from(g.listen), "nonLoopback": .from(g.nonLoopback)])
            }),
            "overcommit": .object(overcommit.mapValues { .string($0) }),
            "memoryBackends": .array(memoryBackends.map { .object($0.mapValues { .string($0) }) }),
            "sandbox": .from(values(of: "-sandbox").last),
        ])
    }

    /// `-overcommit mem-lock=on|off|on-fault,cpu-pm=on|off`.
    var overcommit: [String: String] {
        var out: [String: String] = [:]
        for v in values(of: "-overcommit") { for (k, val) in QemuSandbox.options(v, implied: "mem-lock") { out[k] = val } }
        return out
    }

    /// `-object memory-backend-*`: guest RAM backends with their type, path and sharing.
    var memoryBackends: [[String: String]] {
        values(of: "-object").map { Self.keyValues($0, implied: "qom-type") }.filter { ($0["qom-type"] ?? "").hasPrefix("memory-backend") }
    }
}

/// Splits shell-quoted text the way libvirt writes `.args` files and log start lines: words
/// separated by blanks, `'...'` and `"..."` quoting, backslash escapes, backslash-newline joining
/// lines.
enum ShellWords {
    /// The words of one logical line.
    static func split(_ text: String) -> [String]? {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character? = nil
        var it = Array(text)
        it.append(" ")
        var i = 0
        while i < it.count {
            let c = it[i]
            if let q = quote {
                if c == q { quote = nil }
                else if c == "\\" && q == "\"" && i + 1 < it.count { i += 1; current.append(it[i]) }
                else { current.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c; inWord = true
            } else if c == "\\" && i + 1 < it.count {
                i += 1
                if it[i] != "\n" { current.append(it[i]); inWord = true }
            } else if c == " " || c == "\t" || c == "\n" {
                if inWord { words.append(current); current = ""; inWord = false }
            } else {
                current.append(c); inWord = true
            }
            i += 1
        }
        return quote == nil ? words : nil
    }
}
