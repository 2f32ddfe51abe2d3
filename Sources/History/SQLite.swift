import CSQLite
import Foundation

/// A small wrapper over the SQLite C API: one connection, prepared statements, transactions.
/// Not thread-safe on its own; `HistoryStore` serializes access.
final class SQLiteDatabase {
    private(set) var handle: OpaquePointer?
    let path: String
    /// Primary result code of the last call that failed (kept through a ROLLBACK that follows).
    var lastFailureCode: Int32 = SQLITE_OK

    init(path: String) throws(HistoryError) {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        if rc != SQLITE_OK {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "error \(rc)"
            sqlite3_close(db)
            throw HistoryError.open(path: path, message: msg)
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
    }

    deinit { sqlite3_close_v2(handle) }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    func execute(_ sql: String) throws(HistoryError) {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &err) != SQLITE_OK {
            lastFailureCode = sqlite3_errcode(handle) & 0xff
            let msg = err.map { String(cString: $0) } ?? lastError
            sqlite3_free(err)
            throw HistoryError.query(path: path, message: msg)
        }
    }

    func prepare(_ sql: String) throws(HistoryError) -> Statement {
        var stmt: OpaquePointer?
        if sqlite3_prepare_v2(handle, sql, -1, &stmt, nil) != SQLITE_OK {
            lastFailureCode = sqlite3_errcode(handle) & 0xff
            throw HistoryError.query(path: path, message: "\(lastError) in: \(sql)")
        }
        return Statement(stmt: stmt, db: self)
    }

    /// Runs `body` in one transaction: all of it is committed, or none.
    func transaction<T>(_ body: () throws(HistoryError) -> T) throws(HistoryError) -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            let code = lastFailureCode
            try? execute("ROLLBACK")
            lastFailureCode = code
            throw error
        }
    }

    var changes: Int { Int(sqlite3_changes(handle)) }
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}

/// A prepared statement. Binding indexes start at 1; column indexes at 0.
final class Statement {
    private let stmt: OpaquePointer?
    private unowned let db: SQLiteDatabase
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(stmt: OpaquePointer?, db: SQLiteDatabase) {
        self.stmt = stmt
        self.db = db
    }

    deinit { sqlite3_finalize(stmt) }

    @discardableResult
    func bind(_ values: [SQLValue]) -> Statement {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
        for (i, v) in values.enumerated() {
            let n = Int32(i + 1)
            switch v {
            case .null: sqlite3_bind_null(stmt, n)
            case .int(let x): sqlite3_bind_int64(stmt, n, x)
            case .double(let x): sqlite3_bind_double(stmt, n, x)
            case .text(let s): sqlite3_bind_text(stmt, n, s, -1, Statement.transient)
            case .blob(let d):
                _ = d.withUnsafeBytes { sqlite3_bind_blob(stmt, n, $0.baseAddress, Int32($0.count), Statement.transient) }
            }
        }
        return self
    }

    /// Steps once: true when a row is available.
    func step() throws(HistoryError) -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        db.lastFailureCode = rc & 0xff
        throw HistoryError.query(path: db.path, message: db.lastError)
    }

    func run(_ values: [SQLValue] = []) throws(HistoryError) {
        bind(values)
        while try step() {}
    }

    func rows(_ values: [SQLValue] = []) throws(HistoryError) -> [Row] {
        bind(values)
        var out: [Row] = []
        while try step() { out.append(Row(stmt: stmt)) }
        return out
    }
}

enum SQLValue {
    case null, int(Int64), double(Double), text(String), blob(Data)
    static func from(_ s: String?) -> SQLValue { s.map { .text($0) } ?? .null }
}

/// One result row, copied out of the statement.
struct Row {
    let values: [SQLValue]

    init(stmt: OpaquePointer?) {
        var vals: [SQLValue] = []
        for i in 0..<sqlite3_column_count(stmt) {
            switch sqlite3_column_type(stmt, i) {
            case SQLITE_INTEGER: vals.append(.int(sqlite3_column_int64(stmt, i)))
            case SQLITE_FLOAT: vals.append(.double(sqlite3_column_double(stmt, i)))
            case SQLITE_TEXT: vals.append(.text(String(cString: sqlite3_column_text(stmt, i))))
            case SQLITE_BLOB:
                let n = Int(sqlite3_column_bytes(stmt, i))
                if let p = sqlite3_column_blob(stmt, i) { vals.append(.blob(Data(bytes: p, count: n))) } else { vals.append(.blob(Data())) }
            default: vals.append(.null)
            }
        }
        values = vals
    }

    func int(_ i: Int) -> Int? {
        switch values[i] {
        case .int(let x): return Int(x)
        case .double(let d): return Int(d)
        default: return nil
        }
    }
    func double(_ i: Int) -> Double? {
        switch values[i] {
        case .int(let x): return Double(x)
        case .double(let d): return d
        default: return nil
        }
    }
    func text(_ i: Int) -> String? { if case .text(let s) = values[i] { return s } else { return nil } }
    func blob(_ i: Int) -> Data? {
        switch values[i] {
        case .blob(let d): return d
        case .text(let s): return Data(s.utf8)
        default: return nil
        }
    }
}

public enum HistoryError: Error, Sendable, CustomStringConvertible, Equatable {
    case open(path: String, message: String)
    case corrupt(path: String, message: String)
    case query(path: String, message: String)
    case notFound(String)

    public var description: String {
        switch self {
        case .open(let p, let m): return "cannot open history database \(p): \(m)"
        case .corrupt(let p, let m): return "history database \(p) is corrupt (\(m)); move it aside to start a new history"
        case .query(let p, let m): return "history database \(p): \(m)"
        case .notFound(let what): return "\(what) not found in history"
        }
    }
}
