import Core

/// One IOMMU group judged for assignment: what `virtaudit iommu` prints and what
/// `host.iommu.groups[]` holds. Built from live sysfs (`HostIOMMU`) or from pasted listings
/// (`IOMMUListing`).
public struct IOMMUGroupReport: Sendable, Hashable {
    public struct Member: Sendable, Hashable {
        public var address: String
        public var vendor: Int?
        public var device: Int?
        public var classCode: Int?
        /// lspci's description (`NVIDIA Corporation GP104 [GeForce GTX 1070]`), listings only.
        public var name: String?
        /// nil when unknown or when no driver is bound; see `driverKnown`.
        public var driver: String?
        public var driverKnown: Bool
        public var assignedTo: [String]
        /// From the class code, or from lspci's class name when the code is not shown.
        public var bridge: Bool?

        public init(address: String, vendor: Int? = nil, device: Int? = nil, classCode: Int? = nil, name: String? = nil,
                    driver: String? = nil, driverKnown: Bool, assignedTo: [String] = [], bridge: Bool? = nil) {
            self.bridge = bridge ?? classCode.map(PCIClass.isBridge)
            self.address = address
            self.vendor = vendor
            self.device = device
            self.classCode = classCode
            self.name = name
            self.driver = driver
            self.driverKnown = driverKnown
            self.assignedTo = assignedTo
        }

        /// The kernel's verdict on this member (see `GroupViability`), made stricter for chipset
        /// functions: a group holding one must never be given to a VM, whatever its drivers.
        public var verdict: GroupViability.Verdict {
            if let what = chipsetFunction {
                return .blocks("\(address) is a chipset function (\(what)): a group holding it must never be assigned to a VM")
            }
            return GroupViability.judge(address: address, driver: driverKnown ? .some(driver) : nil, bridge: bridge)
        }

        /// What makes this member part of the chipset, or nil (see `PCIClass.chipsetFunction`).
        public var chipsetFunction: String? {
            PCIClass.chipsetFunction(classCode: classCode, name: name)
        }

        /// A bridge on a driver other than pcieport: kernels since 5.19 refuse to hand out its group.
        public var bridgeNote: String? {
            guard bridge == true, driverKnown, let d = driver, d != "pcieport", !GroupViability.isUserSpaceSafe(driver: d)
            else { return nil }
            return "\(address) is a bridge on \(d): kernels since 5.19 only accept bridges on pcieport or on no driver"
        }
    }

    public var group: Int
    public var type: String?
    public var devices: [Member]
    public var viable: Bool?
    public var reasons: [String]
    public var notes: [String]

    /// `extraReasons` (unreadable members) make an otherwise viable group undecidable; `conflicts`
    /// (inputs that contradict each other) make any verdict undecidable.
    public init(group: Int, type: String? = nil, devices: [Member], extraReasons: [String] = [], conflicts: [String] = []) {
        self.group = group
        self.type = type
        self.devices = devices.sorted { $0.address < $1.address }
        let (v, r) = GroupViability.combine(self.devices.map(\.verdict))
        if devices.isEmpty {
            viable = nil
            reasons = ["group \(group) lists no devices"] + extraReasons
        } else if !extraReasons.isEmpty && v != false {
            viable = nil
            reasons = r + extraReasons
        } else {
            viable = v
            reasons = r
        }
        if !conflicts.isEmpty {
            viable = nil
            reasons += conflicts
        }
        notes = self.devices.compactMap(\.bridgeNote)
    }

    public var json: JSONValue {
        .object([
            "group": .int(group),
            "type": .from(type),
            "viable": .from(viable),
            "reasons": .from(reasons),
            "notes": .from(notes),
            "devices": .array(devices.map { m in
                .object([
                    "address": .string(m.address),
                    "vendor": .from(m.vendor.map(hex4)),
                    "device": .from(m.device.map(hex4)),
                    "class": .from(m.classCode.map(hex6)),
                    "className": .from(m.classCode.map(PCIClass.name)),
                    "name": .from(m.name),
                    "driver": .from(m.driver),
                    "driverKnown": .bool(m.driverKnown),
                    "bridge": .from(m.bridge),
                    "assignedTo": .from(m.assignedTo),
                ])
            }),
        ])
    }
}

/// `0x10de` as sysfs prints it.
func hex4(_ v: Int) -> String { "0x" + PCIClass.hex4(v) }
func hex6(_ v: Int) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 6 - s.count)) + s
}
