import Foundation
import SluiceModel
import SluiceCore
import SluiceSQLite
import SluiceSimulation
import SluiceStore
import Synchronization

/// A state store that counts how it is used: object writes, whole-cluster reads and reads by
/// add-on, to tell a read from a write and a narrow read from a wide one.
public final class CountingStore: StateStore, SimulatedObjectStore {
    public let base: SQLiteStateStore
    private let objects: SQLiteSimulatedObjects
    private let counts = Mutex<[String: Int]>([:])

    /// While set, object writes fail as a full disk would (nothing is written).
    public let failsWrites = Mutex(false)
    /// The size of every object-write transaction, in order.
    public var writeBatches: [Int] { batches.withLock { $0 } }
    private let batches = Mutex<[Int]>([])

    /// Operations (`freeze`, `rollout`, `commit`, `commands`, `lastRollout`) that fail with
    /// the given error, as a failing disk or a damaged file would make them, the given number
    /// of times (then they work again).
    public let failing = Mutex<[String: (error: StoreError, times: Int)]>([:])

    /// Environments whose lease the test has taken away: `confirm` says it is lost, as a
    /// replica paused past its lease finds (writes still land: fencing them is the store's).
    public let revokedLeases = Mutex<Set<String>>([])

    public init(_ base: SQLiteStateStore) {
        self.base = base
        objects = SQLiteSimulatedObjects(base)
    }

    /// How often an operation was called.
    public func calls(_ name: String) -> Int { count("call \(name)") }

    private func enter(_ name: String) throws(StoreError) {
        bump("call \(name)")
        let error: StoreError? = failing.withLock { failing in
            guard let (error, times) = failing[name], times > 0 else { return nil }
            failing[name] = (error, times - 1)
            return error
        }
        if let error { throw error }
    }

    public var puts: Int { count("put") }
    public var clusterReads: Int { count("objects(cluster:)") }
    public func addonReads(_ addon: String) -> Int { count("objects(addon: \(addon))") }
    public var addonReadsTotal: Int { counts.withLock { $0.filter { $0.key.hasPrefix("objects(addon:") }.values.reduce(0, +) } }

    private func count(_ name: String) -> Int { counts.withLock { $0[name] ?? 0 } }
    private func bump(_ name: String) { counts.withLock { $0[name, default: 0] += 1 } }

    public func lastRollout(environment: String, phase: RolloutPhase) async throws(StoreError) -> RolloutRecord? {
        try enter("lastRollout")
        return try await base.lastRollout(environment: environment, phase: phase)
    }

    public func applied(environment: String, cluster: String, addon: String) async throws(StoreError) -> AppliedRecord? {
        try await base.applied(environment: environment, cluster: cluster, addon: addon)
    }
    public func applied(environment: String) async throws(StoreError) -> [AppliedRecord] { try await base.applied(environment: environment) }
    public func applied() async throws(StoreError) -> [AppliedRecord] {
        try enter("applied")
        return try await base.applied()
    }

    public func renderSecret() async throws(StoreError) -> [UInt8] {
        try enter("renderSecret")
        return try await base.renderSecret()
    }
    public func appliedChanges(since version: Int64) async throws(StoreError) -> AppliedChanges {
        try enter("applied")
        return try await base.appliedChanges(since: version)
    }
    public func recordApply(_ record: AppliedRecord) async throws(StoreError) { try await base.recordApply(record) }
    public func recordApply(_ records: [AppliedRecord]) async throws(StoreError) { try await base.recordApply(records) }
    public func removeApplied(environment: String, cluster: String, addon: String, commit: String, at time: Date) async throws(StoreError) {
        try await base.removeApplied(environment: environment, cluster: cluster, addon: addon, commit: commit, at: time)
    }
    public func append(_ event: HistoryEvent) async throws(StoreError) { try await base.append(event) }
    public func history(_ filter: HistoryFilter) async throws(StoreError) -> [HistoryEvent] { try await base.history(filter) }
    public func commit(_ transition: StoreTransition) async throws(StoreError) {
        try enter("commit")
        try await base.commit(transition)
    }
    public func rollout(environment: String) async throws(StoreError) -> RolloutRecord? {
        try enter("rollout")
        return try await base.rollout(environment: environment)
    }
    public func rollouts(environment: String, limit: Int) async throws(StoreError) -> [RolloutRecord] { try await base.rollouts(environment: environment, limit: limit) }
    public func pending(environment: String) async throws(StoreError) -> [PendingApply] { try await base.pending(environment: environment) }
    public func enqueue(_ command: OperatorCommand) async throws(StoreError) -> Int64 { try await base.enqueue(command) }
    public func commands(environment: String) async throws(StoreError) -> [OperatorCommand] {
        try enter("commands")
        return try await base.commands(environment: environment)
    }
    public func setFreeze(environment: String, to freeze: FreezeRecord?, event: HistoryEvent) async throws(StoreError) {
        try await base.setFreeze(environment: environment, to: freeze, event: event)
    }
    public func freeze(environment: String) async throws(StoreError) -> FreezeRecord? {
        try enter("freeze")
        return try await base.freeze(environment: environment)
    }
    public func drift(environment: String) async throws(StoreError) -> [DriftFinding] { try await base.drift(environment: environment) }
    public func calls(cluster: String?) async throws(StoreError) -> [SimulatedCall] { try await objects.calls(cluster: cluster) }
    public func objects(cluster: String) async throws(StoreError) -> [StoredObject] {
        bump("objects(cluster:)")
        return try await objects.objects(cluster: cluster)
    }
    public func objects(cluster: String, addon: String) async throws(StoreError) -> [StoredObject] {
        bump("objects(addon: \(addon))")
        return try await objects.objects(cluster: cluster, addon: addon)
    }
    public func object(cluster: String, id: ObjectKey) async throws(StoreError) -> StoredObject? { try await objects.object(cluster: cluster, id: id) }
    public func lockEnvironment(_ environment: String, holder: String) throws(StoreError) -> any WriterLease {
        RevocableLease(environment: environment, base: try base.lockEnvironment(environment, holder: holder), store: self)
    }
    public func write(_ changes: [ObjectChange]) async throws(StoreError) {
        if failsWrites.withLock({ $0 }) { throw StoreError("disk I/O error (injected)") }
        try enter("write")
        for change in changes { if case .put = change.operation { bump("put") } }
        batches.withLock { $0.append(changes.count) }
        try await objects.write(changes)
    }
}

/// A lease the test can take away (`CountingStore.revokedLeases`).
struct RevocableLease: WriterLease {
    let environment: String
    let base: any WriterLease
    let store: CountingStore

    var holder: String { base.holder }
    func confirm() async throws(StoreError) {
        if store.revokedLeases.withLock({ $0.contains(environment) }) {
            throw StoreError("lease of \(environment) taken away (test)", kind: .leaseLost(environment: environment))
        }
        try await base.confirm()
    }
    func release() async { await base.release() }
}
