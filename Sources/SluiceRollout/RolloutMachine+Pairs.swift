import Foundation
import SluiceCore
import SluiceModel

/// Inside a cluster: add-ons in dependency order, partition steps, retries, failures.
extension RolloutMachine {
    /// Moves the pairs of every applying (or rolling back) cluster.
    mutating func advancePairs(_ now: Date, _ out: inout RolloutOutput, startNew: Bool) {
        if let focus {
            if state.clusters.indices.contains(focus), state.clusters[focus].movesPairs {
                advanceCluster(focus, now, &out, startNew: startNew)
            }
            return
        }
        for c in state.clusters.indices where state.clusters[c].movesPairs {
            advanceCluster(c, now, &out, startNew: startNew)
        }
    }

    mutating func advanceCluster(_ c: Int, _ now: Date, _ out: inout RolloutOutput, startNew: Bool) {
        let name = state.clusters[c].name
        let recorded = Set(state.clusters[c].pairs.filter { $0.phase == .recorded }.map(\.addon) + state.clusters[c].settled)
        let anyFailed = state.clusters[c].pairs.contains { if case .failed = $0.phase { return true }; return false }
        let othersDone = state.clusters[c].pairs.allSatisfy { $0.removed || $0.phase == .recorded }
        for p in state.clusters[c].pairs.indices {
            let pair = state.clusters[c].pairs[p]
            guard !pair.inFlight else { continue }
            switch pair.phase {
            case .waiting:
                // An add-on starts only when its dependencies are recorded (applied and
                // healthy); prunes go last. Nothing new starts after a failure.
                let ready = pair.removed ? othersDone : pair.dependsOn.allSatisfy(recorded.contains)
                guard startNew, !anyFailed, ready else { continue }
                startApply(c, p, now, &out)
            case .retrying(let at):
                guard at <= now, startNew || pair.attempt > 0, !anyFailed else { continue }
                startApply(c, p, now, &out)
            case .stepping(let step, _):
                guard (pair.nextPoll ?? now) <= now else { continue }
                state.clusters[c].pairs[p].inFlight = true
                out.actions.append(.readStatus(cluster: name, addon: pair.addon, attempt: pair.attempt, step: step))
            case .baking(let step, let until):
                guard until <= now else { continue }
                startStep(c, p, step + 1, now, &out)
            case .hooks(let run):
                guard (pair.nextPoll ?? now) <= now else { continue }
                state.clusters[c].pairs[p].inFlight = true
                state.clusters[c].pairs[p].nextPoll = nil
                out.actions.append(.hook(cluster: name, addon: pair.addon, attempt: pair.attempt, run.pending))
            case .applying, .recorded, .failed:
                continue
            }
        }
        let pairs = state.clusters[c].pairs
        if pairs.contains(where: { $0.inFlight }) { return }
        if let failed = pairs.first(where: { if case .failed = $0.phase { return true }; return false }) {
            // Wait for the cluster's other started pairs to settle before calling it failed.
            let started = pairs.contains { pair in
                switch pair.phase {
                case .stepping, .baking, .applying, .hooks: return true
                default: return false
                }
            }
            guard !started, case .failed(let why) = failed.phase else { return }
            if state.clusters[c].phase == .rollingBack {
                rollbackEnded(c, failure: ClusterFailure.addon(failed.addon, why).description, now, &out)
            } else {
                fail(c, .addon(failed.addon, why), now, &out)
            }
        } else if pairs.allSatisfy({ $0.phase == .recorded }) {
            if state.clusters[c].phase == .rollingBack {
                rollbackEnded(c, failure: nil, now, &out)
            } else {
                state.clusters[c].phase = .done
                note(&out, now, .clusterDone, cluster: name)
            }
        }
    }

    mutating func startApply(_ c: Int, _ p: Int, _ now: Date, _ out: inout RolloutOutput) {
        let name = state.clusters[c].name
        state.clusters[c].pairs[p].attempt += 1
        state.clusters[c].touched = true
        let pair = state.clusters[c].pairs[p]
        if !pair.removed {
            out.pending.append(PendingApply(environment: state.environment, cluster: name, addon: pair.addon, commit: commit(of: c)))
        }
        let (run, move) = HookRun.start(.pre, count: pair.removed ? 0 : pair.preHooks, timeout: pair.healthTimeoutSeconds, now: now)
        if let run { state.clusters[c].pairs[p].phase = .hooks(run) }
        followHooks(c, p, move, moment: .pre, now, &out)
    }

    /// Where a pair's hooks lead: the next hook action, the apply (after `pre`), the record
    /// (after `post`), or the pair's error (retried when transient, as any).
    mutating func followHooks(_ c: Int, _ p: Int, _ move: HookRun.Move, moment: HookMoment, _ now: Date, _ out: inout RolloutOutput) {
        let name = state.clusters[c].name, pair = state.clusters[c].pairs[p]
        switch move {
        case .send(let action):
            state.clusters[c].pairs[p].inFlight = true
            out.actions.append(.hook(cluster: name, addon: pair.addon, attempt: pair.attempt, action))
        case .poll:
            state.clusters[c].pairs[p].nextPoll = now.addingTimeInterval(pollSeconds)
        case .done where moment == .pre:
            state.clusters[c].pairs[p].phase = .applying
            state.clusters[c].pairs[p].inFlight = true
            out.actions.append(.apply(cluster: name, addon: pair.addon, attempt: pair.attempt))
        case .done:
            state.clusters[c].pairs[p].phase = .recorded
            out.records.append(record(pair, cluster: c, now))
        case .failed(let failure):
            pairError(c, p, failure, now, &out)
        }
    }

    mutating func startStep(_ c: Int, _ p: Int, _ step: Int, _ now: Date, _ out: inout RolloutOutput) {
        beginStep(c, p, step, now)
        let pair = state.clusters[c].pairs[p]
        state.clusters[c].pairs[p].inFlight = true
        out.actions.append(.setPartition(cluster: state.clusters[c].name, addon: pair.addon, attempt: pair.attempt, step: step))
    }

    /// A step's health clocks start: the progress deadline, and the total one if any.
    mutating func beginStep(_ c: Int, _ p: Int, _ step: Int, _ now: Date) {
        let pair = state.clusters[c].pairs[p]
        let clocks = HealthDeadline.starting(at: now, progressSeconds: pair.healthTimeoutSeconds, stepSeconds: pair.healthDeadlineSeconds)
        state.clusters[c].pairs[p].phase = .stepping(step: step, deadline: clocks.progressDeadline)
        state.clusters[c].pairs[p].stepDeadline = clocks.stepDeadline
        state.clusters[c].pairs[p].mostReady = clocks.mostReady
    }

    mutating func pairError(_ c: Int, _ p: Int, _ failure: ActionFailure, _ now: Date, _ out: inout RolloutOutput) {
        let name = state.clusters[c].name, addon = state.clusters[c].pairs[p].addon, why = failure.detail
        if failure.isTransient && state.clusters[c].pairs[p].retries < maxRetries {
            state.clusters[c].pairs[p].retries += 1
            let retries = state.clusters[c].pairs[p].retries
            let delay = Backoff.delay(retry: retries, base: pollSeconds, key: "\(state.id)/\(name)/\(addon)")
            state.clusters[c].pairs[p].phase = .retrying(at: now.addingTimeInterval(delay))
            note(&out, now, .transientError(retry: retries, of: maxRetries, delaySeconds: Int(delay), reason: why), cluster: name, addon: addon)
        } else if failure.isTransient && state.clusters[c].phase != .rollingBack {
            // The cluster is gone, not broken: wait for it or skip it, never count it as failed.
            state.clusters[c].pairs[p].phase = .waiting
            state.clusters[c].pairs[p].retries = 0
            unreachable(c, reason: why, now, &out)
        } else {
            state.clusters[c].pairs[p].phase = .failed(.action(failure))
            note(&out, now, .pairFailed(reason: why), cluster: name, addon: addon)
        }
    }

    mutating func unreachable(_ c: Int, reason: String, _ now: Date, _ out: inout RolloutOutput) {
        let name = state.clusters[c].name
        if state.currentStage?.skipUnreachable == true || state.step == .catchingUp || state.skipped.contains(where: { $0.name == name }) {
            state.clusters[c].phase = .skipped
            if !state.skipped.contains(where: { $0.name == name }) {
                state.skipped.append(SkippedCluster(name: name, since: now, reason: reason))
                note(&out, now, .unreachableSkipped(reason: reason), cluster: name)
            }
        } else {
            var since = now
            if case .unreachable(let first, _, _) = state.clusters[c].phase { since = first } else {
                note(&out, now, .unreachableWaits(reason: reason), cluster: name)
            }
            state.clusters[c].phase = .unreachable(since: since, reason: reason, retryAt: now.addingTimeInterval(unreachableRetrySeconds))
        }
    }

    mutating func fail(_ c: Int, _ why: ClusterFailure, _ now: Date, _ out: inout RolloutOutput) {
        if case .failed = state.clusters[c].phase { return }
        state.clusters[c].phase = .failed(why)
        state.stageFailures += 1
        let budget = state.currentStage?.maxFailures ?? 0
        note(&out, now, .clusterFailed(failures: state.stageFailures, allowed: budget, stage: stageName, reason: why.description), cluster: state.clusters[c].name)
        if state.stageFailures > budget, case .running(let step) = state.position {
            state.position = .halting(step, reason: .failureBudget(stage: stageName, failed: state.stageFailures, allowed: budget,
                                                                   first: state.clusters[c].name, why: why))
        }
    }
}

/// Exponential backoff with jitter for transient errors. The jitter is a hash of the pair
/// and the retry, not a random number: the machine stays deterministic, and pairs of
/// different clusters still spread out.
enum Backoff {
    static func delay(retry: Int, base: Double, key: String, cap: Double = 300) -> Double {
        let exponential = min(cap, base * pow(2, Double(max(0, retry - 1))))
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(key)#\(retry)".utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let jitter = Double(hash % 1000) / 1000 * 0.5  // up to +50%
        return exponential * (1 + jitter)
    }
}

public enum RolloutChecks {
    /// The implicit pre-check of every batch: operator freezes, policy freezes and release windows.
    public static let policyGate = "policy"
    /// The gate of a fast rollback: operator and policy freezes only.
    public static let freezeGate = "sluice.freeze-gate"
}
