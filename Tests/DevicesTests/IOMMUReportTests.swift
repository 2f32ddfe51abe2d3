import Core
@testable import Devices
import XCTest

final class IOMMUReportTests: XCTestCase {
    func testDumpForInspection() throws {
        guard ProcessInfoEnv.dump else { return }
        for set in [["desktop-groups.txt", "desktop-lspci-nnk.txt"], ["server-clean.txt"], ["acs-less-chipset.txt"], ["groups-only.txt"], ["wrapped.txt", "find-groups.txt"]] {
            let l = try IOMMUReport.listing(files: set.map(Fixture.listing))
            print(IOMMUReport.render(listing: l, format: .table))
        }
        print(IOMMUReport.render(host: HostIOMMU.read(root: Fixture.root("iommu-shared-group")), format: .table))
        print(IOMMUReport.render(host: HostIOMMU.read(root: HostRoot("/")), format: .json))
    }
}

import Glibc
enum ProcessInfoEnv { static var dump: Bool { getenv("DUMP") != nil } }
