import ArgumentParser
import Foundation

/// virtaudit: audits how well each libvirt/qemu virtual machine is contained by the host.
@main
struct VirtAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "virtaudit",
        abstract: "Audit the security surface of libvirt/qemu virtual machines on this host.",
        discussion: """
            virtaudit reads libvirt's inventory, each qemu process's confinement (/proc), host \
            hygiene (/sys, /etc) and device assignment (IOMMU/VFIO), evaluates the layered-defense \
            rules in the policies directory and scores every VM 0-100.

            Exit status: 0 success; 1 a VM scored below --fail-under; 2 usage or connection error.
            """,
        version: "0.1.0",
        subcommands: [ScanCommand.self, ServeCommand.self, ReportCommand.self, PolicyCommand.self, IOMMUCommand.self, TokenCommand.self,
                      CheckCommand.self, AdmitCommand.self],
        defaultSubcommand: ScanCommand.self
    )

    /// Usage errors exit 2 with a one-line reason (not ArgumentParser's 64), help and version 0.
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            let message = VirtAudit.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("virtaudit: \(message) (see --help)\n".utf8))
            // A hook that fails kills running guests at `reconnect`: a usage error admits.
            if CommandLine.arguments.dropFirst().first == "admit" { Foundation.exit(0) }
            Foundation.exit(2)
        }
        do {
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            let message = VirtAudit.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            let hint = error is ValidationError ? " (see --help)" : ""
            FileHandle.standardError.write(Data("virtaudit: \(message)\(hint)\n".utf8))
            Foundation.exit(2)
        }
    }
}
