import CPostgres
import Foundation

/// One libpq connection. Its calls block, so it belongs to one thread of its own (the store
/// runs it there, as SQLite's connections); it is not shared between threads. Parameters go
/// separately from the SQL text (`PQexecParams`), never spliced into it. The password is
/// libpq's business: `PGPASSWORD`, `~/.pgpass` or a `passfile` named in the URL, never a flag.
public final class PostgresConnection {
    private let connection: OpaquePointer

    /// Opens `url` (`postgres://` or `postgresql://`, or libpq's `key=value` form; `sslmode`
    /// and the rest as libpq reads them). A server that cannot be reached is `transient`.
    public init(url: String) throws(PostgresError) {
        guard let connection = PQconnectdb(url) else { throw PostgresError(.transient, "out of memory opening a connection") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.message(PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(.transient, message)
        }
        self.connection = connection
    }

    deinit { PQfinish(connection) }

    /// Runs one statement; its rows, each column as text or nil for NULL. An error the
    /// server sends is sorted by its SQLSTATE; a connection that broke is `transient` (the
    /// caller opens a new one).
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> [[String?]] {
        // PostgreSQL's text holds no NUL, and a C string would end at one: refused, never cut short.
        if parameters.contains(where: { $0?.utf8.contains(0) == true }) {
            throw PostgresError(.refused, "a value holds a NUL character, which PostgreSQL's text cannot store")
        }
        let result = Self.withCStrings(parameters) { values in
            PQexecParams(connection, sql, Int32(values.count), nil, values, nil, nil, 0)
        }
        return try rows(of: result)
    }

    /// Runs SQL without parameters, several statements allowed (migrations).
    public func execute(_ sql: String) throws(PostgresError) {
        try rows(of: PQexec(connection, sql))
    }

    @discardableResult
    private func rows(of result: OpaquePointer?) throws(PostgresError) -> [[String?]] {
        guard let result else { throw PostgresError(.transient, Self.message(PQerrorMessage(connection))) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return []
        case PGRES_TUPLES_OK:
            let rows = Int(PQntuples(result)), columns = Int(PQnfields(result))
            return (0..<rows).map { row in
                (0..<columns).map { column in
                    PQgetisnull(result, Int32(row), Int32(column)) == 1 ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
                }
            }
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = Self.message(PQresultErrorMessage(result))
            // No SQLSTATE: the connection itself failed (libpq's own error).
            guard let state else { throw PostgresError(.transient, message) }
            throw PostgresError(PostgresError.kind(ofSQLState: state), sqlState: state, message)
        }
    }

    /// Whether the connection is still usable (libpq's view after the last call).
    public var isOpen: Bool { PQstatus(connection) == CONNECTION_OK }

    private static func message(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown error" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// C strings of `values` (nil stays NULL), valid while `body` runs.
    private static func withCStrings<T>(_ values: [String?], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
        let copies: [UnsafeMutablePointer<CChar>?] = values.map { $0.map { strdup($0) } }
        defer { for copy in copies { free(copy) } }
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }
}
