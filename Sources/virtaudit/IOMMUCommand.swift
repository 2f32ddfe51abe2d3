import ArgumentParser
import Core
import Devices
import Foundation

extension IOMMUReport.Format: ExpressibleByArgument {}

/// `virtaudit iommu`: every IOMMU group with its devices, drivers and whether it can be given to
/// a VM, from the live /sys (under `--root`) or from pasted `lspci -nnk` / "IOMMU Group N" listings.
struct IOMMUCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iommu",
        abstract: "Show IOMMU groups and whether each can be assigned to a VM.",
        discussion: """
            Without --from-listing, reads /sys/kernel/iommu_groups and /sys/bus/pci/devices under --root. \
            With --from-listing, explains pasted text instead (FILE or - for stdin): the "IOMMU Group N" \
            shell loop, `Group: N ADDR ... Driver: X` viewer-script lines, `find /sys/kernel/iommu_groups \
            -type l` (also with lost newlines), `ls -la /sys/kernel/iommu_groups/N/devices/`, kernel log \
            `Adding to iommu group N` lines, `lspci -nnk`/`-k`/`-n` and `virsh nodedev-dumpxml`; several \
            files of the same host are merged by PCI address.

            Exit status: 0; 2 when a listing file is unreadable or holds no recognisable listing (the \
            message names the file and the first line that could not be placed). Lines of a partly \
            recognised listing that were ignored are listed on stderr and in the JSON (`ignored`).
            """)

    @Option(name: .long, help: "Host root directory to read /sys and /proc under.")
    var root: String = "/"

    @Option(name: .customLong("from-listing"), parsing: .upToNextOption,
            help: ArgumentHelp("Listing files to explain instead of the live host (repeatable).", valueName: "FILE"))
    var fromListing: [String] = []

    @Option(name: .long, help: "Output format: table or json.")
    var format: IOMMUReport.Format = .table

    func run() throws {
        if fromListing.isEmpty {
            print(IOMMUReport.render(host: HostIOMMU.read(root: HostRoot(root)), format: format), terminator: "")
        } else {
            let listing: IOMMUListing
            do {
                listing = try IOMMUReport.listing(files: fromListing)
            } catch {
                fail(error.description)
            }
            for w in IOMMUReport.warnings(listing) {
                FileHandle.standardError.write(Data("virtaudit: warning: \(w)\n".utf8))
            }
            print(IOMMUReport.render(listing: listing, format: format), terminator: "")
        }
    }
}
