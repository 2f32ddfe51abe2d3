import Core
import HostProbes
import Inventory

/// `labels.*`: the security labels libvirt says it gave the domain (the `<seclabel>` elements of
/// the live XML) compared with what the qemu process actually runs with. A mismatch means the
/// process is not the one libvirt labelled, or labelling failed: a layer the XML promises is
/// not there.
enum SecLabelFacts {
    static let schema: [FactField] = [
        FactField("labels.dac.configured", .bool, source: "<seclabel model='dac'><label>",
                  "The live XML carries a DAC label (libvirt writes the one it applied)."),
        FactField("labels.dac.label", .string, source: "<seclabel model='dac'><label>", "The label, e.g. +64055:+64055 or libvirt-qemu:kvm."),
        FactField("labels.dac.uid", .int, source: "label, /etc/passwd", "The label's user as a uid."),
        FactField("labels.dac.gid", .int, source: "label, /etc/group", "The label's group as a gid."),
        FactField("labels.dac.matchesProcess", .bool, source: "labels.dac.uid/gid vs process.uid/gid",
                  "The running qemu's effective uid and gid are the label's."),
        FactField("labels.selinux.configured", .bool, source: "<seclabel model='selinux'>", "The domain has an SELinux seclabel."),
        FactField("labels.selinux.type", .string, source: "<seclabel type>", "dynamic (libvirt picks unique categories), static or none."),
        FactField("labels.selinux.relabel", .bool, source: "<seclabel relabel>", "libvirt relabels the domain's images."),
        FactField("labels.selinux.label", .string, source: "<seclabel><label>", "The process label libvirt applied (live XML)."),
        FactField("labels.selinux.imagelabel", .string, source: "<seclabel><imagelabel>", "The label of the domain's images."),
        FactField("labels.selinux.baselabel", .string, source: "<seclabel><baselabel>",
                  "The base label a dynamic label takes its user, role and type from (libvirt adds the categories)."),
        FactField("labels.selinux.labelType", .string, source: "<seclabel><label> or <baselabel>",
                  "The SELinux type qemu runs as according to the XML: the label's type, else the baselabel's."),
        FactField("labels.selinux.typeClass", .string, source: "labels.selinux.labelType",
                  "svirt, unconfined (a known unconfined or host-privileged type such as unconfined_t, virtd_t, spc_t) or custom (confined, its policy needs review); null without a label or baselabel."),
        FactField("labels.selinux.level", .string, source: "<seclabel><label>",
                  "The MLS/MCS level of the label (s0:c100,c200); null when the XML has no label."),
        FactField("labels.selinux.categories", .list, element: .int, source: "<seclabel><label>",
                  "The label's MCS categories, expanded and sorted; null when the XML has no label."),
        FactField("labels.selinux.fullRange", .bool, source: "<seclabel><label>",
                  "The label spans every category (c0.c1023, more than 1000 categories); null when the XML has no label."),
        FactField("labels.selinux.sharedWith", .list, element: .string, source: "all defined domains' <seclabel model='selinux'><label>",
                  "Other defined domains (running or not) whose SELinux label has the same sensitivity and category set, where at least one of the two labels is static; null when this domain's XML has no label level."),
        FactField("labels.selinux.matchesProcess", .bool, source: "labels.selinux.label vs process.selinux.context",
                  "The running qemu's SELinux context is the label libvirt applied."),
        FactField("labels.apparmor.configured", .bool, source: "<seclabel model='apparmor'>", "The domain has an AppArmor seclabel."),
        FactField("labels.apparmor.label", .string, source: "<seclabel model='apparmor'><label>", "The profile libvirt applied (libvirt-<uuid>)."),
        FactField("labels.apparmor.matchesProcess", .bool, source: "labels.apparmor.label vs process.apparmor.profile",
                  "The running qemu is confined by the profile libvirt applied."),
    ]

    static func collect(_ d: InventoryDomain, root: HostRoot, accounts: Accounts, into f: inout FactBuilder) {
        guard case .success(let def) = d.definition else {
            f.setUnknown("labels", reason: "domain XML could not be parsed")
            return
        }
        let running = d.record.isActive
        let processTree = f.tree
        func processValue(_ path: String) -> JSONValue? {
            guard let v = processTree[path: path], !v.isNull else { return nil }
            return v
        }
        func compare(_ path: String, _ decide: () -> Bool?, missing: String) {
            guard running else { return f.setUnknown(path, reason: "domain is not running: no process to compare") }
            if let r = decide() { f.set(path, .bool(r)) } else { f.setUnknown(path, reason: missing) }
        }

        // DAC
        let dac = def.seclabels.first { $0.model == "dac" && $0.label != nil }
        f.set("labels.dac.configured", .bool(dac != nil))
        f.set("labels.dac.label", .from(dac?.label))
        let owner = dac?.label.flatMap { accounts.resolve(label: $0) }
        f.set("labels.dac.uid", .from(owner?.uid))
        f.set("labels.dac.gid", .from(owner?.gid))
        if dac != nil {
            compare("labels.dac.matchesProcess", {
                guard let o = owner, let uid = processValue("process.uid")?.intValue,
                      let gid = processValue("process.gid")?.intValue else { return nil }
                return o.uid == uid && o.gid == gid
            }, missing: owner == nil ? "the DAC label \(dac?.label ?? "") names an unknown user or group"
                                     : "the process's uid/gid could not be read")
        } else {
            f.set("labels.dac.matchesProcess", .null)
        }

        // SELinux
        let se = def.seclabels.first { $0.model == "selinux" }
        f.set("labels.selinux.configured", .bool(se != nil))
        f.set("labels.selinux.type", .from(se?.type))
        f.set("labels.selinux.relabel", .from(se.map(\.relabel)))
        f.set("labels.selinux.label", .from(se?.label))
        f.set("labels.selinux.imagelabel", .from(se?.imagelabel))
        f.set("labels.selinux.baselabel", .from(se?.baselabel))
        let context = (se?.label ?? se?.baselabel).flatMap { try? SELinuxContext.parse($0) }
        f.set("labels.selinux.labelType", .from(context?.type))
        f.set("labels.selinux.typeClass", .from(context?.typeClass.rawValue))
        let labelled = se?.label.flatMap { try? SELinuxContext.parse($0) }
        f.set("labels.selinux.level", .from(labelled?.level))
        f.set("labels.selinux.categories", labelled.map { .array(($0.mls?.categories ?? []).map { .int($0) }) } ?? .null)
        f.set("labels.selinux.fullRange", .from(labelled.map { $0.mls?.fullRange ?? false }))
        if let label = se?.label {
            compare("labels.selinux.matchesProcess", {
                processValue("process.selinux.context")?.stringValue.map { $0 == label }
            }, missing: "the process's SELinux context could not be read")
        } else {
            f.set("labels.selinux.matchesProcess", .null)
        }

        // AppArmor
        let aa = def.seclabels.first { $0.model == "apparmor" }
        f.set("labels.apparmor.configured", .bool(aa != nil))
        f.set("labels.apparmor.label", .from(aa?.label))
        if let label = aa?.label {
            compare("labels.apparmor.matchesProcess", {
                processValue("process.apparmor.profile")?.stringValue.map { $0 == label }
            }, missing: "the process's AppArmor profile could not be read")
        } else {
            f.set("labels.apparmor.matchesProcess", .null)
        }
    }
}

extension SecLabelFacts {
    /// `labels.selinux.sharedWith` for every domain: the other defined domains whose XML SELinux
    /// label has the same level, where at least one of the pair is static. A static label is used
    /// whether or not the domain runs, so two such domains are one security domain to SELinux as
    /// soon as both run (libvirt checks only running domains when it picks a dynamic pair). Two
    /// dynamic labels are compared on the processes instead (`process.selinux.sharedWith`).
    static func shareLabels(_ labels: [(uuid: String, name: String, level: String?, isStatic: Bool)]) -> [String: [String]] {
        let duplicates = MCSAnalysis.duplicates(labels.map { ($0.uuid, $0.name, $0.level) })
        let byName = Dictionary(labels.map { ($0.name, $0.isStatic) }, uniquingKeysWith: { a, b in a || b })
        var out: [String: [String]] = [:]
        for l in labels where l.level != nil {
            guard let others = duplicates[l.uuid] else { continue }
            out[l.uuid] = others.filter { l.isStatic || byName[$0] == true }
        }
        return out
    }
}

/// Users and groups of the host (`etc/passwd`, `etc/group` under the root), for DAC labels
/// written with names (`libvirt-qemu:kvm`) rather than numbers (`+64055:+64055`).
struct Accounts: Sendable {
    var users: [String: (uid: Int, gid: Int)] = [:]
    var groups: [String: Int] = [:]

    static func read(root: HostRoot) -> Accounts {
        var a = Accounts()
        if let text = try? FileReader.readString(root.etc("passwd")) {
            for line in text.split(separator: "\n") {
                let p = line.split(separator: ":", omittingEmptySubsequences: false)
                if p.count >= 4, let uid = Int(p[2]), let gid = Int(p[3]) { a.users[String(p[0])] = (uid, gid) }
            }
        }
        if let groups = try? EtcGroup.read(root: root) {
            for (gid, name) in groups.names { a.groups[name] = a.groups[name].map { min($0, gid) } ?? gid }
        }
        return a
    }

    /// `+N:+N`, `name:group`, or `name` alone (its primary group).
    func resolve(label: String) -> (uid: Int, gid: Int)? {
        let parts = label.split(separator: ":", maxSplits: 1).map(String.init)
        guard let userPart = parts.first else { return nil }
        let uid: Int?
        var gid: Int?
        if userPart.hasPrefix("+") { uid = Int(userPart.dropFirst()) } else {
            uid = users[userPart]?.uid
            gid = users[userPart]?.gid
        }
        if parts.count == 2 {
            let g = parts[1]
            gid = g.hasPrefix("+") ? Int(g.dropFirst()) : groups[g]
        }
        guard let u = uid, let g = gid else { return nil }
        return (u, g)
    }
}
