import Foundation
import SluiceStore

/// The rollout of one commit through one environment (DESIGN §3, §4) as a state machine:
/// one method per event, each taking the time and returning what to do and what to record.
/// No I/O and no clock: the runner performs the actions and feeds their answers back.
///
/// A batch: plan its clusters -> (a batch with nothing to apply is recorded at once) ->
/// approval (first batch of a stage that asks for one) -> pre-checks -> apply, at most
/// `maxConcurrency` clusters at a time, each add-on after its dependencies are recorded,
/// partition step by partition step -> post-checks -> bake -> next batch.
public struct RolloutMachine: Sendable, Equatable {
    public var state: RolloutState
    /// Between two status reads of a pair, and the retry of an unreachable cluster.
    public var pollSeconds: Double
    public var unreachableRetrySeconds: Double
    /// Transient errors of one pair are retried this often, with backoff, before the
    /// cluster counts as unreachable.
    public var maxRetries: Int

    public init(state: RolloutState, pollSeconds: Double = 5, unreachableRetrySeconds: Double = 30, maxRetries: Int = 4) {
        self.state = state
        self.pollSeconds = pollSeconds
        self.unreachableRetrySeconds = unreachableRetrySeconds
        self.maxRetries = maxRetries
    }

    // MARK: - Events

    /// The rollout begins (or a restarted controller picks it up): do what is due.
    public mutating func start(now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        if state.clusters.isEmpty && state.step == .planning && state.stage == 0 && state.batch == 0 {
            history(&out, now, "rollout of \(short(state.commit)) started: \(state.clustersTotal) clusters in \(state.blueprint.stages.count) stages")
        }
        // Answers lost in a crash are asked for again: nothing is in flight after a restart.
        state.planning = []
        for c in state.clusters.indices {
            state.clusters[c].rollbackRequested = false
            for p in state.clusters[c].pairs.indices where state.clusters[c].pairs[p].inFlight {
                let pair = state.clusters[c].pairs[p]
                state.clusters[c].pairs[p].inFlight = false
                state.clusters[c].pairs[p].nextPoll = now
                switch pair.phase {
                case .applying:
                    state.clusters[c].pairs[p].phase = .retrying(at: now)
                case .stepping(let step, _) where pair.steps > 1:
                    // The partition may not have been set: set it again (idempotent).
                    state.clusters[c].pairs[p].inFlight = true
                    out.actions.append(.setPartition(cluster: state.clusters[c].name, addon: pair.addon, attempt: pair.attempt, step: step))
                default: break
                }
            }
            if case .queued = state.clusters[c].phase, state.clusters[c].pairs.isEmpty, !state.clusters[c].noop {
                state.planning.append(state.clusters[c].name)
            }
            // An unreachable cluster is tried again at once after a restart.
            if case .unreachable(let since, let reason, _) = state.clusters[c].phase {
                state.clusters[c].phase = .unreachable(since: since, reason: reason, retryAt: now)
            }
        }
        for index in state.checks.indices where state.checks[index].status == .running { state.checks[index].status = .pending }
        if !state.planning.isEmpty { out.actions.append(.plan(clusters: state.planning)) }
        progress(now, &out)
        return out
    }

    public mutating func planned(_ outcomes: [String: ClusterPlanOutcome], now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        for (name, outcome) in outcomes.sorted(by: { $0.key < $1.key }) {
            guard let c = state.clusters.firstIndex(where: { $0.name == name }), state.planning.contains(name) else { continue }
            state.planning.removeAll { $0 == name }
            switch outcome {
            case .planned(let pairs):
                state.clusters[c].pairs = pairs.filter { !$0.settled }.map { plan in
                    PairProgress(addon: plan.addon, dependsOn: plan.dependsOn, digest: plan.digest, settled: false,
                                 removed: plan.removed, steps: plan.steps, stepBakeSeconds: plan.stepBakeSeconds,
                                 healthTimeoutSeconds: plan.healthTimeoutSeconds)
                }
                let settled = pairs.filter(\.settled)
                state.clusters[c].settled = settled.map(\.addon)
                if state.skipped.contains(where: { $0.name == name }) {
                    state.skipped.removeAll { $0.name == name }
                    history(&out, now, "cluster is reachable again: it gets \(short(state.commit)) in this batch", cluster: name)
                }
                out.records += settled.map { plan in
                    AppliedRecord(environment: state.environment, cluster: name, addon: plan.addon, commit: state.commit,
                                  digest: plan.digest, appliedAt: now)
                }
                if state.clusters[c].pairs.isEmpty {
                    state.clusters[c].noop = true
                    state.clusters[c].phase = .done
                } else {
                    state.clusters[c].phase = .queued
                }
            case .unreachable(let reason):
                unreachable(c, reason: reason, now, &out)
            case .failed(let reason):
                fail(c, reason, now, &out)
            }
        }
        progress(now, &out)
        return out
    }

    public mutating func applied(cluster: String, addon: String, attempt: Int, _ result: StepResult, now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        guard let (c, p) = current(cluster, addon, attempt) else { return out }
        state.clusters[c].pairs[p].inFlight = false
        switch result {
        case .ok:
            let pair = state.clusters[c].pairs[p]
            if pair.steps > 1 {
                state.clusters[c].pairs[p].inFlight = true
                state.clusters[c].pairs[p].phase = .stepping(step: 0, deadline: now.addingTimeInterval(pair.healthTimeoutSeconds))
                out.actions.append(.setPartition(cluster: cluster, addon: addon, attempt: attempt, step: 0))
            } else {
                state.clusters[c].pairs[p].phase = .stepping(step: 0, deadline: now.addingTimeInterval(pair.healthTimeoutSeconds))
                state.clusters[c].pairs[p].nextPoll = now
            }
        case .failed(let why, let transient):
            pairError(c, p, why, transient: transient, now, &out)
        }
        progress(now, &out)
        return out
    }

    public mutating func partitionSet(cluster: String, addon: String, attempt: Int, step: Int, _ result: StepResult, now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        guard let (c, p) = current(cluster, addon, attempt) else { return out }
        state.clusters[c].pairs[p].inFlight = false
        switch result {
        case .ok:
            let pair = state.clusters[c].pairs[p]
            state.clusters[c].pairs[p].phase = .stepping(step: step, deadline: now.addingTimeInterval(pair.healthTimeoutSeconds))
            state.clusters[c].pairs[p].nextPoll = now
            if pair.steps > 1 {
                history(&out, now, "partition step \(step + 1) of \(pair.steps) set", cluster: cluster, addon: addon)
            }
        case .failed(let why, let transient):
            pairError(c, p, why, transient: transient, now, &out)
        }
        progress(now, &out)
        return out
    }

    public mutating func statusObserved(cluster: String, addon: String, attempt: Int, step: Int, _ observation: StatusObservation,
                                        now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        guard let (c, p) = current(cluster, addon, attempt),
              case .stepping(let observedStep, let deadline) = state.clusters[c].pairs[p].phase, observedStep == step else { return out }
        state.clusters[c].pairs[p].inFlight = false
        let pair = state.clusters[c].pairs[p]
        switch observation {
        case .progress(let complete, let detail):
            state.clusters[c].pairs[p].progress = detail
            if complete {
                if step + 1 < pair.steps {
                    if let bake = pair.stepBakeSeconds, bake > 0 {
                        state.clusters[c].pairs[p].phase = .baking(step: step, until: now.addingTimeInterval(bake))
                    } else {
                        startStep(c, p, step + 1, now, &out)
                    }
                } else if pair.removed {
                    state.clusters[c].pairs[p].phase = .recorded
                    out.removals.append(AppliedRemoval(environment: state.environment, cluster: cluster, addon: addon,
                                                       commit: state.commit, at: now))
                } else {
                    state.clusters[c].pairs[p].phase = .recorded
                    out.records.append(record(pair, cluster: cluster, now))
                }
            } else if now >= deadline {
                let why = "not healthy after \(Int(pair.healthTimeoutSeconds))s (health.timeout): \(detail)"
                state.clusters[c].pairs[p].phase = .failed(why)
                history(&out, now, "failed: \(why)", kind: .apply, cluster: cluster, addon: addon)
            } else {
                state.clusters[c].pairs[p].nextPoll = min(now.addingTimeInterval(pollSeconds), deadline)
            }
        case .failed(let why, let transient):
            pairError(c, p, why, transient: transient, now, &out)
        }
        progress(now, &out)
        return out
    }

    public mutating func checkFinished(_ id: CheckID, _ outcome: CheckOutcome, now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        guard let index = state.checks.firstIndex(where: { $0.id == id }), state.checks[index].status == .running else { return out }
        let label = "check \(id.name) (\(id.phase.rawValue))"
        switch outcome {
        case .passed(let detail):
            state.checks[index].status = .passed
            state.checks[index].detail = detail
            history(&out, now, "\(label) passed: \(detail)", kind: .check, cluster: id.cluster)
        case .failed(let detail):
            state.checks[index].status = .failed
            state.checks[index].detail = detail
            history(&out, now, "\(label) failed: \(detail)", kind: .check, cluster: id.cluster)
            if let cluster = id.cluster, let c = state.clusters.firstIndex(where: { $0.name == cluster }) {
                fail(c, "\(label) failed: \(detail)", now, &out)
            } else {
                for c in state.clusters.indices where !state.clusters[c].noop { fail(c, "\(label) failed: \(detail)", now, &out) }
            }
        case .wait(let until, let detail):
            if state.checks[index].detail != detail {
                history(&out, now, "\(label) waits: \(detail)", kind: .check, cluster: id.cluster)
            }
            state.checks[index].status = .waiting
            state.checks[index].detail = detail
            state.checks[index].held = false
            state.checks[index].retryAt = max(until ?? now.addingTimeInterval(pollSeconds), now.addingTimeInterval(1))
            state.replanBeforeApply = true
        case .hold(let detail):
            if state.checks[index].detail != detail {
                history(&out, now, "\(label) holds the batch: \(detail)", kind: .check, cluster: id.cluster)
            }
            state.checks[index].status = .waiting
            state.checks[index].detail = detail
            state.checks[index].held = true
            state.checks[index].retryAt = now.addingTimeInterval(pollSeconds)
            state.replanBeforeApply = true
        }
        progress(now, &out)
        return out
    }

    public mutating func rolledBack(cluster: String, _ result: StepResult, now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        guard let c = state.clusters.firstIndex(where: { $0.name == cluster }), state.clusters[c].rollbackRequested else { return out }
        state.clusters[c].rollbackRequested = false
        switch result {
        case .ok:
            state.clusters[c].phase = .rolledBack
            history(&out, now, "rolled back to \(short(state.baseCommit ?? "?"))", cluster: cluster)
        case .failed(let why, _):
            history(&out, now, "rollback to \(short(state.baseCommit ?? "?")) failed: \(why)", cluster: cluster)
            state.clusters[c].phase = .rolledBack
        }
        progress(now, &out)
        return out
    }

    public mutating func timerFired(now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        progress(now, &out)
        return out
    }

    /// `sluice pause|resume|approve`, acted on at batch boundaries.
    public mutating func command(_ command: OperatorCommand, now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        out.consumedCommands.append(command.id)
        let who = "by \(command.user)\(command.reason.isEmpty ? "" : ": \(command.reason)")"
        switch command.verb {
        case .pause:
            guard !state.phase.isFinal else { break }
            state.pauseRequested = command.reason.isEmpty ? "paused by \(command.user)" : "paused by \(command.user): \(command.reason)"
            history(&out, now, "pause asked \(who); takes effect at the next batch boundary", kind: .operatorAction)
        case .resume:
            if state.phase == .paused || state.pauseRequested != nil {
                state.phase = .running
                state.pauseRequested = nil
                state.pauseReason = nil
                history(&out, now, "resumed \(who)", kind: .operatorAction)
            } else if state.phase == .halted {
                resumeHalted(now, &out)
                history(&out, now, "resumed after a halt \(who): failed clusters of the batch are tried again", kind: .operatorAction)
            } else {
                history(&out, now, "resume \(who): nothing to resume", kind: .operatorAction)
            }
        case .approve:
            if state.phase == .awaitingApproval {
                state.approvedStages.append(state.stage)
                state.phase = .running
                state.step = .preChecks
                state.replanBeforeApply = true
                history(&out, now, "stage \(stageName) approved \(who)", kind: .operatorAction)
            } else if let next = state.blueprint.stages.indices.first(where: { index in
                index >= state.stage && state.blueprint.stages[index].approval && !state.approvedStages.contains(index)
                    && !(index == state.stage && state.batch > 0)
            }), !state.phase.isFinal {
                // Approved ahead: the stage will not wait (for this commit only).
                state.approvedStages.append(next)
                history(&out, now, "stage \(state.blueprint.stages[next].name) approved ahead \(who)", kind: .operatorAction)
            } else {
                history(&out, now, "approve \(who): no stage of this rollout waits for an approval", kind: .operatorAction)
            }
        }
        progress(now, &out)
        return out
    }

    /// A newer head commit: running applies finish, nothing new starts, then the rollout is
    /// superseded (the runner starts the newer one from the first stage).
    public mutating func newHead(_ commit: String, now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        guard commit != state.commit, state.supersededBy != commit, !state.phase.isFinal else { return out }
        state.supersededBy = commit
        history(&out, now, "superseded by \(short(commit)): running applies finish, then it starts from the first stage")
        if state.phase == .halted || state.phase == .paused || state.phase == .awaitingApproval { state.phase = .running }
        progress(now, &out)
        return out
    }

    // MARK: - Progress

    /// Makes every move that is due at `now` and sets when to be woken next.
    mutating func progress(_ now: Date, _ out: inout RolloutOutput) {
        state.updatedAt = now
        defer { computeWake(now) }
        guard state.phase == .running else { return }
        if let newer = state.supersededBy {
            advancePairs(now, &out, startNew: false)
            if !hasActiveWork {
                state.phase = .superseded
                state.waitingFor = nil
                history(&out, now, "superseded by \(short(newer))")
            }
            return
        }
        switch state.step {
        case .planning:
            // Stages no cluster falls in are passed over.
            while let stage = state.currentStage, stage.batches.isEmpty, state.clusters.isEmpty { state.stage += 1 }
            if state.currentStage == nil && state.clusters.isEmpty {
                if state.skipped.isEmpty { complete(now, &out) } else { catchUp(now, &out) }
                return
            }
            if state.planning.isEmpty && state.clusters.isEmpty { beginBatch(now, &out) }
            if state.phase == .running && state.planning.isEmpty && !state.clusters.isEmpty { afterPlanning(now, &out) }
        case .awaitingApproval:
            state.phase = .awaitingApproval
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
            state.waitingFor = "bake after batch \(state.batch + 1) of stage \(stageName)"
            if now >= until { finishBatch(now, &out) }
        case .rollingBack:
            requestRollbacks(now, &out)
            if !state.clusters.contains(where: \.rollbackRequested) { halt(now, &out) }
        case .finished:
            break
        }
    }

    private var stageName: String { state.currentStage?.name ?? "-" }

    private mutating func beginBatch(_ now: Date, _ out: inout RolloutOutput) {
        guard let stage = state.currentStage, state.batch < stage.batches.count else { return }
        if applyPause(now, &out) { return }
        var names = stage.batches[state.batch]
        // Skipped clusters come back in the next batch when they can be reached.
        names = state.skipped.map(\.name).filter { !names.contains($0) } + names
        state.clusters = names.map { ClusterProgress(name: $0, phase: .queued) }
        state.checks = []
        state.replanBeforeApply = false
        state.planning = names
        history(&out, now, "stage \(stage.name), batch \(state.batch + 1) of \(stage.batches.count): \(stage.batches[state.batch].joined(separator: ", "))")
        out.actions.append(.plan(clusters: names))
        state.waitingFor = "plan of batch \(state.batch + 1)"
    }

    private mutating func afterPlanning(_ now: Date, _ out: inout RolloutOutput) {
        guard let stage = state.currentStage else { return }
        if state.clusters.allSatisfy({ $0.noop || $0.phase == .skipped }) {
            // Nothing to apply: recorded at once, no checks, approval or bake.
            history(&out, now, "batch \(state.batch + 1) of stage \(stage.name) has nothing to apply: recorded")
            finishBatch(now, &out)
            return
        }
        if stage.approval && state.batch == 0 && !state.approvedStages.contains(state.stage) {
            state.step = .awaitingApproval
            state.phase = .awaitingApproval
            state.waitingFor = "approval of stage \(stage.name) (sluice approve \(state.environment))"
            history(&out, now, "stage \(stage.name) waits for an approval")
            return
        }
        state.step = .preChecks
        progress(now, &out)
    }

    private mutating func enterApplying(_ now: Date, _ out: inout RolloutOutput) {
        state.step = .applying
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

    private mutating func advanceApplying(_ now: Date, _ out: inout RolloutOutput) {
        guard let stage = state.currentStage ?? (state.step == .catchingUp ? RolloutBlueprint.Stage(name: "catch-up", batches: []) : nil) else { return }
        // Unreachable clusters are planned again when their retry is due.
        for c in state.clusters.indices {
            guard case .unreachable(_, _, let retryAt) = state.clusters[c].phase, retryAt <= now,
                  !state.planning.contains(state.clusters[c].name) else { continue }
            state.planning.append(state.clusters[c].name)
            out.actions.append(.plan(clusters: [state.clusters[c].name]))
        }
        advancePairs(now, &out, startNew: !state.halting)
        // Start queued clusters while there is room under maxConcurrency.
        if !state.halting {
            let limit = stage.maxConcurrency ?? Int.max
            var active = state.clusters.filter { $0.phase == .applying }.count
            for c in state.clusters.indices where active < limit && state.clusters[c].phase == .queued && !state.clusters[c].pairs.isEmpty
                && !state.planning.contains(state.clusters[c].name) {
                state.clusters[c].phase = .applying
                active += 1
                history(&out, now, "applying \(state.clusters[c].pairs.count) add-on\(state.clusters[c].pairs.count == 1 ? "" : "s")", cluster: state.clusters[c].name)
                advanceCluster(c, now, &out, startNew: true)
            }
        }
        let unfinished = state.clusters.filter { !$0.isFinished }
        let waiting = unfinished.filter { if case .unreachable = $0.phase { return true }; return false }
        if state.halting {
            if !hasActiveWork { afterFailureBudget(now, &out) }
            return
        }
        if unfinished.isEmpty && state.planning.isEmpty {
            if state.step == .catchingUp {
                if state.skipped.isEmpty { complete(now, &out) } else { catchUp(now, &out) }
                return
            }
            state.step = .postChecks
            state.checks = []
            progress(now, &out)
        } else if !waiting.isEmpty && waiting.count == unfinished.count {
            state.waitingFor = "unreachable: " + waiting.map { cluster -> String in
                guard case .unreachable(let since, let reason, _) = cluster.phase else { return cluster.name }
                return "\(cluster.name) since \(Self.timestamp(since)) (\(reason))"
            }.joined(separator: "; ")
        } else {
            let done = state.clusters.filter { $0.phase == .done }.count
            state.waitingFor = "batch \(state.batch + 1) of stage \(stageName): \(done) of \(state.clusters.count) clusters done"
        }
    }

    /// Moves the pairs of every applying cluster.
    private mutating func advancePairs(_ now: Date, _ out: inout RolloutOutput, startNew: Bool) {
        for c in state.clusters.indices where state.clusters[c].phase == .applying {
            advanceCluster(c, now, &out, startNew: startNew)
        }
    }

    private mutating func advanceCluster(_ c: Int, _ now: Date, _ out: inout RolloutOutput, startNew: Bool) {
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
                case .stepping, .baking, .applying: return true
                default: return false
                }
            }
            if !started, case .failed(let why) = failed.phase { fail(c, "add-on \(failed.addon): \(why)", now, &out) }
        } else if pairs.allSatisfy({ $0.phase == .recorded }) {
            state.clusters[c].phase = .done
            history(&out, now, "cluster done at \(short(state.commit))", cluster: name)
        }
    }

    private mutating func startApply(_ c: Int, _ p: Int, _ now: Date, _ out: inout RolloutOutput) {
        let name = state.clusters[c].name
        state.clusters[c].pairs[p].attempt += 1
        state.clusters[c].pairs[p].phase = .applying
        state.clusters[c].pairs[p].inFlight = true
        state.clusters[c].touched = true
        let pair = state.clusters[c].pairs[p]
        if !pair.removed {
            out.pending.append(PendingApply(environment: state.environment, cluster: name, addon: pair.addon, commit: state.commit))
        }
        out.actions.append(.apply(cluster: name, addon: pair.addon, attempt: pair.attempt))
    }

    private mutating func startStep(_ c: Int, _ p: Int, _ step: Int, _ now: Date, _ out: inout RolloutOutput) {
        let pair = state.clusters[c].pairs[p]
        state.clusters[c].pairs[p].phase = .stepping(step: step, deadline: now.addingTimeInterval(pair.healthTimeoutSeconds))
        state.clusters[c].pairs[p].inFlight = true
        out.actions.append(.setPartition(cluster: state.clusters[c].name, addon: pair.addon, attempt: pair.attempt, step: step))
    }

    private mutating func pairError(_ c: Int, _ p: Int, _ why: String, transient: Bool, _ now: Date, _ out: inout RolloutOutput) {
        let name = state.clusters[c].name, addon = state.clusters[c].pairs[p].addon
        if transient && state.clusters[c].pairs[p].retries < maxRetries {
            state.clusters[c].pairs[p].retries += 1
            let retries = state.clusters[c].pairs[p].retries
            let delay = Backoff.delay(retry: retries, base: pollSeconds, key: "\(state.id)/\(name)/\(addon)")
            state.clusters[c].pairs[p].phase = .retrying(at: now.addingTimeInterval(delay))
            history(&out, now, "transient error, retry \(retries) of \(maxRetries) in \(Int(delay))s: \(why)", kind: .apply, cluster: name, addon: addon)
        } else if transient {
            // The cluster is gone, not broken: wait for it or skip it, never count it as failed.
            state.clusters[c].pairs[p].phase = .waiting
            state.clusters[c].pairs[p].retries = 0
            unreachable(c, reason: why, now, &out)
        } else {
            state.clusters[c].pairs[p].phase = .failed(why)
            history(&out, now, "failed: \(why)", kind: .apply, cluster: name, addon: addon)
        }
    }

    private mutating func unreachable(_ c: Int, reason: String, _ now: Date, _ out: inout RolloutOutput) {
        let name = state.clusters[c].name
        if state.currentStage?.skipUnreachable == true || state.step == .catchingUp || state.skipped.contains(where: { $0.name == name }) {
            state.clusters[c].phase = .skipped
            if !state.skipped.contains(where: { $0.name == name }) {
                state.skipped.append(SkippedCluster(name: name, since: now, reason: reason))
                history(&out, now, "unreachable, skipped: it gets the commit when it is back (\(reason))", cluster: name)
            }
        } else {
            var since = now
            if case .unreachable(let first, _, _) = state.clusters[c].phase { since = first } else {
                history(&out, now, "unreachable, the batch waits for it: \(reason)", cluster: name)
            }
            state.clusters[c].phase = .unreachable(since: since, reason: reason, retryAt: now.addingTimeInterval(unreachableRetrySeconds))
        }
    }

    private mutating func fail(_ c: Int, _ why: String, _ now: Date, _ out: inout RolloutOutput) {
        if case .failed = state.clusters[c].phase { return }
        state.clusters[c].phase = .failed(why)
        state.stageFailures += 1
        let budget = state.currentStage?.maxFailures ?? 0
        history(&out, now, "cluster failed (\(state.stageFailures) of \(budget) allowed in stage \(stageName)): \(why)", cluster: state.clusters[c].name)
        if state.stageFailures > budget && !state.halting {
            state.halting = true
            state.haltReason = "stage \(stageName): \(state.stageFailures) failed cluster\(state.stageFailures == 1 ? "" : "s"), more than maxFailures \(budget); first: \(state.clusters[c].name): \(why)"
        }
    }

    private mutating func runChecks(_ phase: CheckID.Phase, _ now: Date, _ out: inout RolloutOutput) {
        guard let stage = state.currentStage else { return }
        if state.checks.isEmpty {
            let names = phase == .pre ? stage.preChecks : stage.postChecks
            let clusters = state.clusters.filter { cluster in
                !cluster.noop && (phase == .pre ? cluster.phase == .queued : cluster.phase == .done)
            }.map(\.name)
            var ids: [CheckID] = []
            // The policies' freezes and release windows gate every batch, named or not.
            if phase == .pre { ids.append(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil)) }
            for name in names {
                if state.blueprint.batchChecks.contains(name) { ids.append(CheckID(name: name, phase: phase, cluster: nil)) } else {
                    ids += clusters.map { CheckID(name: name, phase: phase, cluster: $0) }
                }
            }
            state.checks = ids.map { CheckProgress(id: $0) }
        }
        var waiting: [String] = []
        for index in state.checks.indices {
            switch state.checks[index].status {
            case .pending:
                state.checks[index].status = .running
                out.actions.append(.runCheck(state.checks[index].id))
            case .waiting:
                if let at = state.checks[index].retryAt, at <= now {
                    state.checks[index].status = .running
                    out.actions.append(.runCheck(state.checks[index].id))
                } else {
                    waiting.append("\(state.checks[index].id.name): \(state.checks[index].detail ?? "")")
                }
            default: break
            }
        }
        state.waitingFor = waiting.isEmpty ? "\(phase == .pre ? "pre" : "post")-checks of batch \(state.batch + 1)"
            : waiting.joined(separator: "; ")
    }

    private mutating func afterPostChecks(_ now: Date, _ out: inout RolloutOutput) {
        if state.halting {
            if !hasActiveWork { afterFailureBudget(now, &out) }
            return
        }
        if let bake = state.currentStage?.bakeSeconds, bake > 0 {
            state.step = .baking(until: now.addingTimeInterval(bake))
            state.waitingFor = "bake after batch \(state.batch + 1) of stage \(stageName)"
        } else {
            finishBatch(now, &out)
        }
    }

    private mutating func finishBatch(_ now: Date, _ out: inout RolloutOutput) {
        state.clustersDone += state.clusters.filter { $0.phase == .done }.count
        state.clusters = []
        state.checks = []
        state.batch += 1
        if let stage = state.currentStage, state.batch >= stage.batches.count {
            history(&out, now, "stage \(stage.name) done")
            state.stage += 1
            state.batch = 0
            state.stageFailures = 0
        }
        // Empty stages (no cluster matched) are passed over.
        while let stage = state.currentStage, stage.batches.isEmpty { state.stage += 1 }
        state.step = .planning
        if state.currentStage == nil {
            if state.skipped.isEmpty { complete(now, &out) } else { catchUp(now, &out) }
            return
        }
        progress(now, &out)
    }

    /// Every stage is done but some clusters were skipped: they get the commit when back.
    private mutating func catchUp(_ now: Date, _ out: inout RolloutOutput) {
        state.step = .catchingUp
        let names = state.skipped.map(\.name)
        if state.clusters.isEmpty || state.clusters.allSatisfy(\.isFinished) {
            let retryAt = now.addingTimeInterval(unreachableRetrySeconds)
            state.clusters = names.map { ClusterProgress(name: $0, phase: .unreachable(since: now, reason: "skipped", retryAt: retryAt)) }
        }
        state.waitingFor = "skipped clusters to come back: \(names.joined(separator: ", "))"
        advanceApplying(now, &out)
    }

    private mutating func complete(_ now: Date, _ out: inout RolloutOutput) {
        state.clustersDone += state.clusters.filter { $0.phase == .done }.count
        state.step = .finished
        state.phase = .done
        state.clusters = []
        state.waitingFor = nil
        history(&out, now, "rollout of \(short(state.commit)) done: \(state.clustersDone) clusters")
    }

    /// Failures beyond the budget and nothing in flight: roll back or halt.
    private mutating func afterFailureBudget(_ now: Date, _ out: inout RolloutOutput) {
        if state.currentStage?.rollbackOnFailure == true, state.baseCommit != nil, state.clusters.contains(where: \.touched) {
            state.step = .rollingBack
            requestRollbacks(now, &out)
            state.waitingFor = "rollback of batch \(state.batch + 1) to \(short(state.baseCommit ?? ""))"
            return
        }
        halt(now, &out)
    }

    private mutating func requestRollbacks(_ now: Date, _ out: inout RolloutOutput) {
        guard let base = state.baseCommit else { return }
        for c in state.clusters.indices where state.clusters[c].touched && state.clusters[c].phase != .rolledBack
            && !state.clusters[c].rollbackRequested {
            state.clusters[c].rollbackRequested = true
            out.actions.append(.rollback(cluster: state.clusters[c].name, to: base))
        }
    }

    private mutating func halt(_ now: Date, _ out: inout RolloutOutput) {
        state.phase = .halted
        state.halting = false
        state.waitingFor = "halted: sluice resume \(state.environment), or a newer commit"
        history(&out, now, "halted: \(state.haltReason ?? "failures beyond maxFailures")")
    }

    private mutating func resumeHalted(_ now: Date, _ out: inout RolloutOutput) {
        state.phase = .running
        state.halting = false
        state.haltReason = nil
        state.stageFailures = 0
        if state.step == .rollingBack || state.step == .postChecks { state.step = .applying }
        state.checks = state.step == .applying ? [] : state.checks
        for c in state.clusters.indices {
            switch state.clusters[c].phase {
            case .failed, .rolledBack:
                state.clusters[c] = ClusterProgress(name: state.clusters[c].name, phase: .queued)
                state.planning.append(state.clusters[c].name)
            default: break
            }
        }
        let names = state.planning
        if !names.isEmpty { out.actions.append(.plan(clusters: names)) }
    }

    /// A pause asked for takes effect here, at a batch boundary, before anything of the batch is applied.
    private mutating func applyPause(_ now: Date, _ out: inout RolloutOutput) -> Bool {
        guard let reason = state.pauseRequested else { return false }
        state.pauseRequested = nil
        state.pauseReason = reason
        state.phase = .paused
        state.replanBeforeApply = true
        state.waitingFor = "\(reason) (sluice resume \(state.environment))"
        history(&out, now, "paused at the start of batch \(state.batch + 1) of stage \(stageName): \(reason)")
        return true
    }

    /// Pairs or checks started and not finished (supersede and halt wait for these).
    private var hasActiveWork: Bool {
        if !state.planning.isEmpty || state.checks.contains(where: { $0.status == .running }) { return true }
        return state.clusters.contains { cluster in
            cluster.rollbackRequested || cluster.pairs.contains { pair in
                if pair.inFlight { return true }
                switch pair.phase {
                case .applying, .stepping, .baking: return true
                case .retrying: return pair.attempt > 0 && cluster.phase == .applying
                default: return false
                }
            }
        }
    }

    private mutating func computeWake(_ now: Date) {
        var times: [Date] = []
        if case .baking(let until) = state.step { times.append(until) }
        for cluster in state.clusters {
            if case .unreachable(_, _, let retryAt) = cluster.phase { times.append(retryAt) }
            for pair in cluster.pairs where !pair.inFlight {
                switch pair.phase {
                case .stepping: if let poll = pair.nextPoll { times.append(poll) }
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

    private func current(_ cluster: String, _ addon: String, _ attempt: Int) -> (Int, Int)? {
        guard let c = state.clusters.firstIndex(where: { $0.name == cluster }),
              let p = state.clusters[c].pairs.firstIndex(where: { $0.addon == addon }),
              state.clusters[c].pairs[p].attempt == attempt else { return nil }
        return (c, p)
    }

    private func record(_ pair: PairProgress, cluster: String, _ now: Date) -> AppliedRecord {
        AppliedRecord(environment: state.environment, cluster: cluster, addon: pair.addon, commit: state.commit, digest: pair.digest, appliedAt: now)
    }

    private func history(_ out: inout RolloutOutput, _ now: Date, _ detail: String, kind: HistoryEvent.Kind = .rollout,
                         cluster: String? = nil, addon: String? = nil) {
        out.history.append(HistoryEvent(at: now, kind: kind, environment: state.environment, cluster: cluster, addon: addon,
                                        commit: state.commit, detail: detail))
    }

    private func short(_ commit: String) -> String { String(commit.prefix(12)) }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
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
}
