import Foundation
import SluiceCore

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
    /// cluster counts as unreachable. None by default: a driver retries its own requests
    /// (the Kubernetes one 5 times, with backoff and Retry-After), and one retry layer is
    /// enough; an unreachable cluster is then tried again every `unreachableRetrySeconds`.
    public var maxRetries: Int
    /// While an answer about one pair is handled, only that pair's cluster moves (the others'
    /// due timers are handled by `timerFired`): a batch of hundreds is not walked per answer.
    var focus: Int?

    public init(state: RolloutState, pollSeconds: Double = 5, unreachableRetrySeconds: Double = 30, maxRetries: Int = 0) {
        self.state = state
        self.pollSeconds = pollSeconds
        self.unreachableRetrySeconds = unreachableRetrySeconds
        self.maxRetries = maxRetries
    }

    // MARK: - Events

    /// The rollout begins (or a restarted controller picks it up): do what is due.
    public mutating func start(now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        if state.clusters.isEmpty && state.position == .running(.planning) && state.stage == 0 && state.batch == 0 {
            note(&out, now, .rolloutStarted(clusters: state.clustersTotal, stages: state.blueprint.stages.count))
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
        // Checks that were out or waiting are asked again at once: a freeze may have been
        // lifted, a window opened, while no controller ran.
        for index in state.checks.indices where state.checks[index].status == .running || state.checks[index].status == .waiting {
            state.checks[index].status = .pending
        }
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
                                 healthTimeoutSeconds: plan.healthTimeoutSeconds, healthDeadlineSeconds: plan.healthDeadlineSeconds,
                                 preHooks: plan.preHooks, postHooks: plan.postHooks, revision: plan.revision)
                }
                let settled = pairs.filter(\.settled)
                state.clusters[c].settled = settled.map(\.addon)
                if state.skipped.contains(where: { $0.name == name }) {
                    state.skipped.removeAll { $0.name == name }
                    note(&out, now, .clusterReachableAgain, cluster: name)
                }
                out.records += settled.map { plan in
                    AppliedRecord(environment: state.environment, cluster: name, addon: plan.addon, commit: state.commit,
                                  digest: plan.digest, appliedAt: now, revision: plan.revision)
                }
                if state.clusters[c].pairs.isEmpty {
                    state.clusters[c].noop = true
                    state.clusters[c].phase = .done
                } else {
                    state.clusters[c].phase = .queued
                }
            case .failed(let failure) where failure.isTransient:
                unreachable(c, reason: failure.detail, now, &out)
            case .failed(let failure):
                fail(c, .plan(failure), now, &out)
            }
        }
        progress(now, &out)
        return out
    }

    public mutating func applied(cluster: String, addon: String, attempt: Int, _ result: StepResult, now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        guard let (c, p) = answered(cluster, addon, attempt) else { return out }
        switch result {
        case .ok:
            let pair = state.clusters[c].pairs[p]
            beginStep(c, p, 0, now)
            if pair.steps > 1 {
                state.clusters[c].pairs[p].inFlight = true
                out.actions.append(.setPartition(cluster: cluster, addon: addon, attempt: attempt, step: 0))
            } else {
                state.clusters[c].pairs[p].nextPoll = now
            }
        case .failed(let failure):
            pairError(c, p, failure, now, &out)
        }
        focus = c
        defer { focus = nil }
        progress(now, &out)
        return out
    }

    public mutating func partitionSet(cluster: String, addon: String, attempt: Int, step: Int, _ result: StepResult, now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        guard let (c, p) = answered(cluster, addon, attempt) else { return out }
        switch result {
        case .ok:
            let pair = state.clusters[c].pairs[p]
            beginStep(c, p, step, now)
            state.clusters[c].pairs[p].nextPoll = now
            if pair.steps > 1 {
                note(&out, now, .partitionStep(step: step + 1, of: pair.steps), cluster: cluster, addon: addon)
            }
        case .failed(let failure):
            pairError(c, p, failure, now, &out)
        }
        focus = c
        defer { focus = nil }
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
        case .progress(let complete, let detail, let pods):
            state.clusters[c].pairs[p].progress = detail
            state.clusters[c].pairs[p].pods = pods
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
                                                       commit: commit(of: c), at: now))
                } else if pair.postHooks > 0 {
                    let (run, move) = HookRun.start(.post, count: pair.postHooks, timeout: pair.healthTimeoutSeconds, now: now)
                    if let run { state.clusters[c].pairs[p].phase = .hooks(run) }
                    followHooks(c, p, move, moment: .post, now, &out)
                } else {
                    state.clusters[c].pairs[p].phase = .recorded
                    out.records.append(record(pair, cluster: c, now))
                }
            } else {
                switch HealthDeadline(pair, deadline: deadline).judge(pods, now: now) {
                case .progressed(let moved):
                    state.clusters[c].pairs[p].mostReady = pods.ready
                    state.clusters[c].pairs[p].phase = .stepping(step: step, deadline: moved)
                    state.clusters[c].pairs[p].nextPoll = min(now.addingTimeInterval(pollSeconds), pair.stepDeadline ?? moved)
                case .waiting(let until):
                    state.clusters[c].pairs[p].nextPoll = min(now.addingTimeInterval(pollSeconds), until)
                case .expired(let reason):
                    state.clusters[c].pairs[p].phase = .failed(.health(reason, detail: detail))
                    note(&out, now, .healthExpired(reason, detail: detail), cluster: cluster, addon: addon)
                }
            }
        case .failed(let failure):
            pairError(c, p, failure, now, &out)
        }
        focus = c
        defer { focus = nil }
        progress(now, &out)
        return out
    }

    /// A step of a pair's chart hooks was performed.
    public mutating func hookAnswered(cluster: String, addon: String, attempt: Int, _ answer: HookRun.Answer, now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        guard let (c, p) = current(cluster, addon, attempt), state.clusters[c].pairs[p].inFlight,
              case .hooks(var run) = state.clusters[c].pairs[p].phase else { return out }
        state.clusters[c].pairs[p].inFlight = false
        let move = run.answered(answer, now: now)
        state.clusters[c].pairs[p].phase = .hooks(run)
        if case .observed(.running(let detail)) = answer { state.clusters[c].pairs[p].progress = detail }
        followHooks(c, p, move, moment: run.moment, now, &out)
        focus = c
        defer { focus = nil }
        progress(now, &out)
        return out
    }

    public mutating func checkFinished(_ id: CheckID, _ outcome: CheckOutcome, now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        guard let index = state.checks.firstIndex(where: { $0.id == id }), state.checks[index].status == .running else { return out }
        switch outcome {
        case .passed(let detail):
            state.checks[index].status = .passed
            state.checks[index].detail = detail
            note(&out, now, .checkPassed(id, detail: detail), cluster: id.cluster)
        case .failed(let detail):
            state.checks[index].status = .failed
            state.checks[index].detail = detail
            note(&out, now, .checkFailed(id, detail: detail), cluster: id.cluster)
            if let cluster = id.cluster, let c = state.clusters.firstIndex(where: { $0.name == cluster }) {
                fail(c, .check(id, detail: detail), now, &out)
            } else {
                for c in state.clusters.indices where !state.clusters[c].noop { fail(c, .check(id, detail: detail), now, &out) }
            }
        case .wait(let until, let detail):
            if state.checks[index].detail != detail {
                note(&out, now, .checkWaits(id, detail: detail), cluster: id.cluster)
            }
            state.checks[index].status = .waiting
            state.checks[index].detail = detail
            state.checks[index].held = false
            state.checks[index].retryAt = max(until ?? now.addingTimeInterval(pollSeconds), now.addingTimeInterval(1))
            state.replanBeforeApply = true
        case .hold(let detail):
            if state.checks[index].detail != detail {
                note(&out, now, .checkHolds(id, detail: detail), cluster: id.cluster)
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

    /// The plan of a cluster at the base commit: its pairs are applied again, like a batch's
    /// but at once (no partition steps or bakes), each recorded at the base once healthy.
    public mutating func rollbackPlanned(cluster: String, _ outcome: ClusterPlanOutcome, now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        guard let c = state.clusters.firstIndex(where: { $0.name == cluster }), state.clusters[c].rollbackRequested,
              let base = state.baseCommit else { return out }
        state.clusters[c].rollbackRequested = false
        switch outcome {
        case .planned(let pairs):
            out.records += pairs.filter(\.settled).map { plan in
                AppliedRecord(environment: state.environment, cluster: cluster, addon: plan.addon, commit: base, digest: plan.digest, appliedAt: now,
                              revision: plan.revision)
            }
            state.clusters[c].pairs = pairs.filter { !$0.settled }.map { plan in
                PairProgress(addon: plan.addon, dependsOn: plan.dependsOn, digest: plan.digest, settled: false, removed: plan.removed,
                             steps: 1, stepBakeSeconds: nil, healthTimeoutSeconds: plan.healthTimeoutSeconds,
                             healthDeadlineSeconds: plan.healthDeadlineSeconds, preHooks: plan.preHooks, postHooks: plan.postHooks,
                             revision: plan.revision)
            }
            state.clusters[c].settled = pairs.filter(\.settled).map(\.addon)
            state.clusters[c].phase = .rollingBack
            if state.clusters[c].pairs.isEmpty { rollbackEnded(c, failure: nil, now, &out) }
        case .failed(let failure):
            rollbackEnded(c, failure: failure.detail, now, &out)
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
        let who = RolloutNote.Operator(user: command.user, reason: command.reason)
        switch command.verb {
        case .pause:
            guard !state.phase.isFinal else { break }
            state.pauseRequested = .asked(user: command.user, reason: command.reason)
            note(&out, now, .pauseAsked(who))
        case .resume:
            if case .paused(let step, _) = state.position {
                state.position = .running(step)
                state.pauseRequested = nil
                note(&out, now, .resumed(who))
            } else if case .halted = state.position {
                state.pauseRequested = nil
                resumeHalted(now, &out)
                note(&out, now, .resumedAfterHalt(who))
            } else if state.pauseRequested != nil {
                // Asked before it took effect: the pause is called off.
                state.pauseRequested = nil
                note(&out, now, .resumed(who))
            } else {
                note(&out, now, .nothingToResume(who))
            }
        case .approve:
            // An approval is for the commit (and stage) its giver saw: never for a newer commit
            // nobody reviewed, or another stage.
            if let pinned = command.commit, pinned != state.commit {
                note(&out, now, .approvalForAnotherCommit(who, commit: pinned))
            } else if let stage = command.stage, state.blueprint.stages.firstIndex(where: { $0.name == stage }).map({ $0 < state.stage }) ?? true {
                note(&out, now, .approvalForAnotherStage(who, stage: stage))
            } else if let stage = command.stage, !(state.position == .awaitingApproval && stage == stageName), !state.phase.isFinal {
                approveAhead(stage, who: who, now, &out)
            } else if state.position == .awaitingApproval {
                state.approvedStages.append(state.stage)
                state.position = .running(.preChecks)
                state.replanBeforeApply = true
                note(&out, now, .stageApproved(stage: stageName, who))
            } else if let next = state.blueprint.stages.indices.first(where: { index in
                index >= state.stage && state.blueprint.stages[index].approval && !state.approvedStages.contains(index)
                    && !(index == state.stage && state.batch > 0)
            }), !state.phase.isFinal {
                // Approved ahead: the stage will not wait (for this commit only).
                state.approvedStages.append(next)
                note(&out, now, .stageApprovedAhead(stage: state.blueprint.stages[next].name, who))
            } else {
                note(&out, now, .nothingToApprove(who))
            }
        }
        progress(now, &out)
        return out
    }

    /// An approval for a later stage of this commit, given before it waits.
    private mutating func approveAhead(_ stage: String, who: RolloutNote.Operator, _ now: Date, _ out: inout RolloutOutput) {
        guard let index = state.blueprint.stages.firstIndex(where: { $0.name == stage }) else { return }
        if !state.approvedStages.contains(index) { state.approvedStages.append(index) }
        note(&out, now, .stageApprovedAhead(stage: stage, who))
    }

    /// A newer head commit: running applies finish, nothing new starts, then the rollout is
    /// superseded (the runner starts the newer one from the first stage).
    public mutating func newHead(_ commit: String, now: Date) -> RolloutOutput {
        var out = RolloutOutput()
        guard commit != state.commit, state.supersededBy != commit, !state.phase.isFinal else { return out }
        // Halted, paused or waiting for an approval as well: it gives way once nothing is in flight.
        state.position = .superseding(state.step ?? .planning, by: commit, halt: state.halt)
        note(&out, now, .supersedeAsked(by: commit))
        progress(now, &out)
        return out
    }
}

