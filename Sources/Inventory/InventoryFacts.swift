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
        let parsed = definitions.flatMap { $0.count == records.count ? $0 : nil }
            ?? records.map { DomainFacts.definition(of: $0) }
        let sharing = DomainFacts.shmemSharing(parsed.compactMap { try? $0.get() })
        return zip(records, parsed).map { record, definition in
            let name = (try? definition.get())?.name ?? record.name
            return InventoryDomain(record: record, definition: definition,
                                   facts: DomainFacts.build(record: record, definition: definition,
                                                            shmemSharedWith: sharing[name] ?? []))
        }
    }
}
