// facts-as: runs the real probes (Inventory over libvirt's read-only socket, HostProbes/Process,
// HostProbes/Host, Devices) and the real rules (Policy) with the calling process's credentials,
// and prints every fact left unknown, the scores and every rule verdict. It stands in for
// `virtaudit scan` until the Audit module assembles a scan; the files measured/facts-*.txt are
// its output under each privilege level.
//
// It is not part of the package. To build it, add this line to Package.swift's targets
// temporarily (do not commit it):
//   .executableTarget(name: "privharness", dependencies: ["Core", "HostProbes", "Inventory",
//       "Devices", "Policy"], path: "Tests/Fixtures/privilege/facts-as"),
// then `swift build --product privharness` and run, e.g.
//   setpriv --reuid virtaudit --regid virtaudit --init-groups --inh-caps=-all,+sys_ptrace \
//       --ambient-caps=+sys_ptrace --bounding-set=-all,+sys_ptrace -- \
//       ./privharness 'qemu:///system?socket=/tmp/va-roproxy/sock' /path/to/policies va-confined va-rootdac
// Arguments: libvirt URI, policies directory, then the domains to include (default: all).
import Core
import Devices
import Foundation
import HostProbes
import Inventory
import Policy

// Runs the real probes and the real rules as the calling credentials and prints every unknown
// fact and every rule verdict.
func run() {
    let root = HostRoot("/")
    let args = CommandLine.arguments
    let uri = args.count > 1 ? args[1] : "qemu:///system"
    let policyDir = args.count > 2 ? args[2] : "policies"
    let only = Set(args.dropFirst(3))
    var unknown: [(String, String)] = []
    var leavesKnown = 0
    func leaves(_ v: JSONValue) -> Int {
        switch v {
        case .object(let o): return o.values.map(leaves).reduce(0, +)
        case .array(let a): return a.map(leaves).reduce(0, +)
        default: return 1
        }
    }
    func note(_ b: FactBuilder, _ prefix: String) {
        for (p, r) in b.unknown.sorted(by: { $0.key < $1.key }) { unknown.append((prefix + p, r)) }
        leavesKnown += leaves(b.tree)
    }
    let refs = NamespaceReference.resolve(root: root)
    print("namespace reference: source=\(refs.source.map { $0.rawValue } ?? "none") attempts=\(refs.attempts)")
    var host = HostProbe.collect(root: root)
    var domains: [(String, String, FactBuilder)] = []
    var inputs: [DeviceAudit.DomainInput] = []
    do {
        let conn = try LibvirtConnection(uri: uri)
        for d in InventoryFacts.domains(try conn.listDomains()) where only.isEmpty || only.contains(d.record.name) {
            var f = d.facts
            let hostdevs = (try? d.definition.get())?.hostdevs ?? []
            inputs.append(DeviceAudit.DomainInput(name: d.record.name, uuid: d.record.uuid, running: d.record.isActive, hostdevs: hostdevs))
            if d.record.isActive {
                f.absorb(ProcessProbe.collect(domainName: d.record.name, root: root, hostNamespaces: refs))
            }
            domains.append((d.record.name, d.record.uuid, f))
        }
        host.absorb(HostLibvirtFacts.build(try conn.hostInfo()))
    } catch {
        print("libvirt: \(error)")
    }
    let dev = DeviceAudit.collect(root: root, domains: inputs)
    host.absorb(dev.host)
    domains = domains.map { (n, u, f) in
        var g = f
        if let d = dev.domains[u] { g.absorb(d) }
        return (n, u, g)
    }
    note(host, "")
    for (n, _, f) in domains { note(f, n + ": ") }
    print("facts known: \(leavesKnown), unknown: \(unknown.count)")
    for (p, r) in unknown { print("  unknown \(p): \(r)") }
    do {
        var sources: [PolicySource] = []
        for sub in ["rules", "profiles"] {
            let dir = policyDir + "/" + sub
            for f in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where f.hasSuffix(".yaml") {
                sources.append(PolicySource(path: dir + "/" + f, text: try String(contentsOfFile: dir + "/" + f, encoding: .utf8)))
            }
        }
        let ev = Evaluator(policies: try PolicySet.load(sources: sources, schema: nil), waivers: .none)
        var verdicts: [(String, Finding)] = []
        let hv = ev.evaluateHost(facts: host.facts)
        verdicts += hv.findings.map { ("host", $0) }
        print("score host: \(hv.score.score) \(hv.score.grade)")
        for (n, u, f) in domains {
            let v = ev.evaluateDomain(name: n, uuid: u, facts: f.facts, host: host.facts)
            verdicts += v.findings.map { (n, $0) }
            print("score \(n): \(v.score.score) \(v.score.grade)")
        }
        var counts: [String: Int] = [:]
        for (_, f) in verdicts { counts[f.status.rawValue, default: 0] += 1 }
        print("verdicts: \(counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        for (scope, f) in verdicts { print("  verdict \(scope) \(f.rule) \(f.status.rawValue)") }
    } catch {
        print("policies: \(error)")
    }
}
run()
