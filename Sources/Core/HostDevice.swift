/// A `<hostdev>` element of a domain's XML: a host device given to the guest.
public struct HostDeviceSpec: Sendable, Hashable, Codable {
    /// `pci`, `usb`, `mdev`, `scsi`, `scsi_host`...
    public var type: String
    /// `subsystem` or `capabilities`.
    public var mode: String
    public var managed: Bool
    /// `vfio`, `kvm` (legacy pci-stub assignment) or `xen`; nil when the XML leaves the default.
    public var driverName: String?
    /// PCI address in sysfs form, `0000:01:00.0`, for `type='pci'`.
    public var pciAddress: String?
    /// mdev UUID for `type='mdev'`.
    public var mdevUUID: String?
    /// `vendor:product` or bus/device for USB.
    public var usbVendor: String?
    public var usbProduct: String?
    public var usbBus: Int?
    public var usbDevice: Int?

    public init(type: String, mode: String = "subsystem", managed: Bool = false, driverName: String? = nil,
                pciAddress: String? = nil, mdevUUID: String? = nil, usbVendor: String? = nil,
                usbProduct: String? = nil, usbBus: Int? = nil, usbDevice: Int? = nil) {
        self.type = type
        self.mode = mode
        self.managed = managed
        self.driverName = driverName
        self.pciAddress = pciAddress
        self.mdevUUID = mdevUUID
        self.usbVendor = usbVendor
        self.usbProduct = usbProduct
        self.usbBus = usbBus
        self.usbDevice = usbDevice
    }
}
