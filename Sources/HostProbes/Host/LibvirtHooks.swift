import Core

/// `/etc/libvirt/hooks/`: scripts libvirt runs as root at daemon and guest lifecycle events
/// (`daemon`, `qemu`, `lxc`, `libxl`, `bhyve`, `network`, and every file in `<driver>.d/`). A qemu
/// hook receives the domain XML on stdin and may rewrite it at `prepare`/`migrate`/`restore`.
public struct LibvirtHooks: Sendable, Hashable {
    public static let directory = "/etc/libvirt/hooks"
    static let drivers = ["daemon", "qemu", "lxc", "libxl", "bhyve", "network"]

    public struct Script: Sendable, Hashable {
        public let path: String
        public let executable: Bool
    }

    public let scripts: [Script]

    public init(scripts: [Script]) { self.scripts = scripts }

    public static func read(root: HostRoot) throws(ProbeError) -> LibvirtHooks {
        let dir = root.path(directory)
        let names: [String]
        do { names = try FileReader.list(dir) } catch .notFound { return LibvirtHooks(scripts: []) }
        var out: [Script] = []
        for n in names {
            if drivers.contains(n), !FileReader.isDirectory(dir + "/" + n) {
                out.append(script(directory + "/" + n, root: root))
            } else if n.hasSuffix(".d"), drivers.contains(String(n.dropLast(2))) {
                for s in (try? FileReader.list(dir + "/" + n)) ?? [] where !FileReader.isDirectory(dir + "/" + n + "/" + s) {
                    out.append(script(directory + "/" + n + "/" + s, root: root))
                }
            }
        }
        return LibvirtHooks(scripts: out)
    }

    static func script(_ path: String, root: HostRoot) -> Script {
        let mode = (try? FileReader.metadata(root.path(path)))?.mode ?? 0
        return Script(path: path, executable: mode & 0o111 != 0)
    }
}
