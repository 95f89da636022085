import Foundation
import SluiceCore
import SluiceStore

/// Reading the branch head and the operator's commands (what `EnvironmentMachine` decides
/// about them, performed), and whether the environment is idle.
extension EnvironmentRunner {
    /// What the loop remembers between polls.
    struct PollState {
        var decisions: EnvironmentMachine
        /// Answers known without performing their action (the first batch's plan).
        var prefilled: [Event] = []
        /// The newest head validated as a whole while a rollout ran (it supersedes that one).
        var validatedAsWhole: String?
        /// That validation, kept when the rollout gave way at once: its rollout starts from it
        /// at the next step, a moment later.
        var superseding: (head: String, validated: Validated)?
    }

    /// A store that cannot be read throws: no rollout is started on a read that failed.
    func poll(_ active: inout Active?, _ polled: inout PollState, _ correcting: inout Correcting?, now: Date,
              fresh: Bool) async throws(StoreError) -> RolloutOutput {
        var output = RolloutOutput()
        let previousError = await watcher.lastError
        await watcher.refreshIfStale(branch: branch, now: now, maximumAge: fresh ? 0 : options.intervalSeconds / 2)
        if let error = await watcher.lastError, error != previousError {
            logger.error("fleet repo: \(error); environments go on with the heads they know")
        }
        let head = await watcher.head(of: branch)
        switch polled.decisions.headRead(head, rollout: active?.machine.state.forEnvironment, correcting: correcting?.machine.commit) {
        case .none: break
        case .stopCorrecting:
            correcting?.machine.giveWay()
        case .reportMissingBranch:
            logger.error("branch \(branch) of environment \(environment) does not exist in the fleet repo; nothing to roll out")
        case .validateNewer(let head):
            switch await validate(head, now: now) {
            case .success(let validated):
                polled.validatedAsWhole = head
                if var current = active {
                    output.merge(current.machine.newHead(head, now: now))
                    if current.machine.state.phase == .superseded { polled.superseding = (head, validated) }
                    active = current
                }
            case .failure(let failure):
                await notStarted(head, failure, &output, &polled, now: now)
            }
        case .startUnlessStored(let head):
            let stored = try await store.rollout(environment: environment)?.commit
            guard polled.decisions.needsStart(head, rollout: active?.machine.state.forEnvironment, stored: stored) else { break }
            let ready = polled.superseding?.head == head ? polled.superseding?.validated : nil
            polled.superseding = nil
            switch try await start(head, previous: active, validatedAsWhole: polled.validatedAsWhole == head, validated: ready, now: now) {
            case .success(let (started, startOutput, answers)):
                active = started
                output.merge(startOutput)
                polled.prefilled += answers
            case .failure(let failure):
                await notStarted(head, failure, &output, &polled, now: now)
            }
        }
        for command in try await store.commands(environment: environment) {
            switch polled.decisions.route(command, rollout: active?.machine.state.forEnvironment, now: now) {
            case .rollout:
                if var current = active {
                    output.merge(current.machine.command(command, now: now))
                    active = current
                }
            case .ignored(let event):
                output.consumedCommands.append(command.id)
                output.history.append(event)
            }
        }
        return output
    }

    /// A head that did not validate is rejected (and not tried again until the branch moves);
    /// one that could not be validated now is tried again at the next poll.
    private func notStarted(_ head: String, _ failure: Unvalidated, _ output: inout RolloutOutput, _ polled: inout PollState,
                            now: Date) async {
        switch failure {
        case .rejected(let rejection):
            output.history.append(rejection.event)
            await reject(head, rejection, now: now)
            polled.decisions.rejected(head)
        case .unavailable(let why):
            logger.warning("head \(head.prefix(12)) not validated now (\(why)); it is tried again at the next poll")
        }
    }

    func idleOutcome(_ active: Active?, _ decisions: EnvironmentMachine) async -> Outcome? {
        let head = await watcher.head(of: branch)
        let rollout = active?.machine.state.forEnvironment
        // Asked only when no rollout runs; a store that cannot be read says nothing (not idle).
        var stored: String?? = nil
        if rollout == nil, head != nil {
            do { stored = .some(try await store.rollout(environment: environment)?.commit) } catch { stored = nil }
        }
        return decisions.idleOutcome(head: head, rollout: rollout, stored: stored)
    }
}
