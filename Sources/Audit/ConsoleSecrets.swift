import Core
import Inventory

/// Fills `surface.graphics[].password`. libvirt leaves `passwd` out of the XML it returns on a
/// read-only connection, but writes it into its own secure copies: the status file
/// `/run/libvirt/qemu/<name>.xml` of a running domain and the config file
/// `/etc/libvirt/qemu/<name>.xml` of a persistent one. Unreadable: the password stays null and
/// the reason is recorded (unknown, never "has a password").
enum ConsoleSecrets {
    static func statusPath(_ name: String, root: HostRoot) -> String { root.run("libvirt/qemu/\(name).xml") }
    static func configPath(_ name: String, root: HostRoot) -> String { root.etc("libvirt/qemu/\(name).xml") }

    static func collect(_ d: InventoryDomain, root: HostRoot, into f: inout FactBuilder) {
        guard case .array(var graphics)? = f.tree[path: "surface.graphics"], !graphics.isEmpty else { return }
        let path = d.record.isActive ? statusPath(d.record.name, root: root) : configPath(d.record.name, root: root)
        let passwords: [Bool]
        do {
            passwords = try ConsoleFacts.graphicsPasswords(secureXML: try FileReader.readString(path))
        } catch {
            f.markUnknown("surface.graphics", reason: "display password not readable: \(error)")
            return
        }
        for i in graphics.indices {
            guard case .object(var g) = graphics[i] else { continue }
            if g["password"] == .bool(true) { continue }
            if i < passwords.count { g["password"] = .bool(passwords[i]) }
            graphics[i] = .object(g)
        }
        f.set("surface.graphics", .array(graphics))
    }
}
