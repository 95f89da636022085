import Foundation
import Logging
import SluiceGit
import SluiceModel
import SluicePlan
import SluiceCore
import SluiceStore
import SluiceYAML

/// A new head: validated as a whole (DESIGN §2 step 1), rejected with every error, or
/// started as a rollout (with a fast-tracked rollback stage when it undoes a halted change).
extension EnvironmentRunner {
    struct Rejection: Error {
        var event: HistoryEvent
        var diagnostics: [String]
    }

    /// Why a head is not started now: rejected for what it is, or not validated because
    /// something it needs did not answer (the fleet repo, the state store) — never a verdict
    /// on the commit: it is validated again at the next poll.
    enum Unvalidated: Error {
        case rejected(Rejection)
        case unavailable(String)
    }

    /// Validates the whole commit (DESIGN §2 step 1): any error rejects it as a whole.
    /// What validating a head gives: the model, and the plan of the rollout's first batch
    /// (made in the same pass, so that the first apply does not wait for a second plan).
    struct Validated {
        var repository: FleetRepository
        var gitPath: String
        var firstBatch: [String]
        var plan: PlanResult
    }

    /// Validates the whole commit (DESIGN §2 step 1): any error rejects it as a whole.
    /// `wholeCommit: false` for a commit validated so already (a newer head that superseded
    /// the rollout under way): only its first batch is planned, against the live objects of now.
    func validate(_ commit: String, now: Date, wholeCommit: Bool = true) async -> Result<Validated, Unvalidated> {
        func rejection(_ problems: [String]) -> Unvalidated {
            .rejected(Rejection(event: HistoryEvent(at: now, kind: .rejection, environment: environment, commit: commit,
                                                    detail: "rejected: " + problems.joined(separator: "\n"), outcome: .rejected),
                                diagnostics: problems))
        }
        guard let gitPath = await watcher.gitPath else { return .failure(.unavailable("the fleet repo could not be read")) }
        do {
            // The records are read while the model loads (only what changed since the last plan).
            let store = self.store, mirror = options.records
            async let records = mirror.records(from: store)
            let (tree, model) = try await FleetCommits(gitPath: gitPath).model(at: commit, loader: loader)
            let blueprint = RolloutBlueprint(repository: model, environment: environment)
            let first = blueprint.stages.first { !$0.batches.isEmpty }?.batches.first ?? []
            var selection = PlanSelection(environment: environment, clusters: Set(first))
            selection.validatesEverything = wholeCommit
            let result = try await FleetPlanner(store: store, connector: connector, loader: loader, parallelism: 2, mirror: mirror)
                .plan(tree, gitPath: gitPath, selection: selection, detail: .apply, loaded: model, records: try await records)
            return .success(Validated(repository: result.repository, gitPath: gitPath, firstBatch: first, plan: result))
        } catch let error as ValidationFailure {
            return .failure(rejection(error.diagnostics.map(\.description)))
        } catch let error as PlanError {
            switch error {
            case .invalid(let problems): return .failure(rejection(problems.map(\.description)))
            case .selection: return .failure(rejection([error.description]))
            case .store: return .failure(.unavailable(error.description))
            }
        } catch {
            // The commit could not be read (libgit2 failed): nothing is known about it yet.
            return .failure(.unavailable("fleet repo: \(error)"))
        }
    }

    /// Writes the rejection as a rollout record of its own (status shows it beside the rollout
    /// under way, which is untouched); its history event goes with the step's output.
    func reject(_ commit: String, _ rejection: Rejection, now: Date) async {
        var state = RolloutState(id: "\(environment)-\(commit.prefix(12))-rejected-\(Int(now.timeIntervalSince1970))",
                                 environment: environment, commit: commit, baseCommit: nil, blueprint: RolloutBlueprint(stages: []), now: now)
        state.position = .rejected
        state.rejection = rejection.diagnostics
        do { try await store.commit(StoreTransition(rollout: try state.record())) } catch {
            // The rejection is in the history and the log already; the head is validated again
            // after a restart.
            logger.error("state store: \(error); the rejection of \(commit.prefix(12)) is not recorded")
        }
    }

    /// `validatedAsWhole`: the head was validated as a whole when it superseded the rollout
    /// before (a commit's content does not change): only its first batch is planned now.
    /// `validated`: that validation itself, when the rollout it superseded gave way at once
    /// (its first batch's plan is a moment old: it is the plan the rollout starts with).
    func start(_ head: String, previous: Active?, validatedAsWhole: Bool = false, validated ready: Validated? = nil, now: Date)
        async throws(StoreError) -> Result<(Active, RolloutOutput, [Event]), Unvalidated> {
        let validated: Validated
        if let ready {
            validated = ready
        } else {
            switch await validate(head, now: now, wholeCommit: !validatedAsWhole) {
            case .success(let value): validated = value
            case .failure(let failure): return .failure(failure)
            }
        }
        // What a rollback returns to: the newest rollout that converged, however long ago.
        let base = try await store.lastRollout(environment: environment, phase: .done)?.commit
        var blueprint = RolloutBlueprint(repository: validated.repository, environment: environment)
        let fast = try await FastRollback(environment: environment, store: store, connector: connector, loader: loader,
                                          mirror: options.records, gitPath: validated.gitPath).clusters(head: head, repository: validated.repository)
        if let fast { blueprint = blueprint.fastTracking(fast.clusters) }
        let state = RolloutState(id: "\(environment)-\(head.prefix(12))-\(Int(now.timeIntervalSince1970))", environment: environment,
                                 commit: head, baseCommit: base, blueprint: blueprint, now: now)
        var active = makeActive(state, repository: validated.repository, gitPath: validated.gitPath)
        var output = active.machine.start(now: now)
        if let fast {
            output.history.insert(HistoryEvent(at: now, kind: .rollout, environment: environment, commit: head,
                                               detail: "rollback: \(head.prefix(12)) undoes \(fast.undone.prefix(12)) on \(fast.clusters.joined(separator: ", ")) (they render as at \(fast.base.prefix(12))): they get it at once, without windows, approvals or bakes",
                                               outcome: .revertFastTracked), at: 0)
        }
        // The first batch was planned with the validation: answer its plan from there.
        var answers: [Event] = []
        if let index = output.actions.firstIndex(where: { if case .plan(let names) = $0 { return Set(names) == Set(validated.firstBatch) }; return false }),
           case .plan(let names) = output.actions[index] {
            output.actions.remove(at: index)
            let (outcomes, pairs) = await active.effects.outcomes(of: validated.plan, clusters: names)
            answers.append(.planned(state.id, outcomes, pairs))
        }
        return .success((active, output, answers))
    }

    func makeActive(_ state: RolloutState, repository: FleetRepository, gitPath: String) -> Active {
        let machine = RolloutMachine(state: state, pollSeconds: options.pollSeconds, unreachableRetrySeconds: options.unreachableRetrySeconds)
        var effects = RolloutEffects(environment: environment, commit: state.commit, gitPath: gitPath, repository: repository,
                                     store: store, connector: connector, clock: clock, loader: loader, mirror: options.records)
        effects.lease = lease
        let checks = CheckRunner(store: store, connector: connector, clock: clock, gitPath: gitPath,
                                 machineAllowedCommands: options.machineAllowedCommands)
        return Active(machine: machine, effects: effects, checks: checks,
                      context: CheckRunner.Context(environment: environment, stage: state.currentStage?.name ?? "",
                                                   commit: state.commit, repository: repository))
    }
}
