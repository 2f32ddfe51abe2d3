import ArgumentParser
import Audit
import Core
import Foundation

/// Options shared by every command that audits a host.
struct AuditOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "libvirt connection URI (opened read-only).")
    var connect: String = "qemu:///system"

    @Option(help: ArgumentHelp("Host root to read proc, sys, run and etc under (for fixture trees).",
                               valueName: "dir"))
    var root: String = "/"

    @Option(help: ArgumentHelp("Policies directory (rules/ and profiles/).", valueName: "dir"))
    var policies: String?

    @Option(help: ArgumentHelp("Waivers file (accepted risks with owner and expiry).", valueName: "file"))
    var waivers: String?

    func validate() throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw ValidationError("--root \(root): not a directory")
        }
        if let p = policies, !FileManager.default.fileExists(atPath: p) {
            throw ValidationError("--policies \(p): no such directory")
        }
        if let w = waivers, !FileManager.default.fileExists(atPath: w) {
            throw ValidationError("--waivers \(w): no such file")
        }
    }

    /// The policies directory: the option, else `policies/` beside the executable's package, else
    /// the installed location.
    func policiesDirectory() -> String {
        if let p = policies { return p }
        return PolicyLocation.defaultDirectory()
    }
}

enum PolicyLocation {
    /// Looks for the policies shipped with virtaudit: $VIRTAUDIT_POLICIES, ./policies,
    /// <executable>/../../policies (a build tree), /usr/share/virtaudit/policies, /etc/virtaudit/policies.
    static func defaultDirectory() -> String {
        let fm = FileManager.default
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["VIRTAUDIT_POLICIES"] { candidates.append(env) }
        candidates.append(fm.currentDirectoryPath + "/policies")
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("policies").path)
            dir = dir.deletingLastPathComponent()
        }
        candidates += ["/etc/virtaudit/policies", "/usr/share/virtaudit/policies"]
        return candidates.first { fm.fileExists(atPath: $0 + "/rules") } ?? "policies"
    }
}

/// Prints a one-line error and exits with status 2 (usage or connection error).
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("virtaudit: \(message)\n".utf8))
    exit(2)
}

extension AuditOptions {
    func settings() -> ScanSettings {
        ScanSettings(uri: connect, root: HostRoot(root), policiesDirectory: policiesDirectory(), waiversPath: waivers)
    }
}

extension PolicyLocation {
    /// A directory shipped with virtaudit (`web`), looked up like the policies.
    static func shipped(_ name: String) -> String? {
        let fm = FileManager.default
        var candidates = [fm.currentDirectoryPath + "/" + name]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent(name).path)
            dir = dir.deletingLastPathComponent()
        }
        candidates.append("/usr/share/virtaudit/" + name)
        return candidates.first { fm.fileExists(atPath: $0 + "/index.html") }
    }
}
