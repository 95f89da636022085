import SluiceDrivers
import SluiceCore

/// Writes the simulated clusters' objects to the store with group commit: writes that
/// arrive while one transaction is being written go together in the next. A caller returns
/// only once its own write is committed, so a simulated cluster is as durable as before;
/// but a rollout through hundreds of clusters, whose applies write thousands of objects at
/// once, does not take the store's lock and write its pages once per object.
public actor SimulatedObjectWriter {
    private struct Waiting {
        var change: ObjectChange
        var continuation: CheckedContinuation<Result<Void, StoreError>, Never>
    }

    /// Writes one transaction (the store's `write`, off the actor).
    private let commit: @Sendable ([ObjectChange]) async -> Result<Void, StoreError>
    private var pending: [Waiting] = []
    private var flushing = false

    public init(store: any SimulatedObjectStore) {
        commit = { changes in await Self.commit(changes, to: store) }
    }

    /// With its own transaction step: a test holds a transaction open without blocking a thread.
    package init(commit: @escaping @Sendable ([ObjectChange]) async -> Result<Void, StoreError>) {
        self.commit = commit
    }

    /// Writes waiting for the next transaction.
    package var queued: Int { pending.count }

    /// Returns when `change` is committed, or with the error that kept its transaction from
    /// committing (nothing of that transaction is written).
    public func write(_ change: ObjectChange) async throws(StoreError) {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, StoreError>, Never>) in
            pending.append(Waiting(change: change, continuation: continuation))
            if !flushing {
                flushing = true
                Task { await flush() }
            }
        }
        try result.get()
    }

    private func flush() async {
        while !pending.isEmpty {
            let batch = pending
            pending = []
            // Off the actor, so that writes arriving meanwhile queue up for the next batch.
            let result = await commit(batch.map(\.change))
            for waiting in batch { waiting.continuation.resume(returning: result) }
        }
        flushing = false
    }

    private nonisolated static func commit(_ changes: [ObjectChange], to store: any SimulatedObjectStore) async -> Result<Void, StoreError> {
        do {
            try await store.write(changes)
            return .success(())
        } catch {
            return .failure(error)
        }
    }
}
