import Dispatch
import Foundation
import SluiceCore

/// One PostgreSQL connection on a thread of its own (a serial dispatch queue): libpq's calls
/// block, so they never run on Swift's cooperative threads. The connection is opened when
/// first needed and again after it broke. A job that failed before anything of it could have
/// been committed (no connection, a broken connection before COMMIT, a serialization failure
/// or deadlock) runs again after a short backoff, a few times; one that failed while its
/// COMMIT was on its way is not run again (it may have been committed): the caller gets
/// `.connectionLost` and reads back. Every failure reaches the caller as a `StoreError` whose
/// kind says whether to try again; none is ever an empty answer.
final class PostgresWorker: @unchecked Sendable {
    private let queue: DispatchQueue
    private let url: String
    /// How the store is named in errors (the URL without its query).
    let name: String
    /// Only touched on `queue`: that is what makes the unchecked Sendable true.
    private var connection: PostgresConnection?
    private let retryDelays: [Double]
    /// Run on every new connection (`SET` of session timeouts).
    private let session: String?

    init(url: String, name: String, label: String, session: String? = nil, retryDelays: [Double] = [0.05, 0.2, 0.8]) {
        self.url = url
        self.name = name
        self.session = session
        self.retryDelays = retryDelays
        queue = DispatchQueue(label: label)
    }

    /// Runs `body` with the connection on the worker's thread.
    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws(PostgresError) -> T) async throws(StoreError) -> T {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, StoreError>, Never>) in
            queue.async { continuation.resume(returning: self.runHere(body)) }
        }
        return try result.get()
    }

    private func runHere<T>(_ body: (PostgresConnection) throws(PostgresError) -> T) -> Result<T, StoreError> {
        var attempt = 0
        while true {
            do {
                let db: PostgresConnection
                if let open = connection, open.isOpen {
                    db = open
                } else {
                    connection = nil
                    db = try PostgresConnection(url: url)
                    if let session { try db.execute(session) }
                    connection = db
                }
                return .success(try body(db))
            } catch {
                if connection?.isOpen == false { connection = nil }
                let again = error.kind == .transient && !error.mayHaveCommitted && attempt < retryDelays.count
                guard again else { return .failure(storeError(error)) }
                Thread.sleep(forTimeInterval: retryDelays[attempt])
                attempt += 1
            }
        }
    }

    func storeError(_ error: PostgresError) -> StoreError {
        switch (error.kind, error.sqlState) {
        case (.transient, "40001"?), (.transient, "40P01"?):
            return StoreError("state store \(name): \(error.message) (tried \(retryDelays.count + 1) times)", kind: .serializationFailure)
        case (.transient, _):
            let outcome = error.mayHaveCommitted ? "; what was being written may or may not have been committed" : ""
            return StoreError("state store \(name) cannot be reached: \(error.message)\(outcome)", kind: .connectionLost)
        case (.refused, PostgresLeases.lostState?):
            return StoreError("state store \(name): the lease of environment \(error.message) is no longer this sluice's",
                              kind: .leaseLost(environment: error.message))
        case (.refused, _):
            return StoreError("state store \(name): \(error.description)")
        }
    }

    /// Returns once every job queued so far has run.
    func drain() { queue.sync {} }
}

extension PostgresConnection {
    /// Runs `body` in a transaction (READ COMMITTED, or REPEATABLE READ READ ONLY for a
    /// snapshot of several reads); rolled back if it throws. A failure of the COMMIT itself
    /// on a broken connection is marked `mayHaveCommitted`.
    func transaction<T>(snapshot: Bool = false, _ body: () throws(PostgresError) -> T) throws(PostgresError) -> T {
        try query(snapshot ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN")
        let result: T
        do {
            result = try body()
        } catch {
            if isOpen { try? query("ROLLBACK") }
            throw error
        }
        do {
            try query("COMMIT")
        } catch {
            var error = error
            if error.kind == .transient && error.sqlState == nil { error.mayHaveCommitted = true }
            throw error
        }
        return result
    }
}
