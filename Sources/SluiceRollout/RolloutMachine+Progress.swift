import Foundation
import SluiceCore

/// How the rollout moves: batches, checks, bakes, halts and rollbacks (the events in
/// `RolloutMachine.swift` call `progress` after they changed the state).
extension RolloutMachine {
    // MARK: - Progress

    /// Makes every move that is due at `now` and sets when to be woken next.
    mutating func progress(_ now: Date, _ out: inout RolloutOutput) {
        state.updatedAt = now
        defer { computeWake(now) }
        let step: RolloutState.Step
        switch state.position {
        case .running(let current), .halting(let current, _): step = current
        case .superseding(_, let newer, let halt):
            advancePairs(now, &out, startNew: false)
            if !hasActiveWork {
                state.position = .superseded(by: newer, halt: halt)
                note(&out, now, .superseded(by: newer))
            }
            return
        case .awaitingApproval, .paused, .halted, .done, .superseded, .rejected: return
        }
        switch step {
        case .planning:
            // Stages no cluster falls in are passed over.
            while let stage = state.currentStage, stage.batches.isEmpty, state.clusters.isEmpty { state.stage += 1 }
            if state.currentStage == nil && state.clusters.isEmpty {
                if state.skipped.isEmpty { complete(now, &out) } else { catchUp(now, &out) }
                return
            }
            if state.planning.isEmpty && state.clusters.isEmpty { beginBatch(now, &out) }
            if state.phase == .running && state.planning.isEmpty && !state.clusters.isEmpty { afterPlanning(now, &out) }
        case .preChecks:
            if applyPause(now, &out) { return }
            runChecks(.pre, now, &out)
            if state.checks.allSatisfy({ $0.status == .passed || $0.status == .failed }) { enterApplying(now, &out) }
        case .applying, .catchingUp:
            advanceApplying(now, &out)
        case .postChecks:
            runChecks(.post, now, &out)
            if state.checks.allSatisfy({ $0.status == .passed || $0.status == .failed }) { afterPostChecks(now, &out) }
        case .baking(let until):
            if now >= until { finishBatch(now, &out) }
        case .rollingBack:
            requestRollbacks(now, &out)
            for c in state.clusters.indices where state.clusters[c].phase == .rollingBack { advanceCluster(c, now, &out, startNew: true) }
            if !state.clusters.contains(where: { $0.rollbackRequested || $0.phase == .rollingBack }) { halt(now, &out) }
        }
    }

    var stageName: String { state.currentStage?.name ?? "-" }

    mutating func beginBatch(_ now: Date, _ out: inout RolloutOutput) {
        guard let stage = state.currentStage, state.batch < stage.batches.count else { return }
        if applyPause(now, &out) { return }
        var names = stage.batches[state.batch]
        // Skipped clusters come back in the next batch when they can be reached.
        names = state.skipped.map(\.name).filter { !names.contains($0) } + names
        state.clusters = names.map { ClusterProgress(name: $0, phase: .queued) }
        state.checks = []
        state.replanBeforeApply = false
        state.planning = names
        note(&out, now, .batchStarted(stage: stage.name, batch: state.batch + 1, batches: stage.batches.count, clusters: stage.batches[state.batch]))
        out.actions.append(.plan(clusters: names))
    }

    mutating func afterPlanning(_ now: Date, _ out: inout RolloutOutput) {
        guard let stage = state.currentStage else { return }
        if state.clusters.allSatisfy({ $0.noop || $0.phase == .skipped }) {
            // Nothing to apply: recorded at once, no checks, approval or bake.
            note(&out, now, .batchNothingToApply(stage: stage.name, batch: state.batch + 1))
            finishBatch(now, &out)
            return
        }
        if stage.approval && state.batch == 0 && !state.approvedStages.contains(state.stage) {
            state.position = .awaitingApproval
            note(&out, now, .approvalWaits(stage: stage.name))
            return
        }
        move(to: .preChecks)
        progress(now, &out)
    }

    mutating func enterApplying(_ now: Date, _ out: inout RolloutOutput) {
        move(to: .applying)
        if state.replanBeforeApply {
            state.replanBeforeApply = false
            let names = state.clusters.filter { !$0.noop && $0.phase == .queued }.map(\.name)
            if !names.isEmpty {
                state.planning += names
                out.actions.append(.plan(clusters: names))
                return
            }
        }
        advanceApplying(now, &out)
    }

    mutating func advanceApplying(_ now: Date, _ out: inout RolloutOutput) {
        guard let stage = state.currentStage ?? (state.step == .catchingUp ? RolloutBlueprint.Stage(name: "catch-up", batches: []) : nil) else { return }
        // Unreachable clusters are planned again when their retry is due.
        for c in state.clusters.indices {
            guard case .unreachable(_, _, let retryAt) = state.clusters[c].phase, retryAt <= now,
                  !state.planning.contains(state.clusters[c].name) else { continue }
            state.planning.append(state.clusters[c].name)
            out.actions.append(.plan(clusters: [state.clusters[c].name]))
        }
        advancePairs(now, &out, startNew: !state.isHalting)
        // Start queued clusters while there is room under maxConcurrency.
        if !state.isHalting {
            let limit = stage.maxConcurrency ?? Int.max
            var active = 0
            for cluster in state.clusters where cluster.phase == .applying { active += 1 }
            for c in state.clusters.indices where active < limit && state.clusters[c].phase == .queued && !state.clusters[c].pairs.isEmpty
                && !state.planning.contains(state.clusters[c].name) {
                state.clusters[c].phase = .applying
                active += 1
                note(&out, now, .clusterApplying(addons: state.clusters[c].pairs.count), cluster: state.clusters[c].name)
                advanceCluster(c, now, &out, startNew: true)
            }
        }
        // Counted, not filtered: this runs for every answer, over batches of hundreds.
        var unfinished = 0
        for cluster in state.clusters where !cluster.isFinished { unfinished += 1 }
        if state.isHalting {
            if !hasActiveWork { afterFailureBudget(now, &out) }
            return
        }
        if unfinished == 0 && state.planning.isEmpty {
            if state.step == .catchingUp {
                if state.skipped.isEmpty { complete(now, &out) } else { catchUp(now, &out) }
                return
            }
            move(to: .postChecks)
            state.checks = []
            progress(now, &out)
        }
    }

    mutating func runChecks(_ phase: CheckID.Phase, _ now: Date, _ out: inout RolloutOutput) {
        guard let stage = state.currentStage else { return }
        if state.checks.isEmpty {
            let names = phase == .pre ? stage.preChecks : stage.postChecks
            let clusters = state.clusters.filter { cluster in
                !cluster.noop && (phase == .pre ? cluster.phase == .queued : cluster.phase == .done)
            }.map(\.name)
            var ids: [CheckID] = []
            // The policies' freezes and release windows gate every batch, named or not; a fast
            // rollback only a freeze (an operator's stop is kept, a closed window is not).
            if phase == .pre {
                ids.append(CheckID(name: stage.isFastTrack ? RolloutChecks.freezeGate : RolloutChecks.policyGate, phase: .pre, cluster: nil))
            }
            for name in names {
                if state.blueprint.batchChecks.contains(name) { ids.append(CheckID(name: name, phase: phase, cluster: nil)) } else {
                    ids += clusters.map { CheckID(name: name, phase: phase, cluster: $0) }
                }
            }
            state.checks = ids.map { CheckProgress(id: $0) }
        }
        for index in state.checks.indices {
            switch state.checks[index].status {
            case .pending:
                state.checks[index].status = .running
                out.actions.append(.runCheck(state.checks[index].id))
            case .waiting:
                if let at = state.checks[index].retryAt, at <= now {
                    state.checks[index].status = .running
                    out.actions.append(.runCheck(state.checks[index].id))
                }
            default: break
            }
        }
    }

    mutating func afterPostChecks(_ now: Date, _ out: inout RolloutOutput) {
        if state.isHalting {
            if !hasActiveWork { afterFailureBudget(now, &out) }
            return
        }
        if let bake = state.currentStage?.bakeSeconds, bake > 0 {
            move(to: .baking(until: now.addingTimeInterval(bake)))
        } else {
            finishBatch(now, &out)
        }
    }

    mutating func finishBatch(_ now: Date, _ out: inout RolloutOutput) {
        state.clustersDone += state.clusters.filter { $0.phase == .done }.count
        state.clusters = []
        state.checks = []
        state.batch += 1
        if let stage = state.currentStage, state.batch >= stage.batches.count {
            note(&out, now, .stageDone(stage: stage.name))
            state.stage += 1
            state.batch = 0
            state.stageFailures = 0
        }
        // Empty stages (no cluster matched) are passed over.
        while let stage = state.currentStage, stage.batches.isEmpty { state.stage += 1 }
        move(to: .planning)
        if state.currentStage == nil {
            if state.skipped.isEmpty { complete(now, &out) } else { catchUp(now, &out) }
            return
        }
        progress(now, &out)
    }

    /// Every stage is done but some clusters were skipped: they get the commit when back.
    mutating func catchUp(_ now: Date, _ out: inout RolloutOutput) {
        move(to: .catchingUp)
        let names = state.skipped.map(\.name)
        if state.clusters.isEmpty || state.clusters.allSatisfy(\.isFinished) {
            let retryAt = now.addingTimeInterval(unreachableRetrySeconds)
            state.clusters = names.map { ClusterProgress(name: $0, phase: .unreachable(since: now, reason: "skipped", retryAt: retryAt)) }
        }
        advanceApplying(now, &out)
    }

    mutating func complete(_ now: Date, _ out: inout RolloutOutput) {
        state.clustersDone += state.clusters.filter { $0.phase == .done }.count
        state.position = .done
        state.clusters = []
        note(&out, now, .rolloutDone(clusters: state.clustersDone))
    }

    /// Pairs or checks started and not finished (supersede and halt wait for these).
    var hasActiveWork: Bool {
        if !state.planning.isEmpty || state.checks.contains(where: { $0.status == .running }) { return true }
        return state.clusters.contains { cluster in
            cluster.rollbackRequested || cluster.pairs.contains { pair in
                if pair.inFlight { return true }
                switch pair.phase {
                case .applying, .stepping, .baking: return true
                case .retrying: return pair.attempt > 0 && cluster.movesPairs
                default: return false
                }
            }
        }
    }

    mutating func computeWake(_ now: Date) {
        var times: [Date] = []
        if case .baking(let until)? = state.step { times.append(until) }
        for cluster in state.clusters {
            if case .unreachable(_, _, let retryAt) = cluster.phase { times.append(retryAt) }
            // Only an applying cluster's pairs move (`advancePairs`); the others' are not
            // walked for every answer in a batch of hundreds.
            guard cluster.movesPairs else { continue }
            for pair in cluster.pairs where !pair.inFlight {
                switch pair.phase {
                case .stepping, .hooks: if let poll = pair.nextPoll { times.append(poll) }
                case .baking(_, let until): times.append(until)
                case .retrying(let at): times.append(at)
                default: break
                }
            }
        }
        times += state.checks.filter { $0.status == .waiting }.compactMap(\.retryAt)
        state.wakeAt = times.min().map { max($0, now) }
    }

    // MARK: - Helpers

    /// The current batch goes on to `step`; what the position says besides (halting, a newer
    /// head, a pause or a halt that will go on there) is kept.
    mutating func move(to step: RolloutState.Step) {
        switch state.position {
        case .running: state.position = .running(step)
        case .halting(_, let reason): state.position = .halting(step, reason: reason)
        case .superseding(_, let newer, let halt): state.position = .superseding(step, by: newer, halt: halt)
        case .paused(_, let reason): state.position = .paused(step, reason: reason)
        case .halted(_, let reason): state.position = .halted(step, reason: reason)
        case .awaitingApproval, .done, .superseded, .rejected: break
        }
    }

    /// The pair an answer is about, no longer in flight; nil for an answer about an earlier attempt.
    mutating func answered(_ cluster: String, _ addon: String, _ attempt: Int) -> (Int, Int)? {
        guard let (c, p) = current(cluster, addon, attempt) else { return nil }
        state.clusters[c].pairs[p].inFlight = false
        return (c, p)
    }

    func current(_ cluster: String, _ addon: String, _ attempt: Int) -> (Int, Int)? {
        guard let c = state.clusters.firstIndex(where: { $0.name == cluster }),
              let p = state.clusters[c].pairs.firstIndex(where: { $0.addon == addon }),
              state.clusters[c].pairs[p].attempt == attempt else { return nil }
        return (c, p)
    }

    func record(_ pair: PairProgress, cluster c: Int, _ now: Date) -> AppliedRecord {
        AppliedRecord(environment: state.environment, cluster: state.clusters[c].name, addon: pair.addon, commit: commit(of: c),
                      digest: pair.digest, appliedAt: now, revision: pair.revision)
    }

    func note(_ out: inout RolloutOutput, _ now: Date, _ note: RolloutNote, cluster: String? = nil, addon: String? = nil) {
        out.notes.append(RolloutNoted(at: now, commit: state.commit, cluster: cluster, addon: addon, note: note))
    }

    func short(_ commit: String) -> String { String(commit.prefix(12)) }
}
