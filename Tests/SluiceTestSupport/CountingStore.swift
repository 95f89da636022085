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

    public func lastRollout(environment: String, phase: RolloutPhase) throws(StoreError) -> RolloutRecord? {
        try enter("lastRollout")
        return try base.lastRollout(environment: environment, phase: phase)
    }

    public func applied(environment: String, cluster: String, addon: String) throws(StoreError) -> AppliedRecord? {
        try base.applied(environment: environment, cluster: cluster, addon: addon)
    }
    public func applied(environment: String) throws(StoreError) -> [AppliedRecord] { try base.applied(environment: environment) }
    public func applied() throws(StoreError) -> [AppliedRecord] { try base.applied() }
    public func recordApply(_ record: AppliedRecord) throws(StoreError) { try base.recordApply(record) }
    public func recordApply(_ records: [AppliedRecord]) throws(StoreError) { try base.recordApply(records) }
    public func removeApplied(environment: String, cluster: String, addon: String, commit: String, at time: Date) throws(StoreError) {
        try base.removeApplied(environment: environment, cluster: cluster, addon: addon, commit: commit, at: time)
    }
    public func append(_ event: HistoryEvent) throws(StoreError) { try base.append(event) }
    public func history(_ filter: HistoryFilter) throws(StoreError) -> [HistoryEvent] { try base.history(filter) }
    public func commit(_ transition: StoreTransition) throws(StoreError) {
        try enter("commit")
        try base.commit(transition)
    }
    public func rollout(environment: String) throws(StoreError) -> RolloutRecord? {
        try enter("rollout")
        return try base.rollout(environment: environment)
    }
    public func rollouts(environment: String, limit: Int) throws(StoreError) -> [RolloutRecord] { try base.rollouts(environment: environment, limit: limit) }
    public func pending(environment: String) throws(StoreError) -> [PendingApply] { try base.pending(environment: environment) }
    public func enqueue(_ command: OperatorCommand) throws(StoreError) -> Int64 { try base.enqueue(command) }
    public func commands(environment: String) throws(StoreError) -> [OperatorCommand] {
        try enter("commands")
        return try base.commands(environment: environment)
    }
    public func setFreeze(environment: String, to freeze: FreezeRecord?, event: HistoryEvent) throws(StoreError) {
        try base.setFreeze(environment: environment, to: freeze, event: event)
    }
    public func freeze(environment: String) throws(StoreError) -> FreezeRecord? {
        try enter("freeze")
        return try base.freeze(environment: environment)
    }
    public func replaceDrift(environment: String, with findings: [DriftFinding], events: [HistoryEvent]) throws(StoreError) {
        try base.replaceDrift(environment: environment, with: findings, events: events)
    }
    public func drift(environment: String) throws(StoreError) -> [DriftFinding] { try base.drift(environment: environment) }
    public func calls(cluster: String?) throws(StoreError) -> [SimulatedCall] { try objects.calls(cluster: cluster) }
    public func objects(cluster: String) throws(StoreError) -> [StoredObject] {
        bump("objects(cluster:)")
        return try objects.objects(cluster: cluster)
    }
    public func objects(cluster: String, addon: String) throws(StoreError) -> [StoredObject] {
        bump("objects(addon: \(addon))")
        return try objects.objects(cluster: cluster, addon: addon)
    }
    public func object(cluster: String, id: ObjectKey) throws(StoreError) -> StoredObject? { try objects.object(cluster: cluster, id: id) }
    public func lockEnvironment(_ environment: String, holder: String) throws(StoreError) -> any WriterLease {
        try base.lockEnvironment(environment, holder: holder)
    }
    public func write(_ changes: [ObjectChange]) throws(StoreError) {
        if failsWrites.withLock({ $0 }) { throw StoreError("disk I/O error (injected)") }
        try enter("write")
        for change in changes { if case .put = change.operation { bump("put") } }
        batches.withLock { $0.append(changes.count) }
        try objects.write(changes)
    }
}
