import Core

/// One domain as the inventory sees it: libvirt's record, the parsed definition (or why it
/// could not be parsed) and its facts.
public struct InventoryDomain: Sendable {
    public var record: DomainRecord
    public var definition: Result<DomainDefinition, DomainXMLError>
    public var facts: FactBuilder
}

/// Entry points for the audit pipeline.
public enum InventoryFacts {
    /// Every fact path the Inventory module produces (domain, surface, confidential, host.libvirt).
    public static let schema: [FactField] = DomainFacts.schema + HostLibvirtFacts.schema + StorageFacts.schema
        + NetworkFacts.schema + FirmwareFacts.schema + ConsoleFacts.schema + ResourceFacts.schema

    /// Parses every record, works out shared memory across domains and builds each domain's facts.
    /// `definitions`, when given, are the records' parsed definitions in the same order (a caller
    /// that keeps them between scans passes them instead of having every XML parsed again).
    public static func domains(_ records: [DomainRecord],
                               definitions: [Result<DomainDefinition, DomainXMLError>]? = nil) -> [InventoryDomain] {
        domains(records, definitions: definitions, reusing: [:]).domains
    }

    /// What a domain's inventory facts are built from: libvirt's whole record (its XML, state,
    /// id, flags and their problems) and the domains sharing its `<shmem>` objects. The same
    /// inputs always give the same facts.
    public struct Inputs: Hashable, Sendable {
        public var record: DomainRecord
        public var shmemSharedWith: [String]
    }

    /// `domains(_:definitions:)`, taking each domain's facts from `known` when its inputs are
    /// exactly those of an earlier build (a rescan where the domain did not change) and building
    /// the others, in parallel. Returns the domains and every domain's facts by inputs, for the
    /// next call.
    public static func domains(_ records: [DomainRecord], definitions: [Result<DomainDefinition, DomainXMLError>]?,
                               reusing known: [Inputs: FactBuilder]) -> (domains: [InventoryDomain], built: [Inputs: FactBuilder]) {
        let parsed = definitions.flatMap { $0.count == records.count ? $0 : nil }
            ?? records.map { DomainFacts.definition(of: $0) }
        let sharing = DomainFacts.shmemSharing(parsed.compactMap { try? $0.get() })
        let inputs = zip(records, parsed).map { record, definition in
            Inputs(record: record, shmemSharedWith: sharing[(try? definition.get())?.name ?? record.name] ?? [])
        }
        let missing = inputs.indices.filter { known[inputs[$0]] == nil }
        let fresh = Parallel.map(missing) { i in
            DomainFacts.build(record: records[i], definition: parsed[i], shmemSharedWith: inputs[i].shmemSharedWith)
        }
        var built: [Inputs: FactBuilder] = [:]
        built.reserveCapacity(records.count)
        for (i, f) in zip(missing, fresh) { built[inputs[i]] = f }
        var out: [InventoryDomain] = []
        out.reserveCapacity(records.count)
        for i in records.indices {
            let facts: FactBuilder
            if let f = built[inputs[i]] { facts = f } else { facts = known[inputs[i]]!; built[inputs[i]] = facts }
            out.append(InventoryDomain(record: records[i], definition: parsed[i], facts: facts))
        }
        return (out, built)
    }
}
