import Dispatch
import SluiceCore
import Synchronization

/// One SQLite connection on a thread of its own (a serial dispatch queue): SQLite's calls
/// block, so they never run on Swift's cooperative threads, where a slow disk or another
/// process's lock would stall every task of the controller. A caller awaits its job; the
/// connection is only ever touched on the worker's queue, which is what makes it Sendable.
final class SQLiteWorker: Sendable {
    private let queue: DispatchQueue
    private nonisolated(unsafe) let connection: SQLiteConnection
    /// Shared by the workers of one store: once any connection finds the file damaged,
    /// nothing more is read or written through any of them.
    private let damage: SQLiteDamage

    /// Marks the worker's own queue, so that `drain` called on it does not wait for itself.
    private static let queueKey = DispatchSpecificKey<Bool>()

    init(_ connection: SQLiteConnection, label: String, damage: SQLiteDamage) {
        self.connection = connection
        queue = DispatchQueue(label: label)
        queue.setSpecific(key: Self.queueKey, value: true)
        self.damage = damage
    }

    /// Returns once every job queued so far has run and been let go: a job holds the worker
    /// until dispatch releases it, so without this a store given up by its caller would close
    /// its connection a moment later, on the worker's thread (a second store opened on the
    /// file meanwhile would find it still open).
    func drain() {
        guard DispatchQueue.getSpecific(key: Self.queueKey) == nil else { return }
        queue.sync {}
    }

    /// Runs `body` with the connection on the worker's thread.
    func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws(StoreError) -> T) async throws(StoreError) -> T {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, StoreError>, Never>) in
            queue.async { continuation.resume(returning: self.runHere(body)) }
        }
        return try result.get()
    }

    private func runHere<T>(_ body: (SQLiteConnection) throws(StoreError) -> T) -> Result<T, StoreError> {
        if let damaged = damage.found ?? connection.damage {
            damage.found = damaged
            return .failure(damaged)
        }
        do {
            try connection.checkNotTruncated()
            return .success(try body(connection))
        } catch {
            if let damaged = connection.damage { damage.found = damaged }
            return .failure(error)
        }
    }
}

/// The damage one connection of a store found, seen by all of them.
final class SQLiteDamage: Sendable {
    private let state = Mutex<StoreError?>(nil)

    var found: StoreError? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = $0 ?? newValue } }
    }
}
