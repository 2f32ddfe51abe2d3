import Core
import XCTest
@testable import HostProbes

final class AppArmorLabelTests: XCTestCase {
    func testLabelsGiveProfileModeAndConfinement() throws {
        let cases: [(String, String, String, Bool, String?)] = [
            ("libvirt-1b12e57c-bb1d-43e2-ad97-9f409ec2e398 (enforce)\n", "libvirt-1b12e57c-bb1d-43e2-ad97-9f409ec2e398",
             "enforce", true, "1b12e57c-bb1d-43e2-ad97-9f409ec2e398"),
            ("libvirt-1B12E57C-BB1D-43E2-AD97-9F409EC2E398 (complain)", "libvirt-1B12E57C-BB1D-43E2-AD97-9F409EC2E398",
             "complain", true, "1b12e57c-bb1d-43e2-ad97-9f409ec2e398"),
            ("unconfined\n", "unconfined", "unconfined", false, nil),
            ("/usr/sbin/libvirtd (enforce)", "/usr/sbin/libvirtd", "enforce", true, nil),
            ("lxc-container-default (profile with spaces) (enforce)", "lxc-container-default (profile with spaces)", "enforce", true, nil),
            ("some-profile (unconfined)", "some-profile", "unconfined", false, nil),
        ]
        for (text, profile, mode, confined, uuid) in cases {
            let l = try AppArmorLabel.parse(text)
            XCTAssertEqual(l.profile, profile, text)
            XCTAssertEqual(l.mode, mode, text)
            XCTAssertEqual(l.confined, confined, text)
            XCTAssertEqual(l.libvirtUUID, uuid, text)
        }
    }

    func testNonLabelsThrow() {
        for bad in ["", "profile", "profile ()", " (enforce)", "system_u:system_r:svirt_t:s0"] {
            XCTAssertThrowsError(try AppArmorLabel.parse(bad), bad)
        }
    }
}
