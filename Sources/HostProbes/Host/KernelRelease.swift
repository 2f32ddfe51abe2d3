import Core

/// `/proc/sys/kernel/osrelease`: the running kernel's release (`6.1.0-25-amd64`), as `uname -r`.
public struct KernelRelease: Sendable, Hashable {
    public static let path = "/proc/sys/kernel/osrelease"

    public let release: String

    public init(release: String) {
        self.release = release
    }

    public static func read(root: HostRoot) throws(ProbeError) -> KernelRelease {
        let p = root.path(path)
        return try parse(try FileReader.readString(p, limit: 4096), path: p)
    }

    /// One line of printable ASCII without blanks (at most 64 bytes, the size of utsname.release).
    public static func parse(_ text: String, path: String = path) throws(ProbeError) -> KernelRelease {
        let t = text.trimmingWhitespace()
        guard !t.isEmpty, t.utf8.count <= 64, t.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw ProbeError.parse(path: path, reason: "expected one word of printable ASCII")
        }
        return KernelRelease(release: t)
    }

    public func record(into facts: inout FactBuilder) {
        facts.set("host.kernel.release", .string(release))
    }
}
