import Core
import Devices
import Foundation
import Inventory

/// A PCI function as an IOMMU listing or node device XML describes it.
struct ListedDevice: Sendable, Hashable {
    var address: String
    var group: Int?
    var classCode: Int?
    var vendor: Int?
    var device: Int?
    /// nil: the input does not say; `.some(nil)`: no driver bound.
    var driver: String??
    var source: String

    var json: JSONValue {
        let driverJSON: JSONValue
        switch driver {
        case .none: driverJSON = .string("unknown")
        case .some(.none): driverJSON = .null
        case .some(.some(let d)): driverJSON = .string(d)
        }
        return .object(["address": .string(address), "group": .from(group), "driver": driverJSON,
                        "classCode": .from(classCode.map { XMLArtifact.hex($0, 6) }), "source": .string(source)])
    }

    /// Fills what `self` lacks from `other` (the same function in another file).
    mutating func merge(_ other: ListedDevice) {
        group = group ?? other.group
        classCode = classCode ?? other.classCode
        vendor = vendor ?? other.vendor
        device = device ?? other.device
        if driver == nil { driver = other.driver }
    }

    init(address: String, group: Int?, classCode: Int?, vendor: Int?, device: Int?, driver: String??, source: String) {
        self.address = address; self.group = group; self.classCode = classCode; self.vendor = vendor
        self.device = device; self.driver = driver; self.source = source
    }

    init(_ e: IOMMUListing.Entry) {
        let driver: String??
        switch e.driver {
        case .unknown: driver = nil
        case .none: driver = .some(nil)
        case .bound(let d): driver = .some(d)
        }
        self.init(address: e.address, group: e.group, classCode: e.classCode, vendor: e.vendor, device: e.device,
                  driver: driver, source: e.source)
    }

    /// The node device and, for its IOMMU group's other members, what the XML says of them:
    /// their address and group only (their driver stays unknown).
    static func from(_ d: XMLArtifact.NodeDevice, source: String) -> [ListedDevice] {
        var out = [ListedDevice(address: d.address, group: d.iommuGroup, classCode: d.classCode, vendor: d.vendor,
                                device: d.product, driver: .some(d.driver), source: source)]
        for m in d.groupMembers where m != d.address {
            out.append(ListedDevice(address: m, group: d.iommuGroup, classCode: nil, vendor: nil, device: nil, driver: nil, source: source))
        }
        return out
    }
}

/// Lays out the listed devices as the sysfs tree the live device audit reads
/// (`sys/kernel/iommu_groups/<n>/devices/<addr>`, `sys/bus/pci/devices/<addr>` with `class`,
/// `vendor`, `device` and the `driver` and `iommu_group` links), in a private temporary
/// directory, so `DeviceAudit` judges a listing exactly as it judges a host. What the listing
/// does not say stays unreadable there: an attribute is left out, and an unknown driver is a
/// directory where the kernel has a link, which the reader reports as a problem (unknown), never
/// as "no driver".
enum ListingSysfs {
    static func materialize(_ devices: [ListedDevice]) -> String? {
        let fm = FileManager.default
        let base = NSTemporaryDirectory() + "virtaudit-check-\(UUID().uuidString)"
        do {
            try fm.createDirectory(atPath: base, withIntermediateDirectories: false,
                                   attributes: [.posixPermissions: 0o700])
            let sys = base + "/sys"
            for dir in ["devices/pci0000:00", "bus/pci/devices", "bus/pci/drivers", "kernel/iommu_groups"] {
                try fm.createDirectory(atPath: sys + "/" + dir, withIntermediateDirectories: true)
            }
            for d in devices {
                guard PCIAddress.normalize(d.address) == d.address, !d.address.contains("/") else { continue }
                let dir = sys + "/devices/pci0000:00/" + d.address
                try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
                func hex(_ v: Int?, _ name: String, _ width: Int) throws {
                    guard let v else { return }
                    try Data(("0x" + XMLArtifact.hex(v, width) + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/" + name))
                }
                try hex(d.vendor, "vendor", 4)
                try hex(d.device, "device", 4)
                try hex(d.classCode, "class", 6)
                switch d.driver {
                case .some(.some(let name)) where !name.contains("/") && !name.isEmpty:
                    try fm.createDirectory(atPath: sys + "/bus/pci/drivers/" + name, withIntermediateDirectories: true)
                    try fm.createSymbolicLink(atPath: dir + "/driver", withDestinationPath: "../../../bus/pci/drivers/" + name)
                case .some(.none):
                    break
                default:
                    try fm.createDirectory(atPath: dir + "/driver", withIntermediateDirectories: false)
                }
                try fm.createSymbolicLink(atPath: sys + "/bus/pci/devices/" + d.address,
                                          withDestinationPath: "../../../devices/pci0000:00/" + d.address)
                if let g = d.group, g >= 0 {
                    let gdir = sys + "/kernel/iommu_groups/\(g)/devices"
                    try fm.createDirectory(atPath: gdir, withIntermediateDirectories: true)
                    try fm.createSymbolicLink(atPath: gdir + "/" + d.address,
                                              withDestinationPath: "../../../../devices/pci0000:00/" + d.address)
                    try fm.createSymbolicLink(atPath: dir + "/iommu_group", withDestinationPath: "../../../kernel/iommu_groups/\(g)")
                }
            }
            return base
        } catch {
            try? fm.removeItem(atPath: base)
            return nil
        }
    }
}
