import Core

/// A running libvirt daemon, found by `/proc/<pid>/comm`, with what decides its exposure:
/// `/proc/<pid>/cmdline` (`-f`/`--config FILE`, `-l`/`--listen`), the socket inodes of its open
/// files (`/proc/<pid>/fd/* -> socket:[inode]`) and its network namespace (`/proc/<pid>/ns/net`).
public struct LibvirtDaemonProcess: Sendable, Hashable {
    public let pid: Int
    public let name: String
    /// The `-f`/`--config` argument; nil when the daemon reads its default file.
    public let configArgument: String?
    /// `--listen` / `-l` (libvirtd only honours listen_tcp/listen_tls with it).
    public let listen: Bool
    /// Inodes of its open sockets; nil when its fd directory could not be read.
    public let socketInodes: Set<UInt64>?
    public let fdError: String?
    /// The `net:[inode]` of its network namespace; nil when unreadable.
    public let netNamespace: String?

    public init(pid: Int, name: String, configArgument: String?, listen: Bool, socketInodes: Set<UInt64>?,
                fdError: String? = nil, netNamespace: String?) {
        self.pid = pid
        self.name = name
        self.configArgument = configArgument
        self.listen = listen
        self.socketInodes = socketInodes
        self.fdError = fdError
        self.netNamespace = netNamespace
    }

    /// Every running daemon named in `LibvirtDaemonConf.daemons`. Processes that exit during the
    /// walk are skipped.
    public static func scan(root: HostRoot) throws(ProbeError) -> [LibvirtDaemonProcess] {
        let names = Set(LibvirtDaemonConf.daemons)
        var out: [LibvirtDaemonProcess] = []
        for entry in try FileReader.list(root.path("/proc")) {
            guard let pid = Int(entry), pid > 0 else { continue }
            guard let comm = try? FileReader.readAttribute(root.proc("\(pid)/comm")), names.contains(comm) else { continue }
            guard let cmdline = try? FileReader.read(root.proc("\(pid)/cmdline"), limit: 256 * 1024) else { continue }
            let args = cmdline.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            let (config, listen) = parseArguments(Array(args.dropFirst()))
            var inodes: Set<UInt64>? = nil
            var fdError: String? = nil
            do {
                inodes = try socketInodes(pid: pid, root: root)
            } catch .processGone {
                continue
            } catch {
                fdError = "\(error)"
            }
            let net = try? FileReader.readLink(root.proc("\(pid)/ns/net"))
            out.append(LibvirtDaemonProcess(pid: pid, name: comm, configArgument: config, listen: listen,
                                            socketInodes: inodes, fdError: fdError, netNamespace: net))
        }
        return out.sorted { $0.pid < $1.pid }
    }

    /// The daemons' getopt_long options (`hvdlf:p:t:`): `-f FILE`, `-fFILE`, `--config FILE`,
    /// `--config=FILE`, `-l`, `--listen`, short options bundled (`-dl`). The last `-f` wins.
    public static func parseArguments(_ args: [String]) -> (config: String?, listen: Bool) {
        var config: String?, listen = false
        var i = 0
        while i < args.count {
            let a = args[i]
            i += 1
            if a == "--" { break }
            if a.hasPrefix("--") {
                let body = a.dropFirst(2)
                let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                let inline = body.contains("=") ? String(body[body.index(after: body.firstIndex(of: "=")!)...]) : nil
                switch name {
                case "listen": listen = true
                case "config":
                    if let inline { config = inline } else if i < args.count { config = args[i]; i += 1 }
                case "pid-file", "timeout":
                    if inline == nil { i += 1 }
                default: break
                }
            } else if a.hasPrefix("-") && a.count > 1 {
                var chars = Substring(a.dropFirst())
                while let c = chars.first {
                    chars = chars.dropFirst()
                    if c == "l" { listen = true; continue }
                    if c == "f" || c == "p" || c == "t" {
                        let value: String?
                        if !chars.isEmpty { value = String(chars) } else if i < args.count { value = args[i]; i += 1 } else { value = nil }
                        if c == "f" { config = value }
                        break
                    }
                }
            }
        }
        return (config, listen)
    }

    /// Inodes of `socket:[N]` links in `/proc/<pid>/fd`. A descriptor closed during the walk is skipped.
    static func socketInodes(pid: Int, root: HostRoot) throws(ProbeError) -> Set<UInt64> {
        let dir = root.proc("\(pid)/fd")
        let fds: [String]
        do { fds = try FileReader.list(dir) } catch {
            throw error.forProcess(pid, alive: FileReader.exists(root.proc("\(pid)")))
        }
        var out = Set<UInt64>()
        for fd in fds {
            guard let target = try? FileReader.readLink(dir + "/" + fd) else { continue }
            if let inode = socketInode(target) { out.insert(inode) }
        }
        return out
    }

    /// `socket:[12345]` -> 12345.
    public static func socketInode(_ link: String) -> UInt64? {
        guard link.hasPrefix("socket:["), link.hasSuffix("]") else { return nil }
        return UInt64(link.dropFirst(8).dropLast())
    }
}
