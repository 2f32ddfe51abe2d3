import Core
import XCTest
@testable import Inventory

final class DomainXMLDevicesTests: XCTestCase {
    func domain(_ body: String, top: String = "") throws -> DomainDefinition {
        try DomainXML.parse("<domain type='kvm'><name>t</name>\(top)<devices>\(body)</devices></domain>")
    }

    func testInterfacesKeepSourceFilterTrustAndScript() throws {
        let d = try domain("""
            <interface type='bridge'><mac address='52:54:00:AA:00:01'/><source bridge='br0'/>
              <filterref filter='clean-traffic'><parameter name='IP' value='192.0.2.9'/></filterref>
              <target dev='vnet3'/><model type='virtio'/></interface>
            <interface type='network'><source network='default'/></interface>
            <interface type='direct' trustGuestRxFilters='yes'><source dev='eno1' mode='passthrough'/></interface>
            <interface type='direct'><source dev='eno2'/></interface>
            <interface type='ethernet'><script path='/etc/qemu-ifup'/></interface>
            <interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' bus='0x3b' slot='0x02' function='0x1'/></source></interface>
            """)
        let n = d.interfaces
        XCTAssertEqual(n.map(\.type), ["bridge", "network", "direct", "direct", "ethernet", "hostdev"])
        XCTAssertEqual(n[0].source, "br0")
        XCTAssertEqual(n[0].filter, "clean-traffic")
        XCTAssertEqual(n[0].filterParameters, ["IP": "192.0.2.9"])
        XCTAssertEqual(n[0].mac, "52:54:00:aa:00:01")
        XCTAssertEqual(n[0].targetDev, "vnet3")
        XCTAssertEqual(n[0].model, "virtio", "the existing fields still parse")
        XCTAssertEqual(n[1].source, "default")
        XCTAssertNil(n[1].filter)
        XCTAssertEqual(n[2].sourceMode, "passthrough")
        XCTAssertTrue(n[2].trustGuestRxFilters)
        XCTAssertEqual(n[3].sourceMode, "vepa", "libvirt's default macvtap mode")
        XCTAssertEqual(n[4].script, "/etc/qemu-ifup")
        XCTAssertEqual(n[5].hostdevAddress, "0000:3b:02.1")
        XCTAssertEqual(d.hostdevs.first?.pciAddress, "0000:3b:02.1", "the VF is still a hostdev for device isolation")

        var f = FactBuilder()
        NetworkFacts.build(d, into: &f)
        XCTAssertEqual(f.tree[path: "network.unfiltered"],
                       .from(["network default", "direct eno1", "direct eno2", "ethernet #4"]))
        XCTAssertEqual(f.tree[path: "network.filters"], .from(["clean-traffic"]))
        XCTAssertEqual(f.tree[path: "network.hostScripts"], .from(["/etc/qemu-ifup"]))
    }

    func testFirmwareSecureBootSMMAndTPMs() throws {
        let cases: [(name: String, top: String, uefi: Bool, secure: Bool, smm: Bool?)] = [
            ("autoselected efi with secure-boot feature",
             "<os firmware='efi'><type>hvm</type><firmware><feature enabled='yes' name='secure-boot'/><feature enabled='no' name='enrolled-keys'/></firmware></os><features><smm state='on'/></features>",
             true, true, true),
            ("pflash loader secure='yes' without smm",
             "<os><type>hvm</type><loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.secboot.fd</loader></os>",
             true, true, nil),
            ("OVMF path, smm off", "<os><type>hvm</type><loader>/usr/share/OVMF/OVMF_CODE.fd</loader></os><features><smm state='off'/></features>",
             true, false, false),
            ("bare smm element means on", "<os><type>hvm</type></os><features><smm/></features>", false, false, true),
            ("BIOS", "<os firmware='bios'><type>hvm</type></os>", false, false, nil),
        ]
        for c in cases {
            let d = try domain("", top: c.top)
            XCTAssertEqual(d.firmware.isUEFI, c.uefi, c.name)
            XCTAssertEqual(d.firmware.secureBoot, c.secure, c.name)
            XCTAssertEqual(d.firmware.smm, c.smm, c.name)
        }
        let e = try domain("", top: "<os firmware='efi'><type>hvm</type><firmware><feature enabled='no' name='enrolled-keys'/></firmware></os>")
        XCTAssertEqual(e.firmware.features, ["enrolled-keys": false])

        let t = try domain("""
            <tpm model='tpm-crb'><backend type='emulator' version='2.0' persistent_state='yes'><encryption secret='6dd3e4a5-1d76-44ce-961f-f119f5aad935'/></backend></tpm>
            <tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>
            """)
        XCTAssertEqual(t.tpms, ["tpm-crb", "tpm-tis"], "the existing model list still parses")
        XCTAssertEqual(t.tpmDevices.map(\.backend), ["emulator", "passthrough"])
        XCTAssertEqual(t.tpmDevices[0].encryptionSecret, "6dd3e4a5-1d76-44ce-961f-f119f5aad935")
        XCTAssertTrue(t.tpmDevices[0].persistentState)
        XCTAssertEqual(t.tpmDevices[1].device, "/dev/tpm0")
    }

    func testConsoleChannelsRedirfilterAndHostdevs() throws {
        let d = try domain("""
            <graphics type='spice' passwd='x'><listen type='address' address='0.0.0.0'/><clipboard copypaste='no'/><filetransfer enable='yes'/></graphics>
            <graphics type='vnc'><listen type='socket' socket='/run/vnc.sock'/></graphics>
            <redirdev bus='usb' type='spicevmc'/>
            <redirfilter><usbdev class='0x08' vendor='0x0781' product='-1' allow='yes'/><usbdev allow='no'/></redirfilter>
            <hostdev mode='subsystem' type='scsi' rawio='yes' sgio='unfiltered'><source><adapter name='scsi_host0'/><address bus='0' target='1' unit='2'/></source><readonly/></hostdev>
            <hostdev mode='subsystem' type='scsi'><source protocol='iscsi' name='iqn.2014-08.com.example:t1/1'><host name='192.0.2.5' port='3260'/></source></hostdev>
            <hostdev mode='subsystem' type='scsi_host'><source protocol='vhost' wwpn='naa.50014057667280d8'/></hostdev>
            """)
        XCTAssertEqual(d.graphics[0].clipboardCopyPaste, false)
        XCTAssertEqual(d.graphics[0].fileTransfer, true)
        XCTAssertEqual(d.graphics[0].passwordSet, true, "secure XML carries passwd")
        XCTAssertNil(d.graphics[1].passwordSet)
        XCTAssertEqual(d.redirFilters, [.init(usbClass: "0x08", vendor: "0x0781", product: nil, allow: true), .init(allow: false)])
        XCTAssertFalse(ConsoleFacts.usbRedirUnfiltered(d))
        XCTAssertEqual(d.scsiHostdevs.map(\.source), ["scsi_host0:0:1:2", "192.0.2.5/iqn.2014-08.com.example:t1/1", "naa.50014057667280d8"])
        XCTAssertEqual(d.scsiHostdevs.map(\.sourceProtocol), [nil, "iscsi", "vhost"])
        XCTAssertTrue(d.scsiHostdevs[0].rawio)
        XCTAssertEqual(d.scsiHostdevs[0].sgio, "unfiltered")
        XCTAssertTrue(d.scsiHostdevs[0].readonly)

        let open = try domain("<redirdev bus='usb' type='spicevmc'/><redirfilter><usbdev allow='yes'/></redirfilter>")
        XCTAssertTrue(ConsoleFacts.usbRedirUnfiltered(open), "an allow rule matching every device filters nothing")
        XCTAssertTrue(ConsoleFacts.usbRedirUnfiltered(try domain("<redirdev bus='usb' type='tcp'/>")))
        XCTAssertFalse(ConsoleFacts.usbRedirUnfiltered(try domain("")))
    }

    func testSecureXMLPasswordsFromStatusAndConfigFiles() throws {
        let status = "<domstatus state='running' pid='9'><domain type='kvm'><name>a</name><devices><graphics type='vnc' passwd='p'/><graphics type='spice'/></devices></domain></domstatus>"
        XCTAssertEqual(try ConsoleFacts.graphicsPasswords(secureXML: status), [true, false])
        XCTAssertEqual(try ConsoleFacts.graphicsPasswords(secureXML: "<domain type='kvm'><devices/></domain>"), [])
        XCTAssertThrowsError(try ConsoleFacts.graphicsPasswords(secureXML: "<network/>"))
        XCTAssertThrowsError(try ConsoleFacts.graphicsPasswords(secureXML: "<domstatus><domain"))
    }

    func testTuningLimits() throws {
        let d = try domain("""
            <disk type='file' device='disk'><target dev='vda'/><iotune><total_iops_sec>500</total_iops_sec></iotune></disk>
            <disk type='file' device='disk'><target dev='vdb'/><iotune><total_bytes_sec>0</total_bytes_sec></iotune></disk>
            """, top: """
            <memtune><hard_limit unit='GiB'>3</hard_limit><soft_limit unit='KiB'>1024</soft_limit></memtune>
            <cputune><shares>2048</shares><period>100000</period><quota>-1</quota><global_quota>50000</global_quota></cputune>
            <blkiotune><weight>500</weight><device><path>/dev/sda</path><read_iops_sec>100</read_iops_sec></device></blkiotune>
            """)
        let t = d.tuning
        XCTAssertEqual(t.memoryHardLimitKiB, 3 * 1024 * 1024)
        XCTAssertEqual(t.memorySoftLimitKiB, 1024)
        XCTAssertEqual(t.cpuShares, 2048)
        XCTAssertEqual(t.cpuLimits, ["period": 100000, "quota": -1, "global_quota": 50000])
        XCTAssertTrue(t.cpuQuotaSet, "a positive global quota caps the VM")
        XCTAssertEqual(t.blkioWeight, 500)
        XCTAssertEqual(t.blkioDeviceLimits, 1)
        XCTAssertEqual(t.diskIOTune, [true, false], "a zero cap is no cap")

        let unlimited = try domain("", top: "<cputune><quota>-1</quota></cputune>")
        XCTAssertFalse(unlimited.tuning.cpuQuotaSet)
        XCTAssertThrowsError(try domain("", top: "<memtune><hard_limit unit='parsec'>1</hard_limit></memtune>"))
        XCTAssertThrowsError(try domain("", top: "<cputune><quota>lots</quota></cputune>"))
    }

    /// libvirt 9.0's test driver has no sev-snp or tdx type, so their decoding is tested here.
    func testLaunchSecurityPolicyBits() throws {
        let cases: [(type: String, policy: String, bits: [String: Bool], level: String?, registers: Bool?, migration: Bool?, debug: Bool?)] = [
            ("sev", "0x0000", ["NODBG": false, "NOKS": false, "ES": false, "NOSEND": false, "DOMAIN": false, "SEV": false],
             "sev", false, true, true),
            ("sev", "0x0007", ["NODBG": true, "NOKS": true, "ES": true, "NOSEND": false, "DOMAIN": false, "SEV": false],
             "sev-es", true, true, false),
            ("sev", "0x003f", ["NODBG": true, "NOKS": true, "ES": true, "NOSEND": true, "DOMAIN": true, "SEV": true],
             "sev-es", true, false, false),
            // 0x30000: SMT (16) and the reserved must-be-one bit 17: QEMU's default SNP policy.
            ("sev-snp", "0x30000", ["SMT": true, "MIGRATE_MA": false, "DEBUG": false, "SINGLE_SOCKET": false],
             "sev-snp", true, false, false),
            ("sev-snp", "0xe0000", ["SMT": false, "MIGRATE_MA": true, "DEBUG": true, "SINGLE_SOCKET": false],
             "sev-snp", true, true, true),
            ("sev-snp", "1179648", ["SMT": false, "MIGRATE_MA": false, "DEBUG": false, "SINGLE_SOCKET": true],
             "sev-snp", true, false, false),
            ("tdx", "0x10000000", ["DEBUG": false, "SEPT_VE_DISABLE": true, "PKS": false, "PERFMON": false],
             "tdx", true, nil, false),
            ("tdx", "0x8000000040000001", ["DEBUG": true, "SEPT_VE_DISABLE": false, "PKS": true, "PERFMON": true],
             "tdx", true, nil, true),
        ]
        for c in cases {
            let ls = DomainDefinition.LaunchSecurity(type: c.type, policy: c.policy)
            let what = "\(c.type) \(c.policy)"
            XCTAssertEqual(ls.policyBits, c.bits, what)
            XCTAssertEqual(ls.level, c.level, what)
            XCTAssertEqual(ls.registersProtected, c.registers, what)
            XCTAssertEqual(ls.migrationAllowed, c.migration, what)
            XCTAssertEqual(ls.debugAllowed, c.debug, what)
        }
        let none = DomainDefinition.LaunchSecurity(type: "sev")
        XCTAssertEqual(none.policyBits, [:])
        XCTAssertNil(none.registersProtected, "no policy: unknown, not plain SEV")
        XCTAssertNil(DomainDefinition.LaunchSecurity(type: "sev", policy: "zz").level)
        XCTAssertEqual(DomainDefinition.LaunchSecurity(type: "s390-pv").registersProtected, true)

        let parsed = try DomainXML.parse("<domain type='kvm'><name>c</name><launchSecurity type='sev'><policy>0x0003</policy></launchSecurity></domain>")
        var f = FactBuilder()
        FirmwareFacts.build(parsed, into: &f)
        XCTAssertEqual(f.tree[path: "confidential.launchSecurity.level"], "sev")
        XCTAssertEqual(f.tree[path: "confidential.launchSecurity.registersProtected"], false)
        XCTAssertEqual(f.tree[path: "confidential.launchSecurity.keySharing"], false)
        XCTAssertEqual(f.tree[path: "confidential.launchSecurity.policyBits.ES"], false)
    }
}

extension DomainXMLDevicesTests {
    func testGraphicsListenDecidesTCP() throws {
        let d = try domain("""
            <graphics type='vnc' port='-1' autoport='yes'/>
            <graphics type='vnc'><listen type='address' address='127.0.0.1'/></graphics>
            <graphics type='spice'><listen type='socket' socket='/run/s.sock'/></graphics>
            <graphics type='spice'><listen type='none'/></graphics>
            <graphics type='egl-headless'/>
            """)
        let tcp = d.graphics.map { ConsoleFacts.graphicsFields($0, in: d)["tcp"] }
        XCTAssertEqual(tcp, [true, true, false, false, false])
        // Without the agent channel a SPICE display has no clipboard or file transfer.
        XCTAssertEqual(ConsoleFacts.graphicsFields(d.graphics[2], in: d)["clipboardCopyPaste"], false)
        let agent = try domain("<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel><graphics type='spice'/>")
        XCTAssertEqual(ConsoleFacts.graphicsFields(agent.graphics[0], in: agent)["clipboardCopyPaste"], true, "qemu's default is on")
        XCTAssertEqual(ConsoleFacts.graphicsFields(agent.graphics[0], in: agent)["password"], .null, "unknown until the secure XML is read")
    }
}
