import Audit
import CSELinux
import Core
import Foundation
import Inventory
import XCTest

/// The complete fixture hosts under Tests/Fixtures/hosts/<name>: a libvirt test-driver node file
/// (node.xml) and the host's files (root/). Scanned with the repository's default policies.
enum FixtureHosts {
    static let repository: String =
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let directory = repository + "/Tests/Fixtures/hosts"
    static let policies = repository + "/policies"

    /// Every fixture host, in the order the coverage table lists them.
    static let all = ["hardened", "weak", "apparmor", "selinux-lax", "devices-shared", "devices-vf-pf",
                      "devices-pci-stub", "devices-passthrough", "devices-none", "vanished", "labels-config", "unmanaged", "kubevirt", "storage", "guest-channels", "mgmt-open", "mgmt-tls", "mgmt-modular", "selinux-permissive", "ksm-nested"]

    /// /dev/kvm modes: git records only the executable bit, so the tests apply the mode each host
    /// models (the distributions' 0660 everywhere, 0666 on the weak host).
    static func kvmMode(_ host: String) -> mode_t { host == "weak" ? 0o666 : 0o660 }

    static func nodeFile(_ host: String) -> String { "\(directory)/\(host)/node.xml" }
    static func root(_ host: String) -> String { "\(directory)/\(host)/root" }

    /// Scans one fixture host with the default policies.
    ///
    /// libvirt's test driver keeps only the XML namespaces it knows, so it drops
    /// `<qemu:commandline>` (the qemu driver keeps it). The scan restores that element from the
    /// node file into the record libvirt returned, giving the XML `qemu:///system` returns for
    /// such a domain.
    static func scan(_ host: String, file: StaticString = #filePath, line: UInt = #line) throws -> ScanReport {
        let kvm = root(host) + "/dev/kvm"
        if FileManager.default.fileExists(atPath: kvm) {
            XCTAssertEqual(chmod(kvm, kvmMode(host)), 0, "chmod \(kvm)", file: file, line: line)
        }
        applyExtendedAttributes(host, file: file, line: line)
        applyModes(host, file: file, line: line)
        let settings = ScanSettings(uri: "test://" + nodeFile(host), root: HostRoot(root(host)),
                                    policiesDirectory: policies)
        let auditor = try Auditor(settings: settings)
        let connection = try LibvirtConnection(uri: settings.uri)
        defer { connection.close() }
        let fetched = try auditor.fetch(connection: connection)
        let node = try String(contentsOfFile: nodeFile(host), encoding: .utf8)
        let records = fetched.records.map { restoreQemuCommandline($0, node: node) }
        return auditor.assemble(records: records, hostInfo: fetched.hostInfo)
    }

    /// Sets the extended attributes listed in `<host>/xattrs` (path under root/, name, value; tab
    /// separated) on the host's files: git keeps no xattrs. `security.selinux` values get the
    /// trailing NUL the kernel stores.
    static func applyExtendedAttributes(_ host: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let list = try? String(contentsOfFile: "\(directory)/\(host)/xattrs", encoding: .utf8) else { return }
        for entry in list.split(separator: "\n") where !entry.hasPrefix("#") {
            let f = entry.split(separator: "\t").map(String.init)
            guard f.count == 3 else { XCTFail("bad xattrs line: \(entry)", file: file, line: line); continue }
            let value = Array(f[2].utf8) + (f[1] == "security.selinux" ? [0] : [])
            let rc = value.withUnsafeBytes { setxattr(root(host) + f[0], f[1], $0.baseAddress, $0.count, 0) }
            XCTAssertEqual(rc, 0, "setxattr \(f[1]) on \(root(host) + f[0]): errno \(errno)", file: file, line: line)
        }
    }

    /// Sets the file modes listed in `<host>/modes` (path under root/, octal mode; tab separated):
    /// git keeps only the executable bit.
    static func applyModes(_ host: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let list = try? String(contentsOfFile: "\(directory)/\(host)/modes", encoding: .utf8) else { return }
        for entry in list.split(separator: "\n") where !entry.hasPrefix("#") {
            let f = entry.split(separator: "\t").map(String.init)
            guard f.count == 2, let mode = mode_t(f[1], radix: 8) else { XCTFail("bad modes line: \(entry)", file: file, line: line); continue }
            XCTAssertEqual(chmod(root(host) + f[0], mode), 0, "chmod \(f[1]) \(root(host) + f[0])", file: file, line: line)
        }
    }

    /// Every fixture host's scan, in `all` order.
    static func scanAll() throws -> [(host: String, report: ScanReport)] {
        try all.map { ($0, try scan($0)) }
    }

    /// The loaded default policy set (every rule of every profile).
    static func auditor() throws -> Auditor {
        try Auditor(settings: ScanSettings(uri: "test:///default", policiesDirectory: policies))
    }

    static func restoreQemuCommandline(_ record: DomainRecord, node: String) -> DomainRecord {
        guard let definition = domainText(named: record.name, in: node),
              let start = definition.range(of: "<qemu:commandline>"),
              let end = definition.range(of: "</qemu:commandline>", range: start.upperBound..<definition.endIndex),
              !record.xml.contains("<qemu:commandline>"),
              let close = record.xml.range(of: "</domain>", options: .backwards),
              let open = record.xml.range(of: "<domain ")
        else { return record }
        var xml = record.xml
        xml.replaceSubrange(close, with: "  " + definition[start.lowerBound..<end.upperBound] + "\n</domain>")
        xml.replaceSubrange(open, with: "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0' ")
        var r = record
        r.xml = xml
        return r
    }

    /// The text of the `<domain>` element whose `<name>` is `name` in a node file.
    static func domainText(named name: String, in node: String) -> String? {
        var rest = node[...]
        while let start = rest.range(of: "<domain "),
              let end = rest.range(of: "</domain>", range: start.upperBound..<rest.endIndex) {
            let text = rest[start.lowerBound..<end.upperBound]
            if text.contains("<name>\(name)</name>") { return String(text) }
            rest = rest[end.upperBound...]
        }
        return nil
    }
}

extension ScanReport {
    func domain(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> DomainReport {
        try XCTUnwrap(domains.first { $0.name == name }, "no domain \(name) in \(connection)", file: file, line: line)
    }
}

extension DomainReport {
    func finding(_ rule: String, file: StaticString = #filePath, line: UInt = #line) throws -> Finding {
        try XCTUnwrap(findings.first { $0.rule == rule }, "\(name) has no verdict for \(rule)", file: file, line: line)
    }

    func layerScore(_ layer: Layer, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        try XCTUnwrap(layers[layer.rawValue]?.score, "\(name) has no \(layer.rawValue) sub-score", file: file, line: line)
    }
}

extension Finding {
    /// The observed values as compact JSON, to look for a device address in them.
    var observedText: String { JSONWriter.string(observed) }
}
