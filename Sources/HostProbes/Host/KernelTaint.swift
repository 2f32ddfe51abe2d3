import Core

/// `/proc/sys/kernel/tainted`: a decimal bit mask of the reasons the kernel is tainted, decoded per
/// Documentation/admin-guide/tainted-kernels.rst (the letters are those of an oops report).
public struct KernelTaint: Sendable, Hashable {
    public static let path = "/proc/sys/kernel/tainted"

    public struct Flag: Sendable, Hashable {
        public let bit: Int
        public let letter: String
        public let name: String
    }

    /// Bits 0..19 as the kernel documents them.
    public static let flags: [Flag] = [
        Flag(bit: 0, letter: "P", name: "proprietary module loaded"),
        Flag(bit: 1, letter: "F", name: "module force loaded"),
        Flag(bit: 2, letter: "S", name: "kernel running on an out of specification system"),
        Flag(bit: 3, letter: "R", name: "module force unloaded"),
        Flag(bit: 4, letter: "M", name: "processor reported a machine check exception"),
        Flag(bit: 5, letter: "B", name: "bad page referenced or unexpected page flags"),
        Flag(bit: 6, letter: "U", name: "taint requested by userspace"),
        Flag(bit: 7, letter: "D", name: "kernel died recently (oops or BUG)"),
        Flag(bit: 8, letter: "A", name: "ACPI table overridden by user"),
        Flag(bit: 9, letter: "W", name: "kernel issued a warning"),
        Flag(bit: 10, letter: "C", name: "staging driver loaded"),
        Flag(bit: 11, letter: "I", name: "workaround for a platform firmware bug applied"),
        Flag(bit: 12, letter: "O", name: "externally-built (out-of-tree) module loaded"),
        Flag(bit: 13, letter: "E", name: "unsigned module loaded"),
        Flag(bit: 14, letter: "L", name: "soft lockup occurred"),
        Flag(bit: 15, letter: "K", name: "kernel live patched"),
        Flag(bit: 16, letter: "X", name: "auxiliary taint (distribution-defined)"),
        Flag(bit: 17, letter: "T", name: "kernel built with the struct randomization plugin"),
        Flag(bit: 18, letter: "N", name: "an in-kernel test has been run"),
        Flag(bit: 19, letter: "J", name: "userspace used a mutating debug operation in fwctl"),
    ]

    public let value: UInt64

    public init(value: UInt64) {
        self.value = value
    }

    public var tainted: Bool { value != 0 }
    /// The documented flags that are set, by bit.
    public var set: [Flag] { KernelTaint.flags.filter { value & (1 << UInt64($0.bit)) != 0 } }
    /// Set bits the kernel documentation (as known here) does not name.
    public var undocumentedBits: [Int] {
        (KernelTaint.flags.count..<64).filter { value & (1 << UInt64($0)) != 0 }
    }

    public static func read(root: HostRoot) throws(ProbeError) -> KernelTaint {
        let p = root.path(path)
        return try parse(try FileReader.readString(p, limit: 4096), path: p)
    }

    /// One unsigned decimal number (trailing newline allowed).
    public static func parse(_ text: String, path: String = path) throws(ProbeError) -> KernelTaint {
        let t = text.trimmingWhitespace()
        guard !t.isEmpty, t.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = UInt64(t) else {
            throw ProbeError.parse(path: path, reason: "expected an unsigned decimal integer")
        }
        return KernelTaint(value: v)
    }

    /// Records `host.kernel.taint.*`.
    public func record(into facts: inout FactBuilder) {
        // JSON ints are signed 64-bit; only the documented low bits are ever set in practice.
        facts.set("host.kernel.taint.value", value <= UInt64(Int.max) ? .int(Int(value)) : .double(Double(value)))
        facts.set("host.kernel.taint.tainted", .bool(tainted))
        facts.set("host.kernel.taint.flags", .from(set.map(\.letter)))
        facts.set("host.kernel.taint.names", .from(set.map(\.name)))
        facts.set("host.kernel.taint.undocumentedBits", .array(undocumentedBits.map { .int($0) }))
    }
}
