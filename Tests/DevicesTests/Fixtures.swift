import Core
import Devices

/// Locates fixture trees from this file's path (no SwiftPM resources).
enum Fixture {
    static let dir: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)   // DevicesTests/Fixtures.swift
        return parts.joined(separator: "/") + "/Fixtures"
    }()

    static func root(_ scenario: String) -> HostRoot { HostRoot(dir + "/" + scenario) }
    static func listing(_ name: String) -> String { dir + "/listings/" + name }
}

func pci(_ addr: String, managed: Bool = true, driver: String? = nil) -> HostDeviceSpec {
    HostDeviceSpec(type: "pci", managed: managed, driverName: driver, pciAddress: addr)
}

func vm(_ name: String, running: Bool = true, _ devs: [HostDeviceSpec]) -> DeviceAudit.DomainInput {
    DeviceAudit.DomainInput(name: name, uuid: "uuid-" + name, running: running, hostdevs: devs)
}

extension JSONValue {
    var strings: [String] { arrayValue?.compactMap(\.stringValue) ?? [] }
}
