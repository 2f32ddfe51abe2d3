import Core
import XCTest
@testable import HostProbes

final class ProcessSchemaTests: XCTestCase {
    /// Leaf paths of a fact tree (lists of scalars are leaves; `unknown` is skipped).
    func leaves(_ v: JSONValue, _ prefix: String = "") -> [String] {
        guard case .object(let o) = v else { return [prefix] }
        return o.flatMap { k, child -> [String] in
            if prefix.isEmpty && k == "unknown" { return [] }
            return leaves(child, prefix.isEmpty ? k : prefix + "." + k)
        }
    }

    func testEveryProducedPathIsDocumented() {
        let schema = FactSchema([ProcessProbe.schema])
        let scenarios = [("proc-libvirt-default", 3595), ("proc-root-qemu", 3620), ("proc-selinux-svirt", 5012),
                         ("proc-apparmor", 6100), ("proc-missing-files", 3595), ("proc-unreadable", 3595)]
        for (scenario, pid) in scenarios {
            let root = ProcFixture.root(scenario)
            let b = ProcessProbe.collect(pid: pid, root: root, hostNamespaces: NamespaceReference.resolve(root: root))
            for path in leaves(b.tree) {
                XCTAssertNotNil(schema.field(path), "\(scenario): \(path) is not in the schema")
            }
            for path in b.unknown.keys {
                XCTAssertNotNil(schema.field(path), "\(scenario): unknown \(path) is not in the schema")
            }
        }
    }

    func testContractKeysHaveTheirTypes() {
        let schema = FactSchema([ProcessProbe.schema])
        XCTAssertEqual(schema.field("process.uid")?.kind, .int)
        XCTAssertEqual(schema.field("process.seccomp.mode")?.kind, .int)
        XCTAssertEqual(schema.field("process.noNewPrivs")?.kind, .bool)
        XCTAssertEqual(schema.field("process.capabilities.effective")?.element, .string)
        XCTAssertEqual(schema.field("process.namespaces.mnt.sharedWithHost")?.kind, .bool)
        XCTAssertEqual(schema.field("process.selinux.sharedWith")?.element, .string)
        XCTAssertNotNil(schema.field("sandbox.qemuVersion"))
    }

    func testPathsAreUniqueAndDocumented() {
        let paths = ProcessProbe.schema.map(\.path)
        XCTAssertEqual(paths.count, Set(paths).count)
        XCTAssertTrue(ProcessProbe.schema.allSatisfy { !$0.doc.isEmpty && !$0.source.isEmpty })
    }
}
