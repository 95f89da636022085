/// What went wrong talking to PostgreSQL, sorted by what the caller can do: `transient`
/// (the connection broke, the server is starting or shutting down, a serialization failure
/// or deadlock) is worth trying again with backoff; `refused` (bad SQL, a constraint, a
/// permission) will fail the same way again.
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case transient
        case refused
    }
    public var kind: Kind
    /// The five-character SQLSTATE when the server sent one.
    public var sqlState: String?
    public var message: String
    /// The connection failed while COMMIT was on its way: the transaction may or may not have
    /// been committed, so it is not run again blindly (the caller reads back).
    public var mayHaveCommitted = false

    public init(_ kind: Kind, sqlState: String? = nil, _ message: String) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
    }

    /// Sorts a server error by its SQLSTATE (PostgreSQL's Appendix A): class 08 (connection),
    /// 40001 and 40P01 (serialization failure, deadlock), 53 (insufficient resources), 57P01-03
    /// (shutdown, cannot connect now) and 58 (system error) are transient.
    public static func kind(ofSQLState state: String) -> Kind {
        if state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("58") { return .transient }
        if ["40001", "40P01", "57P01", "57P02", "57P03"].contains(state) { return .transient }
        return .refused
    }

    public var description: String {
        "PostgreSQL: \(message)" + (sqlState.map { " (SQLSTATE \($0))" } ?? "")
    }
}
