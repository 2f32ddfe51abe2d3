import Core
import HostProbes
import Inventory
import XCTest
@testable import Audit

final class SecLabelFactsTests: XCTestCase {
    private func facts(_ seclabels: String, running: Bool = false) -> JSONValue {
        let xml = """
        <domain type='kvm'><name>vm</name><uuid>0e2c4a6e-8f1b-4d3f-9a5c-6e8a0c2e4f77</uuid>
        <memory>1048576</memory><os><type>hvm</type></os>\(seclabels)</domain>
        """
        let record = DomainRecord(name: "vm", uuid: "0e2c4a6e-8f1b-4d3f-9a5c-6e8a0c2e4f77", id: running ? 1 : nil,
                                  state: running ? "running" : "shutoff", persistent: true, autostart: false, xml: xml)
        let domain = InventoryFacts.domains([record])[0]
        var accounts = Accounts()
        accounts.users = ["root": (0, 0)]
        accounts.groups = ["root": 0]
        var f = FactBuilder()
        SecLabelFacts.collect(domain, root: HostRoot("/nonexistent"), accounts: accounts, into: &f)
        return f.tree
    }

    /// The type a shut-off domain will run as comes from its static label, else its baselabel.
    func testLabelTypeAndClassComeFromTheLabelElseTheBaselabel() {
        let cases: [(String, String?, String?)] = [
            ("<seclabel type='static' model='selinux'><label>system_u:system_r:svirt_t:s0:c1,c2</label></seclabel>", "svirt_t", "svirt"),
            ("<seclabel type='dynamic' model='selinux'><baselabel>system_u:system_r:mycorp_qemu_t:s0</baselabel></seclabel>", "mycorp_qemu_t", "custom"),
            ("<seclabel type='static' model='selinux'><label>system_u:system_r:spc_t:s0</label></seclabel>", "spc_t", "unconfined"),
            ("<seclabel type='dynamic' model='selinux'/>", nil, nil),
            ("<seclabel type='static' model='selinux'><label>not a context</label></seclabel>", nil, nil),
        ]
        for (xml, type, cls) in cases {
            let t = facts(xml)
            XCTAssertEqual(t[path: "labels.selinux.labelType"]?.stringValue, type, xml)
            XCTAssertEqual(t[path: "labels.selinux.typeClass"]?.stringValue, cls, xml)
        }
        let base = facts("<seclabel type='dynamic' model='selinux'><baselabel>system_u:system_r:mycorp_qemu_t:s0</baselabel></seclabel>")
        XCTAssertEqual(base[path: "labels.selinux.baselabel"]?.stringValue, "system_u:system_r:mycorp_qemu_t:s0")
        XCTAssertEqual(base[path: "labels.selinux.level"], .null, "a baselabel's level is not the domain's categories")
    }

    func testStaticRelabelDefaultsToNoAndTheLevelIsKept() {
        let t = facts("<seclabel type='static' model='selinux'><label>system_u:system_r:svirt_t:s0:c5,c6</label></seclabel>")
        XCTAssertEqual(t[path: "labels.selinux.relabel"], false)
        XCTAssertEqual(t[path: "labels.selinux.level"]?.stringValue, "s0:c5,c6")
    }

    func testRootDACLabelsResolveByNumberAndName() {
        for label in ["+0:+0", "root:root", "root"] {
            let t = facts("<seclabel type='static' model='dac'><label>\(label)</label></seclabel>")
            XCTAssertEqual(t[path: "labels.dac.uid"], 0, label)
            XCTAssertEqual(t[path: "labels.dac.gid"], 0, label)
        }
    }

    /// Static labels are compared with every other label; two dynamic labels only through the
    /// processes (libvirt keeps the pairs of running domains unique).
    func testSharedLabelsNeedOneStaticSideAndTheSameLevel() {
        let shared = SecLabelFacts.shareLabels([
            (uuid: "1", name: "static-a", level: "s0:c5,c6", isStatic: true),
            (uuid: "2", name: "static-b", level: "s0:c6,c5", isStatic: true),
            (uuid: "3", name: "dynamic-x", level: "s0:c5,c6", isStatic: false),
            (uuid: "4", name: "dynamic-y", level: "s0:c7,c8", isStatic: false),
            (uuid: "5", name: "dynamic-z", level: "s0:c7,c8", isStatic: false),
            (uuid: "6", name: "unlabelled", level: nil, isStatic: false),
            (uuid: "7", name: "other-sensitivity", level: "s1:c5,c6", isStatic: true),
        ])
        XCTAssertEqual(shared["1"], ["dynamic-x", "static-b"])
        XCTAssertEqual(shared["2"], ["dynamic-x", "static-a"])
        XCTAssertEqual(shared["3"], ["static-a", "static-b"])
        XCTAssertEqual(shared["4"], [])
        XCTAssertEqual(shared["5"], [])
        XCTAssertNil(shared["6"])
        XCTAssertEqual(shared["7"], [])
    }
}
