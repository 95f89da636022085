import Foundation
import SluiceCore
import SluiceYAML
import SluiceStore

/// The rollout state's codec: how a `RolloutState` becomes the store's rows and back. It
/// lives with the runner, which writes it, not with the machine, which knows no store.
extension RolloutState {
    /// The state as written: without the blueprint, which is written once (`record(withBlueprint:)`).
    public func encoded() throws(RolloutStateError) -> [UInt8] {
        var copy = persistable
        copy.blueprint = RolloutBlueprint(stages: [])
        copy.clusters = []
        return try Self.json(copy, what: "rollout state")
    }

    /// A state that cannot be encoded is an error: writing nothing would lose the rollout.
    private static func json(_ value: some Encodable, what: String) throws(RolloutStateError) -> [UInt8] {
        do { return try ValueEncoder.json(value) } catch { throw .unencodable("\(what): \(error)") }
    }

    public static func decode(_ record: RolloutRecord) throws(RolloutStateError) -> RolloutState {
        guard record.format <= format else {
            throw .newerFormat(record.format, known: format)
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        do {
            var state = try decoder.decode(RolloutState.self, from: Data(record.state))
            state.clusters = try record.clusters.map { try decoder.decode(ClusterProgress.self, from: Data($0)) }
            if !record.blueprint.isEmpty { state.blueprint = try decoder.decode(RolloutBlueprint.self, from: Data(record.blueprint)) }
            return state
        } catch {
            throw .unreadable("\(error)")
        }
    }

    /// The record to write; the blueprint goes with the first write of a rollout. The
    /// clusters go as rows (`transition(after:)`); a record made here carries them all.
    public func record(withBlueprint: Bool = true) throws(RolloutStateError) -> RolloutRecord {
        var record = try header(withBlueprint: withBlueprint)
        record.clusters = persistable.clusters.map { $0.json() }
        return record
    }

    /// The record without its cluster rows.
    private func header(withBlueprint: Bool) throws(RolloutStateError) -> RolloutRecord {
        RolloutRecord(id: id, environment: environment, commit: commit, phase: phase, format: Self.format, state: try encoded(),
                      blueprint: withBlueprint ? try Self.json(blueprint, what: "rollout blueprint") : [],
                      startedAt: startedAt, updatedAt: updatedAt)
    }

    /// What to write after `previous` (the durable state written last, nil when none of this
    /// rollout was): the record, and only the cluster rows that changed.
    public func transition(after previous: RolloutState?) throws(RolloutStateError) -> StoreTransition {
        let current = persistable
        var transition = StoreTransition(rollout: try header(withBlueprint: previous?.id != id))
        let same = previous?.id == id && previous?.clusters.map(\.name) == current.clusters.map(\.name)
        transition.replacesClusters = !same
        for (position, cluster) in current.clusters.enumerated() where !same || previous?.clusters[position] != cluster.durable {
            transition.clusterRows.append(ClusterRow(position: position, cluster: cluster.name, state: cluster.json()))
        }
        return transition
    }
}


public enum RolloutStateError: Error, Equatable, CustomStringConvertible, Sendable {
    case newerFormat(Int, known: Int)
    case unreadable(String)
    case unencodable(String)

    public var description: String {
        switch self {
        case .newerFormat(let found, let known):
            return "the stored rollout state has format \(found), newer than this sluice knows (\(known)); upgrade sluice"
        case .unreadable(let why): return "the stored rollout state cannot be read: \(why)"
        case .unencodable(let why): return "the rollout state cannot be encoded, so it is not written: \(why)"
        }
    }
}
