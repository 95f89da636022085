import SluiceDrivers
import SluiceCore
import SluiceModel
import SluiceYAML

/// Where simulated clusters keep their objects and their audit log, so that they survive
/// restarts like real clusters. The simulation's own: a state store does not keep fake
/// clusters (the SQLite one lends its file, `SQLiteSimulatedObjects`).
public protocol SimulatedObjectStore: Sendable {
    /// The audit log (written by `write` with each change's call), oldest first.
    func calls(cluster: String?) async throws(StoreError) -> [SimulatedCall]
    func objects(cluster: String) async throws(StoreError) -> [StoredObject]
    /// The objects labelled `sluice.dev/addon: <addon>` (whoever manages them).
    func objects(cluster: String, addon: String) async throws(StoreError) -> [StoredObject]
    func object(cluster: String, id: ObjectKey) async throws(StoreError) -> StoredObject?
    /// Writes objects, in order and in one transaction, each with the audit-log entry of the
    /// call that made it (a call is on record exactly when its effect is).
    func write(_ changes: [ObjectChange]) async throws(StoreError)
}

extension SimulatedObjectStore {
    public func put(_ object: StoredObject, logging call: SimulatedCall? = nil) async throws(StoreError) {
        try await write([ObjectChange(.put(object), logging: call)])
    }
    public func deleteObject(cluster: String, id: ObjectKey, logging call: SimulatedCall? = nil) async throws(StoreError) {
        try await write([ObjectChange(.delete(cluster: cluster, id: id), logging: call)])
    }
}

/// A mutating call a simulated cluster received (its audit log, as an API server keeps one):
/// `historyMark` is the newest event of the state store's history at the time, where the
/// objects share the store's SQLite file (0 elsewhere): what tells a crash test whether a pair
/// was applied again after its record.
public struct SimulatedCall: Sendable, Equatable {
    public enum Verb: String, Sendable { case create, patch, delete, partition }
    public var cluster: String
    public var verb: Verb
    public var key: ObjectKey
    public var addon: String
    /// The object's `sluice.dev/commit` annotation after the call.
    public var commit: String
    public var historyMark: Int64

    public init(cluster: String, verb: Verb, key: ObjectKey, addon: String, commit: String, historyMark: Int64 = 0) {
        self.cluster = cluster
        self.verb = verb
        self.key = key
        self.addon = addon
        self.commit = commit
        self.historyMark = historyMark
    }
}

/// A live object of a simulated cluster.
public struct StoredObject: Sendable, Equatable {
    public var cluster: String
    public var id: ObjectKey
    public var body: Value

    public init(cluster: String, id: ObjectKey, body: Value) {
        self.cluster = cluster
        self.id = id
        self.body = body
    }
}

/// One write to a simulated cluster's objects, with the call that made it, if any.
public struct ObjectChange: Sendable, Equatable {
    public enum Operation: Sendable, Equatable {
        case put(StoredObject)
        case delete(cluster: String, id: ObjectKey)
    }
    public var operation: Operation
    public var call: SimulatedCall?

    public init(_ operation: Operation, logging call: SimulatedCall? = nil) {
        self.operation = operation
        self.call = call
    }
}
