import Core

/// `/proc/<pid>/cmdline`: the arguments, each terminated by a NUL byte. Empty for a kernel thread
/// or a zombie.
public struct ProcCmdline: Sendable, Hashable {
    public var arguments: [String]

    public static func path(pid: Int, root: HostRoot) -> String { root.proc("\(pid)/cmdline") }

    public static func read(pid: Int, root: HostRoot, reader: ProcReader = .live) throws(ProbeError) -> ProcCmdline {
        parse(try reader.read(path(pid: pid, root: root)))
    }

    /// Splits at NUL bytes; the final terminator does not start an argument, and empty arguments
    /// in between are kept (`a\0\0b\0` is `["a", "", "b"]`).
    public static func parse(_ bytes: [UInt8]) -> ProcCmdline {
        if bytes.isEmpty { return ProcCmdline(arguments: []) }
        var parts = bytes.split(separator: 0, omittingEmptySubsequences: false)
        if bytes.last == 0 { parts.removeLast() }
        return ProcCmdline(arguments: parts.map { String(decoding: $0, as: UTF8.self) })
    }

    public static func parse(_ text: String) -> ProcCmdline { parse(Array(text.utf8)) }
}
