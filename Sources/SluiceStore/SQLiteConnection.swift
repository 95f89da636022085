import Foundation
import CSQLite

/// One SQLite connection: statements, bindings and rows, with SQLite's message in every
/// error. Not thread-safe by itself (opened with SQLITE_OPEN_NOMUTEX): it is only reached
/// through SQLiteStateStore's Mutex, which is what makes the unchecked Sendable true.
final class SQLiteConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    let path: String

    init(path: String) throws(StoreError) {
        self.path = path
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            handle = nil
            throw StoreError("cannot open state store \(path): \(message)")
        }
        // Another process writing: wait for it rather than fail at once.
        sqlite3_busy_timeout(handle, 5_000)
    }

    deinit { sqlite3_close(handle) }

    /// A value to bind or a column read back.
    enum Cell: Equatable {
        case null, integer(Int64), real(Double), text(String)

        var text: String? { if case .text(let s) = self { return s }; return nil }
        var integer: Int64? { if case .integer(let i) = self { return i }; return nil }
        var real: Double? {
            switch self {
            case .real(let d): return d
            case .integer(let i): return Double(i)
            default: return nil
            }
        }
    }

    /// Runs SQL that returns no rows (several statements allowed, no parameters).
    func execute(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(message)
            throw StoreError("state store \(path): \(text)")
        }
    }

    /// Runs one statement with parameters and returns its rows.
    @discardableResult
    func query(_ sql: String, _ parameters: [Cell] = []) throws(StoreError) -> [[Cell]] {
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
    func forEachRow(_ sql: String, _ parameters: [Cell] = [], _ body: (OpaquePointer) throws(StoreError) -> Void) throws(StoreError) {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else { throw error("prepare") }
        defer { sqlite3_finalize(statement) }
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

    /// Runs `body` in a write transaction taken at once (BEGIN IMMEDIATE), so two writers
    /// queue instead of deadlocking; rolled back if `body` throws.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// A text column; `reusing` is returned when it holds the same text (no new string).
    static func text(_ row: OpaquePointer, _ column: Int32, reusing previous: String? = nil) -> String {
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
        StoreError("state store \(path): \(step): \(String(cString: sqlite3_errmsg(handle)))")
    }
}
