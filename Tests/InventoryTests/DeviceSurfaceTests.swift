import XCTest
@testable import Inventory

final class DeviceSurfaceTests: XCTestCase {
    private func devices(_ body: String) throws -> [EmulatedDevice] {
        DeviceSurface.devices(try DomainXML.parse("<domain type='kvm'><name>x</name><devices>\(body)</devices></domain>"))
    }

    func testLegacyClassificationPerDeviceClass() throws {
        let cases: [(String, String?)] = [
            ("<controller type='ide' index='0'/>", "ide-controller"),
            ("<controller type='fdc' index='0'/>", "floppy-controller"),
            ("<controller type='usb' model='piix3-uhci'/>", "usb-uhci"),
            ("<controller type='usb' model='ich9-ehci1'/>", "usb-ehci"),
            ("<controller type='usb' model='pci-ohci'/>", "usb-ohci"),
            ("<controller type='usb' model='qemu-xhci'/>", nil),
            ("<controller type='scsi' model='lsilogic'/>", "scsi-lsilogic"),
            ("<controller type='scsi' model='virtio-scsi'/>", nil),
            ("<disk device='disk'><target dev='hda' bus='ide'/></disk>", "ide-disk"),
            ("<disk device='cdrom'><target dev='hdc' bus='ide'/></disk>", "ide-cdrom"),
            ("<disk device='floppy'><target dev='fda' bus='fdc'/></disk>", "floppy"),
            ("<disk device='disk'><target dev='sda' bus='usb'/></disk>", "usb-storage"),
            ("<disk device='disk'><target dev='vda' bus='virtio'/></disk>", nil),
            ("<disk device='cdrom'><target dev='sda' bus='sata'/></disk>", nil),
            ("<interface type='network'><model type='rtl8139'/></interface>", "nic-rtl8139"),
            ("<interface type='network'><model type='e1000'/></interface>", "nic-e1000"),
            ("<interface type='network'><model type='virtio'/></interface>", nil),
            ("<video><model type='cirrus'/></video>", "cirrus-vga"),
            ("<video><model type='vmvga'/></video>", "vmware-svga"),
            ("<video><model type='virtio'/></video>", nil),
            ("<video><model type='bochs'/></video>", nil),
            ("<video><model type='ramfb'/></video>", nil),
            ("<video><model type='qxl'/></video>", nil),
            ("<video><model type='vga'/></video>", nil),
            ("<sound model='ich6'/>", "sound-ich6"),
            ("<sound model='ac97'/>", "sound-ac97"),
            ("<input type='tablet' bus='usb'/>", "usb-tablet"),
            ("<input type='mouse' bus='ps2'/>", "ps2-mouse"),
            ("<input type='keyboard' bus='ps2'/>", "ps2-keyboard"),
            ("<input type='tablet' bus='virtio'/>", nil),
            ("<serial type='pty'><target port='0'/></serial>", "serial-pty"),
            ("<serial type='file'><source path='/var/log/x.log'/><target type='isa-serial' port='0'/></serial>", "serial-file"),
            ("<serial type='pty'><target type='system-serial' port='0'/></serial>", nil),
            ("<parallel type='file'><source path='/tmp/p'/><target port='0'/></parallel>", "parallel-file"),
            ("<console type='pty'><target type='virtio' port='0'/></console>", nil),
            ("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>", nil),
            ("<shmem name='a'><model type='ivshmem'/></shmem>", "ivshmem"),
            ("<shmem name='a'><model type='ivshmem-plain'/></shmem>", nil),
            ("<watchdog model='ib700' action='reset'/>", "watchdog-ib700"),
            ("<watchdog model='i6300esb'/>", nil),
            ("<redirdev bus='usb' type='spicevmc'/>", "usb-redirection"),
            ("<smartcard mode='passthrough' type='spicevmc'/>", "smartcard-passthrough"),
            ("<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>", nil),
            ("<vsock model='virtio'><cid auto='yes'/></vsock>", nil),
        ]
        for (xml, expected) in cases {
            let list = try devices(xml)
            XCTAssertEqual(list.count, 1, xml)
            XCTAssertEqual(list.first?.name, expected, xml)
            XCTAssertEqual(list.first?.legacy, expected != nil, xml)
            XCTAssertFalse(list.first?.why.isEmpty ?? true, xml)
        }
    }

    func testPlumbingAndAbsentDevicesAreNotCounted() throws {
        let list = try devices("""
            <controller type='pci' index='0' model='pcie-root'/>
            <controller type='pci' index='1' model='pcie-root-port'/>
            <controller type='usb' model='none'/>
            <video><model type='none'/></video>
            <memballoon model='none'/>
            <hostdev mode='subsystem' type='pci'><source><address bus='1' slot='0' function='0'/></source></hostdev>
            <interface type='hostdev'><source><address type='pci' bus='2' slot='0' function='0'/></source></interface>
            <graphics type='vnc' listen='0.0.0.0'/>
            <console type='pty'><target type='serial' port='0'/></console>
            """)
        XCTAssertEqual(list, [])
    }

    func testLegacyNamesAreDistinctInDocumentOrder() throws {
        let list = try devices("""
            <disk device='disk'><target dev='hda' bus='ide'/></disk>
            <video><model type='cirrus'/></video>
            <disk device='disk'><target dev='hdb' bus='ide'/></disk>
            <disk device='disk'><target dev='vda' bus='virtio'/></disk>
            """)
        XCTAssertEqual(list.count, 4)
        XCTAssertEqual(DeviceSurface.legacyNames(list), ["ide-disk", "cirrus-vga"])
    }

    func testSerialReasonNamesTheHostSide() throws {
        let file = try devices("<serial type='file'><source path='/var/log/x'/><target port='0'/></serial>")
        XCTAssertTrue(file[0].why.contains("host file"), file[0].why)
        let tcp = try devices("<serial type='tcp'><source mode='bind' host='0.0.0.0' service='4555'/><target port='0'/></serial>")
        XCTAssertEqual(tcp[0].name, "serial-tcp")
        XCTAssertTrue(tcp[0].why.contains("network"), tcp[0].why)
    }
}
