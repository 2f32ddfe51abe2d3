import Core

/// `/proc/cmdline`: the kernel's boot parameters, split as the kernel does (`next_arg` in
/// lib/cmdline.c, called by `parse_args` in kernel/params.c): words separated by the kernel's
/// `isspace` (blank, \t-\r, and the byte 0xA0), `name` or `name=value` split at the first `=`
/// after the first byte, double quotes group blanks and are removed around a value
/// (`name="a b"`) or a whole word; a bare `--` ends the kernel's parameters and the rest goes to
/// init. Parameter names treat `-` and `_` alike (`parameq`), and the last occurrence of a
/// parameter wins.
///
/// The one reader of this file: the host probe records `host.kernel.cmdline.*`, the device
/// audit reads the IOMMU parameters (`host.iommu.cmdline.*`) from the same value.
public struct KernelCmdline: Sendable, Hashable {
    public static let path = "/proc/cmdline"

    public struct Arg: Sendable, Hashable {
        public let name: String
        /// nil for a bare flag (`nosmt`), "" for `name=`.
        public let value: String?

        public init(_ name: String, _ value: String? = nil) {
            self.name = name
            self.value = value
        }

        /// The name with `-` read as `_`, as the kernel compares names.
        public var key: String { String(name.map { $0 == "-" ? "_" : $0 }) }
        public var token: String { value.map { "\(name)=\($0)" } ?? name }
    }

    public let raw: String
    /// Kernel parameters in order, repeats included.
    public let args: [Arg]
    /// Words after `--`, passed to init.
    public let initArgs: [String]

    public init(raw: String, args: [Arg], initArgs: [String]) {
        self.raw = raw
        self.args = args
        self.initArgs = initArgs
    }

    public static func read(root: HostRoot) throws(ProbeError) -> KernelCmdline {
        parse(try FileReader.readString(root.path(path), limit: 64 * 1024))
    }

    public static func parse(_ text: String) -> KernelCmdline {
        let raw = text.trimmingWhitespace()
        // The kernel's line is a C string: nothing after a NUL byte is a parameter.
        var words = Tokenizer(Array(raw.utf8.prefix { $0 != 0 }))
        var args: [Arg] = []
        var initArgs: [String] = []
        var toInit = false
        while let (name, value) = words.next() {
            if toInit {
                initArgs.append(value.map { "\(name)=\($0)" } ?? name)
            } else if name == "--" && value == nil {
                toInit = true
            } else {
                args.append(Arg(name, value))
            }
        }
        return KernelCmdline(raw: raw, args: args, initArgs: initArgs)
    }

    /// The last value given for a parameter (the kernel's usual rule), matching `-`/`_` alike.
    /// `.some(nil)` for a bare flag.
    public func value(_ name: String) -> String?? {
        let key = Arg(name).key
        guard let a = args.last(where: { $0.key == key }) else { return nil }
        return .some(a.value)
    }

    public func has(_ name: String) -> Bool { value(name) != nil }

    /// The comma-separated items of a parameter's last value (`intel_iommu=on,sm_on`).
    private func items(_ name: String) -> [String] {
        guard case .some(.some(let v)) = value(name) else { return [] }
        return v.split(separator: ",").map(String.init)
    }

    /// `mitigations=off`: every CPU vulnerability mitigation is disabled.
    public var mitigationsOff: Bool { items("mitigations").first == "off" }
    /// `iommu=pt` or `iommu.passthrough=1`: DMA of host-owned devices bypasses translation.
    /// Both set the same default domain type (`iommu=nopt` and `iommu.passthrough=0` set it back
    /// to translated), so the last of them on the line decides.
    public var iommuPassthrough: Bool {
        var passthrough = false
        for a in args {
            switch a.key {
            case "iommu":
                for item in (a.value ?? "").split(separator: ",") {
                    if item == "pt" { passthrough = true } else if item == "nopt" { passthrough = false }
                }
            case "iommu.passthrough":
                if let v = a.value.flatMap(KernelCmdline.kstrtobool) { passthrough = v }
            default: break
            }
        }
        return passthrough
    }
    public var iommuOff: Bool { items("iommu").contains("off") }
    public var intelIommuOff: Bool { items("intel_iommu").contains("off") }
    public var amdIommuOff: Bool { items("amd_iommu").contains("off") }
    /// `intel_iommu=off`, `amd_iommu=off` or `iommu=off`: the IOMMU is switched off.
    public var iommuDisabled: Bool { intelIommuOff || amdIommuOff || iommuOff }
    /// `intremap=off`: interrupt remapping is switched off.
    public var interruptRemappingDisabled: Bool { items("intremap").contains("off") }
    /// `vfio_iommu_type1.allow_unsafe_interrupts`: a bare name sets a boolean parameter
    /// (`param_set_bool`), a value is read with `kstrtobool`; nil when absent or not a boolean.
    public var unsafeInterruptsRequested: Bool? {
        switch value("vfio_iommu_type1.allow_unsafe_interrupts") {
        case .none: return nil
        case .some(.none): return true
        case .some(.some(let v)): return KernelCmdline.kstrtobool(v)
        }
    }

    /// The last `name=value` value of a parameter; nil when it is absent or a bare flag.
    public func string(_ name: String) -> String? { value(name) ?? nil }

    /// `nosmt`, `nosmt=force`, or `mitigations=auto,nosmt`.
    public var nosmt: Bool { has("nosmt") || items("mitigations").contains("nosmt") }
    public var selinuxDisabled: Bool { value("selinux") == .some("0") }
    public var apparmorDisabled: Bool { value("apparmor") == .some("0") }

    /// Parameters that switch a protection off, as given (`mitigations=off`, `nopti`, `selinux=0`).
    /// Only the last occurrence of a repeated parameter counts, as for the kernel.
    public var weakeningOptions: [String] {
        var lastIndex: [String: Int] = [:]
        for (i, a) in args.enumerated() { lastIndex[a.key] = i }
        return args.enumerated().filter { i, a in
            lastIndex[a.key] == i && KernelCmdline.weakening.contains { $0.key == a.key && $0.matches(a.value) }
        }.map(\.element.token)
    }

    private struct Weakening: Sendable {
        let key: String
        let matches: @Sendable (String?) -> Bool
    }

    private static func off(_ v: String?) -> Bool { v?.split(separator: ",").contains("off") ?? false }

    private static let weakening: [Weakening] = {
        var list: [Weakening] = [
            Weakening(key: "mitigations") { $0?.split(separator: ",").first == "off" },
            Weakening(key: "kpti") { $0 == "0" || $0 == "off" },
            Weakening(key: "kvm.nx_huge_pages") { $0 == "off" },
            Weakening(key: "kvm_intel.vmentry_l1d_flush") { $0 == "never" },
            Weakening(key: "vfio_iommu_type1.allow_unsafe_interrupts") { $0.map { KernelCmdline.kstrtobool($0) ?? false } ?? true },
            Weakening(key: "selinux") { $0 == "0" },
            Weakening(key: "enforcing") { $0 == "0" },
            Weakening(key: "apparmor") { $0 == "0" },
        ]
        for flag in ["nospectre_v1", "nospectre_v2", "nospectre_bhb", "nopti", "nospec_store_bypass_disable",
                     "nokaslr", "nosmap", "nosmep", "noibrs", "noibpb", "pcie_acs_override"] {
            list.append(Weakening(key: flag) { _ in true })
        }
        for param in ["spectre_v2", "spectre_v2_user", "spec_store_bypass_disable", "pti", "mds", "tsx_async_abort",
                      "l1tf", "mmio_stale_data", "retbleed", "srbds", "gather_data_sampling",
                      "reg_file_data_sampling", "spec_rstack_overflow", "spectre_bhi", "indirect_target_selection",
                      "tsa", "vmscape", "intel_iommu", "amd_iommu", "iommu"] {
            list.append(Weakening(key: param, matches: off))
        }
        return list
    }()

    /// The kernel's `kstrtobool` (lib/kstrtox.c), which boolean parameters use: the first byte
    /// decides (1/y/Y/t/T true, 0/n/N/f/F false), or "o" then n/N (on) or f/F (off); anything
    /// else is not a boolean (nil) and the kernel rejects the parameter.
    public static func kstrtobool(_ s: String) -> Bool? {
        var bytes = s.utf8.makeIterator()
        switch bytes.next() {
        case UInt8(ascii: "1"), UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "t"), UInt8(ascii: "T"): return true
        case UInt8(ascii: "0"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "f"), UInt8(ascii: "F"): return false
        case UInt8(ascii: "o"), UInt8(ascii: "O"):
            switch bytes.next() {
            case UInt8(ascii: "n"), UInt8(ascii: "N"): return true
            case UInt8(ascii: "f"), UInt8(ascii: "F"): return false
            default: return nil
            }
        default: return nil
        }
    }

    /// Records `host.kernel.cmdline.*`.
    public func record(into facts: inout FactBuilder) {
        let p = "host.kernel.cmdline"
        var options: [String: JSONValue] = [:]
        for a in args { options[a.name] = a.value.map { .string($0) } ?? .bool(true) }
        facts.set("\(p).raw", .string(raw))
        facts.set("\(p).options", .object(options))
        facts.set("\(p).args", .array(args.map { .object(["name": .string($0.name), "value": .from($0.value)]) }))
        facts.set("\(p).initArgs", .from(initArgs))
        facts.set("\(p).mitigationsOff", .bool(mitigationsOff))
        facts.set("\(p).iommuPassthrough", .bool(iommuPassthrough))
        facts.set("\(p).iommuOff", .bool(iommuOff))
        facts.set("\(p).intelIommuOff", .bool(intelIommuOff))
        facts.set("\(p).amdIommuOff", .bool(amdIommuOff))
        facts.set("\(p).nosmt", .bool(nosmt))
        facts.set("\(p).selinuxDisabledOnCmdline", .bool(selinuxDisabled))
        facts.set("\(p).apparmorDisabledOnCmdline", .bool(apparmorDisabled))
        facts.set("\(p).weakeningOptions", .from(weakeningOptions))
    }
}

/// The kernel's `next_arg` (lib/cmdline.c), byte for byte.
private struct Tokenizer {
    let b: [UInt8]
    var i = 0

    init(_ bytes: [UInt8]) { b = bytes }

    /// The kernel's `isspace` (lib/ctype.c): blank, \t \n \v \f \r, and 0xA0 (Latin-1 no-break space).
    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0D) || c == 0xA0 }

    mutating func next() -> (String, String?)? {
        while i < b.count && Tokenizer.isSpace(b[i]) { i += 1 }
        guard i < b.count else { return nil }
        let quote = UInt8(ascii: "\""), eq = UInt8(ascii: "=")
        var start = i
        var inQuote = false, quoted = false
        if b[start] == quote { start += 1; inQuote = true; quoted = true }
        var j = start
        var equals: Int?  // offset from start; the kernel keeps the first '=' after position 0
        while j < b.count {
            if Tokenizer.isSpace(b[j]) && !inQuote { break }
            if (equals == nil || equals == 0) && b[j] == eq { equals = j - start }
            if b[j] == quote { inQuote.toggle() }
            j += 1
        }
        var end = j  // exclusive end of the word
        let name: String, value: String?
        if let e = equals, e > 0 {
            var vStart = start + e + 1
            var vEnd = end
            if vStart < b.count, vStart < end, b[vStart] == quote {
                vStart += 1
                if end - 1 >= vStart, b[end - 1] == quote { vEnd = end - 1 }
            } else if quoted, end > start, b[end - 1] == quote {
                vEnd = end - 1
            }
            name = String(decoding: b[start..<(start + e)], as: UTF8.self)
            value = String(decoding: b[vStart..<max(vStart, vEnd)], as: UTF8.self)
        } else {
            if quoted, end > start, b[end - 1] == quote { end -= 1 }
            name = String(decoding: b[start..<end], as: UTF8.self)
            value = nil
        }
        i = j
        return (name, value)
    }
}
