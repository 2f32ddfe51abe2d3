import Core

/// `/etc/group`: `name:password:gid:members` per line. Used to name the group that owns a device.
public struct EtcGroup: Sendable, Hashable {
    public static let path = "/etc/group"

    /// gid -> name; the first line with a gid wins, as getgrgid(3) returns it.
    public let names: [Int: String]

    public init(names: [Int: String]) {
        self.names = names
    }

    public func name(of gid: Int) -> String? { names[gid] }

    public static func read(root: HostRoot) throws(ProbeError) -> EtcGroup {
        parse(try FileReader.readString(root.path(path)))
    }

    /// Lines that do not have a name and a numeric gid (comments, NIS `+` lines, garbage) are skipped.
    public static func parse(_ text: String) -> EtcGroup {
        var names: [Int: String] = [:]
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 3, !fields[0].isEmpty, !fields[0].hasPrefix("#"), !fields[0].hasPrefix("+"),
                  !fields[0].hasPrefix("-"), let gid = Int(fields[2]), gid >= 0 else { continue }
            if names[gid] == nil { names[gid] = String(fields[0]) }
        }
        return EtcGroup(names: names)
    }
}
