import Core
import Foundation
@testable import Policy

/// A small fact schema for the tests (the real one is assembled from every module's fields).
let testSchema = FactSchema([[
    FactField("domain.name", .string, "VM name"),
    FactField("domain.running", .bool, "VM is running"),
    FactField("domain.metadata.profile", .string, "profile named in <metadata>"),
    FactField("process.uid", .int, "effective uid"),
    FactField("process.gid", .int, "effective gid"),
    FactField("process.noNewPrivs", .bool, "NoNewPrivs"),
    FactField("process.seccomp.mode", .int, "seccomp mode"),
    FactField("process.capabilities.effective", .list, element: .string, "effective capabilities"),
    FactField("process.cmdline", .list, element: .string, "qemu command line"),
    FactField("process.selinux.label", .string, "SELinux context"),
    FactField("process.namespaces.mnt.sharedWithHost", .bool, "mount namespace shared with host"),
    FactField("sandbox.spawn", .string, "-sandbox spawn="),
    FactField("sandbox.enabled", .bool, "-sandbox on"),
    FactField("devices.hostdevs", .list, element: .object, "assigned devices"),
    FactField("devices.hostdevs[].driver", .string, "host driver"),
    FactField("devices.hostdevs[].group", .int, "IOMMU group"),
    FactField("devices.hostdevs[].functions", .list, element: .object, "functions in the group"),
    FactField("devices.hostdevs[].functions[].driver", .string, "driver of a function"),
    FactField("host.selinux.enabled", .bool, "SELinux enabled"),
    FactField("host.selinux.enforcing", .bool, "SELinux enforcing"),
    FactField("host.iommu.enabled", .bool, "IOMMU on"),
    FactField("host.qemuConf.settings", .object, "qemu.conf settings"),
    FactField("host.kernel.lockdown", .string, "lockdown mode"),
]])

/// The fixture directory `Tests/Fixtures/<name>`.
func fixture(_ name: String, file: String = #filePath) -> String {
    URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name).path
}

/// Parses and evaluates an expression over domain facts (and optional host facts).
func eval(_ source: String, _ domain: JSONValue = [:], host: JSONValue = [:]) throws -> Truth {
    let (expr, _) = try Parser.parse(source)
    return Interpreter.truth(expr, domain: domain, host: host)
}

/// A one-rule-per-entry policy built from compact descriptions, loaded through the real loader.
func policy(_ rules: [(id: String, layer: String, severity: String, check: String)], extra: String = "",
            profiles: [String] = []) throws -> PolicySet {
    var yaml = "rules:\n"
    for r in rules {
        yaml += """
          - id: \(r.id)
            layer: \(r.layer)
            severity: \(r.severity)
            title: \(r.id)
            check: "\(r.check)"
            remediation: fix \(r.id)

        """
    }
    yaml += extra
    let sources = [PolicySource(path: "rules.yaml", text: yaml)]
        + profiles.enumerated().map { PolicySource(path: "profile\($0.offset).yaml", text: $0.element) }
    return try PolicySet.load(sources: sources, schema: testSchema)
}
