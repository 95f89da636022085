import Foundation
import SluiceCore

import CSQLite

/// One SQLite connection: statements, bindings and rows, with SQLite's message in every
/// error. Not thread-safe by itself (opened with SQLITE_OPEN_NOMUTEX): it is only reached
/// on its `SQLiteWorker`'s thread, which is what makes the unchecked Sendable true.
package final class SQLiteConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    package let path: String
    /// Prepared statements by their SQL, reused (a controller writes the same few statements
    /// hundreds of thousands of times). One in use is taken out, so a nested query of the
    /// same SQL prepares its own.
    private var statements: [String: OpaquePointer] = [:]
    private let statementCacheLimit = 128

    /// How long a statement waits for another process's lock before it fails as busy.
    let busyTimeoutMilliseconds: Int32
    /// Set once SQLite has found the file damaged: from then on nothing is read or written
    /// through this connection (no history is added to a damaged file, no decision taken on
    /// what a damaged file said).
    package private(set) var damage: StoreError?
    /// SQLite could not write the files (an I/O error): closing would checkpoint into them,
    /// and SQLite's shared-memory map of a file that cannot grow faults (SIGBUS), so such a
    /// connection is left to the process's end.
    private var writesFailed = false
    /// The largest size the file has had. Sluice's stores never shrink (no auto-vacuum, no
    /// VACUUM while running), so a smaller file was truncated behind SQLite's back: SQLite
    /// itself would read the lost pages as zeros and notice only when a query happens to
    /// reach one, after more history had gone into the damaged file.
    private var largestFileSize: Int64 = 0

    package init(path: String, busyTimeoutMilliseconds: Int32 = 5_000) throws(StoreError) {
        self.path = path
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            handle = nil
            throw StoreError("cannot open state store \(path): \(message)")
        }
        // Another process writing: wait for it rather than fail at once.
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        if !writesFailed { sqlite3_close(handle) }
    }

    /// A value to bind or a column read back.
    package enum Cell: Equatable, Sendable {
        case null, integer(Int64), real(Double), text(String)

        package var text: String? { if case .text(let s) = self { return s }; return nil }
        package var integer: Int64? { if case .integer(let i) = self { return i }; return nil }
        package var real: Double? {
            switch self {
            case .real(let d): return d
            case .integer(let i): return Double(i)
            default: return nil
            }
        }
    }

    /// Runs SQL that returns no rows (several statements allowed, no parameters).
    package func execute(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &message) == SQLITE_OK else {
            sqlite3_free(message)
            throw error("execute")
        }
    }

    /// Refuses a file that has shrunk since this connection last looked (one `stat`, about a
    /// microsecond, before each job). In-memory stores have no file.
    package func checkNotTruncated() throws(StoreError) {
        guard damage == nil, path != ":memory:", !path.isEmpty else { return }
        var info = stat()
        guard stat(path, &info) == 0 else { return }  // A vanished file fails SQLite's own calls.
        let size = Int64(info.st_size)
        if size < largestFileSize {
            let error = StoreError("state store \(path) is damaged (the file shrank from \(largestFileSize) to \(size) bytes: truncated behind Sluice's back); run `sluice state check`, and restore it from a backup",
                                   kind: .damaged)
            damage = error
            throw error
        }
        largestFileSize = size
    }

    /// Whether SQLite opened the file read-only (it does so silently when it cannot write it).
    package var isReadOnly: Bool { sqlite3_db_readonly(handle, "main") == 1 }

    /// Runs one statement with parameters and returns its rows.
    @discardableResult
    package func query(_ sql: String, _ parameters: [Cell] = []) throws(StoreError) -> [[Cell]] {
        var rows: [[Cell]] = []
        try forEachRow(sql, parameters) { statement in
            rows.append((0..<sqlite3_column_count(statement)).map { column in
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
                case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, column))
                case SQLITE_NULL: return .null
                default: return .text(sqlite3_column_text(statement, column).map { String(cString: $0) } ?? "")
                }
            })
        }
        return rows
    }

    /// Runs one statement and hands each row's statement to `body` to read its columns
    /// (for large results: no intermediate rows).
    package func forEachRow(_ sql: String, _ parameters: [Cell] = [], _ body: (OpaquePointer) throws(StoreError) -> Void) throws(StoreError) {
        var statement = statements.removeValue(forKey: sql)
        if statement == nil {
            guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else {
                sqlite3_finalize(statement)
                throw error("prepare")
            }
        }
        defer { release(statement, sql) }
        for (offset, parameter) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch parameter {
            case .null: result = sqlite3_bind_null(statement, index)
            case .integer(let value): result = sqlite3_bind_int64(statement, index, value)
            case .real(let value): result = sqlite3_bind_double(statement, index, value)
            case .text(let value): result = sqlite3_bind_text(statement, index, value, -1, sluice_sqlite_transient())
            }
            guard result == SQLITE_OK else { throw error("bind") }
        }
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW, let statement else { throw error("step") }
            try body(statement)
        }
    }

    /// Back into the cache, reset, with its bindings cleared (no text of this call is kept).
    private func release(_ statement: OpaquePointer?, _ sql: String) {
        guard let statement else { return }
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        if statements.count >= statementCacheLimit {
            for cached in statements.values { sqlite3_finalize(cached) }
            statements = [:]
        }
        if let displaced = statements.updateValue(statement, forKey: sql) { sqlite3_finalize(displaced) }
    }

    /// Runs `body` in a write transaction taken at once (BEGIN IMMEDIATE), so two writers
    /// queue instead of deadlocking; rolled back if `body` throws.
    package func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try inTransaction(begin: "BEGIN IMMEDIATE", body)
    }

    /// Runs `body` in a read transaction (BEGIN DEFERRED): every query sees one snapshot.
    package func readTransaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try inTransaction(begin: "BEGIN", body)
    }

    private func inTransaction<T>(begin: String, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try execute(begin)
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// `body` in a transaction when it writes more than one statement (`needed`); one
    /// statement is a transaction by itself.
    package func inTransaction(if needed: Bool, _ body: () throws(StoreError) -> Void) throws(StoreError) {
        if needed { try transaction(body) } else { try body() }
    }

    /// A text column; `reusing` is returned when it holds the same text (no new string).
    package static func text(_ row: OpaquePointer, _ column: Int32, reusing previous: String? = nil) -> String {
        guard let bytes = sqlite3_column_text(row, column) else { return "" }
        let count = Int(sqlite3_column_bytes(row, column))
        let buffer = UnsafeBufferPointer(start: bytes, count: count)
        if var previous, previous.utf8.count == count {
            // Native strings are contiguous UTF-8: one memcmp.
            let same = previous.withUTF8 { stored in
                guard let start = stored.baseAddress else { return count == 0 }
                return memcmp(start, bytes, count) == 0
            }
            if same { return previous }
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    private func error(_ step: String) -> StoreError {
        let code = sqlite3_errcode(handle) & 0xFF
        switch code {
        case SQLITE_BUSY, SQLITE_LOCKED:
            let waited = Double(busyTimeoutMilliseconds) / 1000
            return StoreError("state store \(path) is busy: another process kept it locked for more than \(waited.formatted()) s; try again, or stop the other sluice writing it",
                              kind: .busy)
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            let error = StoreError("state store \(path) is damaged (\(String(cString: sqlite3_errmsg(handle)))); run `sluice state check`, and restore it from a backup",
                                   kind: .damaged)
            damage = error
            return error
        case SQLITE_READONLY:
            return StoreError("state store \(path) cannot be written (\(String(cString: sqlite3_errmsg(handle)))); check the permissions of the file and its folder",
                              kind: .readOnly)
        case SQLITE_IOERR, SQLITE_FULL:
            writesFailed = true
            return StoreError("state store \(path): \(step): \(String(cString: sqlite3_errmsg(handle)))")
        default:
            return StoreError("state store \(path): \(step): \(String(cString: sqlite3_errmsg(handle)))")
        }
    }
}
