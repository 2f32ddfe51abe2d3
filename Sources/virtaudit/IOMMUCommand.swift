import ArgumentParser
import Core
import Devices

extension IOMMUReport.Format: ExpressibleByArgument {}

/// `virtaudit iommu`: every IOMMU group with its devices, drivers and whether it can be given to
/// a VM, from the live /sys (under `--root`) or from pasted `lspci -nnk` / "IOMMU Group N" listings.
struct IOMMUCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iommu",
        abstract: "Show IOMMU groups and whether each can be assigned to a VM.",
        discussion: """
            Without --from-listing, reads /sys/kernel/iommu_groups and /sys/bus/pci/devices under --root. \
            With --from-listing, explains pasted text instead: the "IOMMU Group N" shell loop output and/or \
            `lspci -nnk` output; several files of the same host are merged by PCI address.
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
            do {
                print(IOMMUReport.render(listing: try IOMMUReport.listing(files: fromListing), format: format), terminator: "")
            } catch {
                throw ValidationError(error.description)
            }
        }
    }
}
