import Foundation
import SluiceCore
import SluiceRollout
import SluiceModel
import SluiceStore

/// What an operator asks of an environment, however it arrives (the CLI now, the HTTP API
/// next): checked against the rollout under way, then queued for the controller (pause,
/// resume, approve; it acts at its next step), or done at once with a history event naming
/// who and why (freeze, unfreeze). Callers parse and print; the decisions are here.
public struct OperatorRequests: Sendable {
    public let store: any StateStore

    public init(store: any StateStore) {
        self.store = store
    }

    /// Why a request was not queued, typed so that each caller can answer in its own way.
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case noRolloutUnderWay(environment: String)
        /// The commit named is not the one under way (`waits`: that one waits for an approval).
        case otherCommitUnderWay(environment: String, underWay: String, waits: Bool, asked: String)
        /// No stage waits now, and no commit was named to approve one ahead.
        case nothingWaits(environment: String, underWay: String)
        /// The pipeline has no such stage (a usage error, not a state).
        case unknownStage(environment: String, stage: String)
        case store(StoreError)
        /// The rollout under way is stored in a form this sluice cannot read.
        case unreadableRollout(RolloutStateError)

        public var description: String {
            switch self {
            case .noRolloutUnderWay(let environment): return "no rollout of \(environment) is under way: nothing to approve"
            case .otherCommitUnderWay(let environment, let underWay, let waits, let asked):
                return "the rollout of \(underWay.prefix(12)) \(waits ? "waits for an approval" : "is under way") in \(environment), not one of \(asked): not approved"
            case .nothingWaits(let environment, let underWay):
                return "no stage of \(environment) waits for an approval now; to approve a stage ahead, name the rollout's commit (--commit \(underWay.prefix(12)))"
            case .unknownStage(let environment, let stage): return "the pipeline of \(environment) has no stage \(stage)"
            case .store(let error): return error.description
            case .unreadableRollout(let error): return error.description
            }
        }
    }

    /// Queues pause or resume.
    public func queue(_ verb: OperatorCommand.Verb, environment: String, user: String, reason: String, at now: Date) async throws(Refusal) {
        do { try await store.enqueue(OperatorCommand(environment: environment, verb: verb, user: user, reason: reason, at: now)) } catch {
            throw .store(error)
        }
    }

    /// What an approval was queued for: always a commit (never one nobody reviewed), and the
    /// stage (nil: the next one that asks).
    public struct Approval: Sendable, Equatable {
        public var commit: String
        public var stage: String?

        public init(commit: String, stage: String?) {
            self.commit = commit
            self.stage = stage
        }
    }

    /// Approves the stage the rollout waits at, or with `commit` (a prefix of the id) a stage
    /// ahead (`stage`, or the next that asks).
    public func approve(environment: String, commit: String?, stage: String?, user: String, reason: String,
                        at now: Date) async throws(Refusal) -> Approval {
        let approval = try await checkApproval(environment: environment, commit: commit, stage: stage)
        do {
            try await store.enqueue(OperatorCommand(environment: environment, verb: .approve, user: user, reason: reason, at: now,
                                                    commit: approval.commit, stage: approval.stage))
        } catch {
            throw .store(error)
        }
        return approval
    }

    /// The checks of `approve`, without queueing.
    public func checkApproval(environment: String, commit: String?, stage: String?) async throws(Refusal) -> Approval {
        let record: RolloutRecord?
        do { record = try await store.rollout(environment: environment) } catch { throw .store(error) }
        let rollout: RolloutState?
        do { rollout = try record.map { record throws(RolloutStateError) in try RolloutState.decode(record) } } catch {
            throw .unreadableRollout(error)
        }
        guard let rollout, !rollout.phase.isFinal else { throw .noRolloutUnderWay(environment: environment) }
        if let commit, !rollout.commit.hasPrefix(commit.lowercased()) {
            throw .otherCommitUnderWay(environment: environment, underWay: rollout.commit, waits: rollout.phase == .awaitingApproval, asked: commit)
        }
        let waiting = rollout.phase == .awaitingApproval ? rollout.currentStage?.name : nil
        if commit == nil, waiting == nil { throw .nothingWaits(environment: environment, underWay: rollout.commit) }
        if let stage, !rollout.blueprint.stages.contains(where: { $0.name == stage }) {
            throw .unknownStage(environment: environment, stage: stage)
        }
        return Approval(commit: rollout.commit, stage: stage ?? waiting)
    }

    /// "Fetch now": recorded with who asked; the caller wakes the environment's runner,
    /// which reads its branch at once (what changed is decided by that read, never here).
    public func requestFetch(environment: String, user: String, reason: String, at now: Date) async throws(Refusal) {
        let why = reason.isEmpty ? "" : ": \(reason)"
        let event = HistoryEvent(at: now, kind: .operatorAction, environment: environment, detail: "fetch requested by \(user)\(why)",
                                 outcome: .operatorCommand)
        do { try await store.append(event) } catch { throw .store(error) }
    }

    /// Freezes (or unfreezes) at once: no batch starts until unfrozen; running ones finish.
    public func setFreeze(_ frozen: Bool, environment: String, user: String, reason: String, at now: Date) async throws(Refusal) {
        let why = reason.isEmpty ? "" : ": \(reason)"
        let event = HistoryEvent(at: now, kind: .operatorAction, environment: environment,
                                 detail: "\(frozen ? "frozen" : "unfrozen") by \(user)\(why)", outcome: .operatorCommand)
        let record = frozen ? FreezeRecord(environment: environment, user: user, reason: reason, at: now) : nil
        do { try await store.setFreeze(environment: environment, to: record, event: event) } catch { throw .store(error) }
    }
}

/// The audit trail as people read it: oldest first, filtered.
public enum HistoryQuery {
    /// `since` as an RFC 3339 time, or a duration ago (`1h`, `30m`); nil when it is neither.
    public static func time(_ text: String, now: Date) -> Date? {
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        return GoDuration.parse(text).map { now.addingTimeInterval(-GoDuration.seconds($0)) }
    }

    /// The newest `filter.limit` events that match, oldest first.
    public static func events(_ store: any History, _ filter: HistoryFilter) async throws(StoreError) -> [HistoryEvent] {
        try await store.history(filter).reversed()
    }
}
