import Foundation
import SluiceCore
import SluiceSimulation
import SluiceDrivers
import SluiceGit
import SluiceModel
import SluiceRollout
import SluiceStore

/// What controller scenario tests need beyond `FleetScenario`: a converged fleet to start
/// from, approvals given the way an operator gives them, and the history read as typed facts.
extension FleetScenario {
    /// A converged fleet whose staging corrects drift (`drift: correct`, at a new commit).
    public static func correctingDriftInStaging() async throws -> FleetScenario {
        let scenario = try FleetScenario()
        try scenario.edit("sluice.yaml", replacing: "      pipeline: staging", with: "      pipeline: staging\n      drift: correct")
        try scenario.repo.commit("staging corrects drift")
        try scenario.repo.git("branch", "-f", "staging", "HEAD")
        try await scenario.converge()
        return scenario
    }

    /// Applies HEAD everywhere and lets the controller record it (every batch a no-op).
    public func converge() async throws {
        try await applyAll()
        let outcomes = try await runApproving()
        guard outcomes.values.allSatisfy({ $0 == .converged }) else { throw TestFailure("baseline did not converge: \(outcomes)") }
    }

    /// Runs the controller until idle, approving every stage that waits for an approval
    /// (as `sluice approve` does), at most `rounds` times.
    @discardableResult
    public func runApproving(rounds: Int = 8, options: EnvironmentRunner.Options = FleetScenario.controllerOptions) async throws
        -> [String: EnvironmentRunner.Outcome] {
        var outcomes = try await runController(options: options)
        var round = 0
        while round < rounds, outcomes.values.contains(.waitingForOperator) {
            round += 1
            var approved = false
            for (environment, outcome) in outcomes where outcome == .waitingForOperator {
                guard try await store.rollout(environment: environment)?.phase == .awaitingApproval else { continue }
                try await store.enqueue(OperatorCommand(environment: environment, verb: .approve, user: "test", reason: "scenario", at: await clock.now()))
                approved = true
            }
            guard approved else { break }
            outcomes = try await runController(options: options)
        }
        return outcomes
    }

    /// Commits `change` on the staging branch (main stays checked out around it); returns the commit.
    @discardableResult
    public func commitOnStaging(_ message: String, _ change: () throws -> Void) throws -> String {
        try repo.git("checkout", "-q", "staging")
        defer { _ = try? repo.git("checkout", "-q", "main") }
        try change()
        return try repo.commit(message)
    }

    public func rolloutState(_ environment: String) async throws -> RolloutState? {
        try await store.rollout(environment: environment).map { try RolloutState.decode($0) }
    }

    /// Commits made by the simulated clusters' audit log: mutating calls per cluster whose
    /// object carried `commit`.
    public func calls(commit: String) async throws -> [SimulatedCall] {
        try await objects.calls(cluster: nil).filter { $0.commit == commit }
    }

    /// The clusters of an environment's pipeline at HEAD, batch by batch, stage by stage.
    public func blueprint(_ environment: String) throws -> RolloutBlueprint {
        let tree = try FleetSource.open(repo.path, revision: "HEAD").tree
        return RolloutBlueprint(repository: try FleetLoader().load(tree), environment: environment)
    }
}

