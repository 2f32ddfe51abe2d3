import Core

/// `firmware.*` facts (UEFI, Secure Boot, SMM, vTPM) and the decoded launch-security policy
/// under `confidential.*`. See Docs/facts/firmware.md and Docs/facts/domain.md.
public enum FirmwareFacts {
    public static func build(_ def: DomainDefinition, into f: inout FactBuilder) {
        let fw = def.firmware
        f.set("firmware.kind", .from(fw.kind))
        f.set("firmware.uefi", .bool(fw.isUEFI))
        f.set("firmware.loader", .from(fw.loader))
        f.set("firmware.loaderSecure", .from(fw.loaderSecure))
        f.set("firmware.features", .object(fw.features.mapValues { .bool($0) }))
        f.set("firmware.secureBoot", .bool(fw.isUEFI && fw.secureBoot))
        f.set("firmware.enrolledKeys", .from(fw.features["enrolled-keys"]))
        f.set("firmware.smm", .bool(fw.smm == true))
        f.set("firmware.tpms", .array(def.tpmDevices.map { t in
            .object(["model": .string(t.model), "backend": .from(t.backend), "version": .from(t.version),
                     "device": .from(t.device), "encrypted": .bool(t.encryptionSecret != nil),
                     "encryptionSecret": .from(t.encryptionSecret)])
        }))
        f.set("firmware.vtpm", .bool(def.tpmDevices.contains { $0.backend == "emulator" || $0.backend == "external" }))
        f.set("firmware.hostTPMPassthrough", .bool(def.tpmDevices.contains { $0.backend == "passthrough" }))

        let ls = def.launchSecurity
        let bits = ls?.policyBits ?? [:]
        f.set("confidential.launchSecurity.policyBits", ls?.policyValue == nil ? .null : .object(bits.mapValues { .bool($0) }))
        f.set("confidential.launchSecurity.level", .from(ls?.level))
        f.set("confidential.launchSecurity.registersProtected", .from(ls?.registersProtected))
        f.set("confidential.launchSecurity.migrationAllowed", .from(ls?.migrationAllowed))
        f.set("confidential.launchSecurity.keySharing", .from(ls?.type == "sev" ? bits["NOKS"].map { !$0 } : nil))
        f.set("confidential.launchSecurity.smtAllowed", .from(ls?.type == "sev-snp" ? bits["SMT"] : nil))
        f.set("confidential.launchSecurity.septVEDisabled", .from(ls?.type == "tdx" ? bits["SEPT_VE_DISABLE"] : nil))
    }

    public static let schema: [FactField] = [
        FactField("firmware", .object, source: "<os>, <features>, <tpm>", "Boot firmware and TPM."),
        FactField("firmware.kind", .string, source: "<os firmware>", "efi or bios; null when the attribute is absent (the loader decides)."),
        FactField("firmware.uefi", .bool, source: "<os firmware>, <loader>", "True for UEFI: firmware='efi', a pflash loader, or an OVMF/AAVMF/edk2 loader path."),
        FactField("firmware.loader", .string, source: "<os><loader>", "Loader path; null when libvirt selects it."),
        FactField("firmware.loaderSecure", .bool, source: "<os><loader secure>", "The loader's secure attribute; null when absent."),
        FactField("firmware.features", .object, source: "<os><firmware><feature name enabled>", "Requested firmware features by name (secure-boot, enrolled-keys) -> enabled."),
        FactField("firmware.secureBoot", .bool, source: "<loader secure='yes'>, <feature name='secure-boot'>", "True when UEFI Secure Boot is asked for."),
        FactField("firmware.enrolledKeys", .bool, source: "<feature name='enrolled-keys'>", "Whether the variable store starts with Microsoft/distribution keys enrolled; null when not requested either way."),
        FactField("firmware.smm", .bool, source: "<features><smm state>", "True when System Management Mode is on (it protects the UEFI variable store from the guest OS)."),
        FactField("firmware.tpms", .list, element: .object, source: "<tpm>", "TPM devices."),
        FactField("firmware.tpms[].model", .string, source: "<tpm model>", "tpm-tis, tpm-crb, tpm-spapr..."),
        FactField("firmware.tpms[].backend", .string, source: "<tpm><backend type>", "emulator (swtpm), external (a swtpm socket) or passthrough (the host's TPM)."),
        FactField("firmware.tpms[].version", .string, source: "<tpm><backend version>", "1.2 or 2.0; null when libvirt picks."),
        FactField("firmware.tpms[].device", .string, source: "<tpm><backend><device path>", "Host TPM device of a passthrough backend, or the external socket."),
        FactField("firmware.tpms[].encrypted", .bool, source: "<tpm><backend><encryption secret>", "True when swtpm's state is encrypted with a libvirt secret."),
        FactField("firmware.tpms[].encryptionSecret", .string, source: "<tpm><backend><encryption secret>", "UUID of that secret."),
        FactField("firmware.vtpm", .bool, source: "<tpm><backend type='emulator'|'external'>", "True when the guest has a virtual TPM (swtpm)."),
        FactField("firmware.hostTPMPassthrough", .bool, source: "<tpm><backend type='passthrough'>", "True when the host's own TPM is given to the guest."),

        FactField("confidential.launchSecurity.policyBits", .object, source: "<launchSecurity><policy>",
                  "Decoded policy: SEV NODBG(0) NOKS(1) ES(2) NOSEND(3) DOMAIN(4) SEV(5); SEV-SNP SMT(16) MIGRATE_MA(18) DEBUG(19) SINGLE_SOCKET(20); TDX attributes DEBUG(0) SEPT_VE_DISABLE(28) PKS(30) PERFMON(63). Null without a policy."),
        FactField("confidential.launchSecurity.level", .string, source: "<launchSecurity>",
                  "sev (memory only), sev-es (memory and registers), sev-snp or tdx (also memory integrity); null for s390-pv or none."),
        FactField("confidential.launchSecurity.registersProtected", .bool, source: "<launchSecurity>",
                  "True when vCPU register state is encrypted (SEV-ES, SEV-SNP, TDX); false for plain SEV; null when not applicable."),
        FactField("confidential.launchSecurity.migrationAllowed", .bool, source: "<launchSecurity><policy>",
                  "SEV: NOSEND clear (the guest may be sent to another platform); SEV-SNP: MIGRATE_MA set; null otherwise."),
        FactField("confidential.launchSecurity.keySharing", .bool, source: "<launchSecurity><policy>", "SEV: NOKS clear (the key may be shared with other guests); null otherwise."),
        FactField("confidential.launchSecurity.smtAllowed", .bool, source: "<launchSecurity><policy>", "SEV-SNP: SMT bit set (the guest may run with SMT siblings); null otherwise."),
        FactField("confidential.launchSecurity.septVEDisabled", .bool, source: "<launchSecurity><policy>", "TDX: SEPT_VE_DISABLE set (EPT-violation #VE disabled for the guest); null otherwise."),
    ]
}
