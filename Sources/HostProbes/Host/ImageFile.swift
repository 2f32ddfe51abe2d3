import CSELinux
import Core
import Glibc

/// A disk image or block device on the host, as qemu opens it: its owner, mode and SELinux label
/// (the `security.selinux` extended attribute, read with getxattr, which follows a symlink to
/// the file qemu ends up opening).
public struct ImageFile: Sendable, Hashable {
    public var uid: Int
    public var gid: Int
    /// Permission bits, without the file type.
    public var mode: Int
    /// The `security.selinux` attribute without its trailing NUL; nil when the file has none
    /// (no SELinux policy ever labelled it, or the filesystem carries no labels).
    public var selinuxLabel: String?

    public var modeString: String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    public var worldWritable: Bool { mode & 0o002 != 0 }

    /// Reads the file at host path `path` under `root`.
    public static func read(path: String, root: HostRoot) throws(ProbeError) -> ImageFile {
        let full = root.path(path)
        let meta = try FileReader.metadata(full)
        return ImageFile(uid: meta.uid, gid: meta.gid, mode: meta.mode, selinuxLabel: try label(full))
    }

    static func label(_ full: String) throws(ProbeError) -> String? {
        var buf = [UInt8](repeating: 0, count: 1024)
        let n = getxattr(full, "security.selinux", &buf, buf.count)
        if n < 0 {
            let e = errno
            switch e {
            case ENODATA, ENOTSUP: return nil
            case ERANGE: throw .tooLarge(path: full + " (security.selinux)", limit: buf.count)
            default: throw ProbeError.from(errno: e, path: full)
            }
        }
        return parseLabel(Array(buf[0..<n]))
    }

    /// The attribute's bytes as text: the kernel stores the context with a trailing NUL.
    public static func parseLabel(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        return text.isEmpty ? nil : text
    }
}
