import Foundation
import Logging
import SluiceGit
import SluiceModel
import SluiceCore
import SluiceStore

/// Reading the rollout under way back from the store (at start, and after the store failed),
/// and what the runner says while its store fails: nothing is started or performed on a read
/// that failed.
extension EnvironmentRunner {
    /// Why the rollout under way could not be read.
    enum StoreProblem: Error {
        case store(StoreError)
        /// A state this sluice cannot decode (newer, or damaged): never replaced by a fresh rollout.
        case unreadable(String)
        /// The fleet repo does not (yet) give the rollout's commit.
        case repository(String)
    }

    /// The rollout the store says is under way (nil when none is), ready to go on.
    func resume() async -> Result<(Active, RolloutOutput)?, StoreProblem> {
        let record: RolloutRecord?
        do { record = try await store.rollout(environment: environment) } catch { return .failure(.store(error)) }
        guard let record, !record.phase.isFinal else { return .success(nil) }
        let state: RolloutState
        do { state = try RolloutState.decode(record) } catch { return .failure(.unreadable(error.description)) }
        if await watcher.gitPath == nil { await watcher.refresh(branches: [branch]) }
        guard let gitPath = await watcher.gitPath else { return .failure(.repository("the fleet repo cannot be read")) }
        let repository: FleetRepository
        do {
            repository = try await FleetCommits(gitPath: gitPath).model(at: state.commit, loader: loader).repository
        } catch {
            return .failure(.repository("commit \(state.commit.prefix(12)) of the rollout under way cannot be read: \(error)"))
        }
        var active = makeActive(state, repository: repository, gitPath: gitPath)
        let output = active.machine.start(now: await clock.now())
        return .success((active, output))
    }

    /// `resume`, then the newest rejected head (not validated again until the branch moves).
    func resumeWithRejection(_ polled: inout PollState) async -> Result<(Active, RolloutOutput)?, StoreProblem> {
        let resumed = await resume()
        guard case .success = resumed else { return resumed }
        do { polled.decisions.restored(lastRejected: try await latestRejection()?.commit) } catch { return .failure(.store(error)) }
        return resumed
    }

    /// Says why the environment does not act, and when it tries again.
    func note(_ problem: StoreProblem, after previous: StoreTrouble?, now: Date) -> StoreTrouble {
        let trouble: StoreTrouble
        switch problem {
        case .store(let error): trouble = .after(previous, error, now: now)
        case .unreadable(let why): trouble = .after(previous, reason: why, permanent: true, now: now)
        case .repository(let why): trouble = .after(previous, reason: why, permanent: false, now: now)
        }
        var metadata: Logger.Metadata = ["outcome": .string(HistoryOutcome.storeDamaged.rawValue)]
        if trouble.leaseLost {
            logger.warning("environment \(environment): \(trouble.reason)")
        } else if trouble.permanent {
            logger.error("state store damaged: \(trouble.reason); environment \(environment) stops acting until the store is restored and sluice restarted",
                         metadata: metadata)
        } else {
            let delay = Int(trouble.retryAt.timeIntervalSince(now).rounded())
            metadata = ["storeFailures": .string(String(trouble.failures))]
            logger.error("\(trouble.reason); environment \(environment) does nothing until it can read its rollout again (try \(trouble.failures), next in \(delay)s)",
                         metadata: metadata)
        }
        return trouble
    }

    func latestRejection() async throws(StoreError) -> RolloutRecord? {
        try await store.rollouts(environment: environment, limit: 1).first { $0.phase == .rejected }
    }
}
