import CLibvirt
import Glibc
import Synchronization

/// A read-only connection to libvirt (`virConnectOpenReadOnly`).
///
/// Sendable through a lock: every libvirt call on the connection runs while holding one
/// `Mutex`, so calls from several tasks are serialized and libvirt's per-thread last error is
/// read by the thread whose call failed, right after the failure. Keep one open connection and
/// call `listDomains()` on it for every scan; that is one list call plus a handful of cheap
/// per-domain calls, no reconnect.
///
/// libvirt's default error printing to stderr is switched off (`virSetErrorFunc`) once per
/// process; messages reach callers inside `InventoryError` instead.
public final class LibvirtConnection: Sendable {
    public static let defaultURI = "qemu:///system"

    public let uri: String
    /// The `virConnectPtr`; nil after `close()`.
    private let handle: Mutex<OpaquePointer?>

    /// Opens `uri` read-only. Throws `.connect` with libvirt's message when that fails.
    public init(uri: String = LibvirtConnection.defaultURI) throws(InventoryError) {
        LibvirtErrors.silenceDefaultPrinting()
        // The test driver hands a missing node file to libxml2, which prints its own warning on
        // stderr before libvirt reports the error: check the file first.
        if let path = LibvirtConnection.testDriverNodeFile(uri), access(path, R_OK) != 0 {
            throw .connect(uri: uri, message: "node file \(path): \(String(cString: strerror(errno)))")
        }
        guard let conn = virConnectOpenReadOnly(uri) else {
            let message = LibvirtErrors.last(nil)?.message ?? "virConnectOpenReadOnly returned no connection"
            throw .connect(uri: uri, message: message)
        }
        self.uri = uri
        handle = Mutex(conn)
    }

    /// The node file of a `test:///path/node.xml` URI (nil for `test:///default` and other drivers).
    static func testDriverNodeFile(_ uri: String) -> String? {
        guard uri.hasPrefix("test:///") else { return nil }
        let path = String(uri.dropFirst("test://".count))
        return path == "/default" ? nil : path
    }

    deinit {
        handle.withLock { conn in
            if let c = conn { virConnectClose(c) }
            conn = nil
        }
    }

    /// Closes the connection now; later calls throw `.lost`.
    public func close() {
        handle.withLock { conn in
            if let c = conn { virConnectClose(c) }
            conn = nil
        }
    }

    /// `virConnectIsAlive`: false once the daemon went away or after `close()`.
    public var isAlive: Bool {
        handle.withLock { conn in
            guard let c = conn else { return false }
            return virConnectIsAlive(c) == 1
        }
    }

    /// Every domain, active or not (`virConnectListAllDomains` with no filter). A domain that
    /// vanishes between the list and the reads of its details is left out.
    public func listDomains() throws(InventoryError) -> [DomainRecord] {
        try withConnection { conn throws(InventoryError) in
            var list: UnsafeMutablePointer<OpaquePointer?>? = nil
            let n = virConnectListAllDomains(conn, &list, 0)
            if n < 0 { throw self.failure(conn, function: "virConnectListAllDomains") }
            defer {
                if let list {
                    for i in 0..<Int(n) { if let d = list[i] { virDomainFree(d) } }
                    free(list)
                }
            }
            var records: [DomainRecord] = []
            records.reserveCapacity(Int(n))
            for i in 0..<Int(n) {
                guard let d = list?[i] else { continue }
                if let r = try self.record(d, conn) { records.append(r) }
            }
            return records
        }
    }

    /// One domain by UUID (for rescans driven by libvirt events); nil when no such domain exists.
    public func domain(uuid: String) throws(InventoryError) -> DomainRecord? {
        try withConnection { conn throws(InventoryError) in
            guard let d = virDomainLookupByUUIDString(conn, uuid) else {
                let e = LibvirtErrors.last(conn)
                if e?.code == Int32(VIR_ERR_NO_DOMAIN.rawValue) { return nil }
                if virConnectIsAlive(conn) != 1 { throw .lost(uri: self.uri, message: e?.message ?? "connection closed") }
                throw .domain(name: uuid, message: e?.message ?? "virDomainLookupByUUIDString failed")
            }
            defer { virDomainFree(d) }
            return try self.record(d, conn)
        }
    }

    /// Versions, driver and hostname of the host behind the connection.
    public func hostInfo() throws(InventoryError) -> LibvirtHostInfo {
        try withConnection { conn throws(InventoryError) in
            var problems: [String: String] = [:]
            var lib: UInt = 0, hv: UInt = 0
            var libvirtVersion: String?, hypervisorVersion: String?, driver: String?, hostname: String?
            if virConnectGetLibVersion(conn, &lib) == 0 {
                libvirtVersion = LibvirtHostInfo.versionString(lib)
            } else {
                problems["libvirtVersion"] = try self.message(conn, function: "virConnectGetLibVersion")
            }
            if virConnectGetVersion(conn, &hv) == 0 {
                hypervisorVersion = LibvirtHostInfo.versionString(hv)
            } else {
                problems["hypervisorVersion"] = try self.message(conn, function: "virConnectGetVersion")
            }
            if let t = virConnectGetType(conn) {
                driver = String(cString: t)
            } else {
                problems["driver"] = try self.message(conn, function: "virConnectGetType")
            }
            if let h = virConnectGetHostname(conn) {
                hostname = String(cString: h)
                free(h)
            } else {
                problems["hostname"] = try self.message(conn, function: "virConnectGetHostname")
            }
            return LibvirtHostInfo(uri: self.uri, libvirtVersion: libvirtVersion, hypervisorVersion: hypervisorVersion,
                                   driver: driver, hostname: hostname, problems: problems)
        }
    }

    // MARK: - internals

    private func withConnection<T: Sendable>(_ body: (OpaquePointer) throws(InventoryError) -> T) throws(InventoryError) -> T {
        try handle.withLock { (conn: inout OpaquePointer?) throws(InventoryError) -> T in
            guard let c = conn else { throw InventoryError.lost(uri: uri, message: "connection closed") }
            return try body(c)
        }
    }

    /// The error for a failed connection-level call: `.lost` when the connection died.
    private func failure(_ conn: OpaquePointer, function: String) -> InventoryError {
        let message = LibvirtErrors.last(conn)?.message ?? "\(function) failed"
        if virConnectIsAlive(conn) != 1 { return .lost(uri: uri, message: message) }
        return .call(function: function, message: message)
    }

    /// libvirt's message for a failed call whose absence is tolerable; throws only when the
    /// connection itself is gone.
    private func message(_ conn: OpaquePointer, function: String) throws(InventoryError) -> String {
        let message = LibvirtErrors.last(conn)?.message ?? "\(function) failed"
        if virConnectIsAlive(conn) != 1 { throw .lost(uri: uri, message: message) }
        return message
    }

    private enum Outcome { case vanished, problem(String) }

    /// After a failed per-domain call: vanished (skip the domain), a problem to record, or a
    /// thrown `.lost` when the connection died under us.
    private func outcome(_ conn: OpaquePointer, function: String) throws(InventoryError) -> Outcome {
        let e = LibvirtErrors.last(conn)
        if e?.code == Int32(VIR_ERR_NO_DOMAIN.rawValue) { return .vanished }
        let message = e?.message ?? "\(function) failed"
        if virConnectIsAlive(conn) != 1 { throw .lost(uri: uri, message: message) }
        return .problem(message)
    }

    /// Reads one domain's details; nil when it vanished meanwhile.
    private func record(_ d: OpaquePointer, _ conn: OpaquePointer) throws(InventoryError) -> DomainRecord? {
        var problems: [String: String] = [:]

        guard let namePtr = virDomainGetName(d) else {
            switch try outcome(conn, function: "virDomainGetName") {
            case .vanished: return nil
            case .problem(let m): throw .domain(name: "?", message: m)
            }
        }
        let name = String(cString: namePtr)

        var uuidBuf = [CChar](repeating: 0, count: 37)  // VIR_UUID_STRING_BUFLEN
        guard virDomainGetUUIDString(d, &uuidBuf) == 0 else {
            switch try outcome(conn, function: "virDomainGetUUIDString") {
            case .vanished: return nil
            case .problem(let m): throw .domain(name: name, message: m)
            }
        }
        let uuid = String(decoding: uuidBuf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .lowercased()

        let rawID = virDomainGetID(d)
        let id: Int? = rawID == UInt32.max ? nil : Int(rawID)

        var state: String?
        var st: Int32 = 0, reason: Int32 = 0
        if virDomainGetState(d, &st, &reason, 0) == 0 {
            state = DomainRecord.stateName(Int(st))
        } else {
            switch try outcome(conn, function: "virDomainGetState") {
            case .vanished: return nil
            case .problem(let m): problems["state"] = m
            }
        }

        var persistent: Bool?
        let p = virDomainIsPersistent(d)
        if p >= 0 {
            persistent = p == 1
        } else {
            switch try outcome(conn, function: "virDomainIsPersistent") {
            case .vanished: return nil
            case .problem(let m): problems["persistent"] = m
            }
        }

        var autostart: Bool?
        var a: Int32 = 0
        if virDomainGetAutostart(d, &a) == 0 {
            autostart = a != 0
        } else {
            switch try outcome(conn, function: "virDomainGetAutostart") {
            case .vanished: return nil
            case .problem(let m): problems["autostart"] = m
            }
        }

        var xml = ""
        if let x = virDomainGetXMLDesc(d, 0) {
            xml = String(cString: x)
            free(x)
        } else {
            switch try outcome(conn, function: "virDomainGetXMLDesc") {
            case .vanished: return nil
            case .problem(let m): problems["xml"] = m
            }
        }

        return DomainRecord(name: name, uuid: uuid, id: id, state: state, persistent: persistent,
                            autostart: autostart, xml: xml, problems: problems)
    }
}

/// libvirt's error reporting, made quiet and readable.
enum LibvirtErrors {
    struct Last { var code: Int32; var domain: Int32; var message: String }

    /// Once per process, before the first connection: installs a no-op `virSetErrorFunc`
    /// handler, so libvirt never prints to stderr, and ignores SIGPIPE, as libvirt requires of
    /// its applications: a write to a connection whose daemon went away (a keepalive, the next
    /// call) otherwise kills the process instead of failing the call.
    static func silenceDefaultPrinting() { _ = installed }

    private static let installed: Bool = {
        virSetErrorFunc(nil, { _, _ in })
        signal(SIGPIPE, SIG_IGN)
        return true
    }()

    /// The calling thread's last libvirt error (falling back to the connection's), then reset.
    static func last(_ conn: OpaquePointer?) -> Last? {
        var err = virGetLastError()
        if err == nil, let conn { err = virConnGetLastError(conn) }
        guard let e = err else { return nil }
        let message = e.pointee.message.map { String(cString: $0) } ?? "libvirt error \(e.pointee.code)"
        let last = Last(code: e.pointee.code, domain: e.pointee.domain, message: message)
        virResetLastError()
        if let conn { virConnResetLastError(conn) }
        return last
    }
}
