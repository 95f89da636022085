import Foundation
import SluiceRollout
import SluiceCore
import SluiceSQLite
import SluiceStore
import SluiceTestSupport
import Testing

/// Operator commands reach the controller (issue 17): an environment the repo does not define
/// or a store that does not exist is refused (never a new store no controller reads); the
/// command says when no controller holds the environment; an approval is pinned to the commit
/// and stage that wait.
@Suite(.timeLimit(.minutes(10))) struct OperatorCommandTests {
    let repo: TestRepository
    let folder: String
    var state: String { folder + "/state.db" }

    init() throws {
        repo = try TestRepository.exampleFleet()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-operator-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func sluice(_ arguments: String...) throws -> ProcessResult {
        try ProcessResult.run(ProjectPaths.sluiceBinary, arguments)
    }

    @Test func aCommandInTheWrongFolderIsRefusedAndCreatesNothing() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let elsewhere = folder + "/not-a-repo"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        let result = try sluice("approve", "production", "--repo", elsewhere)
        #expect(result.status == 2)
        #expect(!FileManager.default.fileExists(atPath: elsewhere + "/.sluice"))
        // An environment the repo does not define, in the right folder.
        #expect(try sluice("pause", "prodution", "--repo", repo.path, "--state", state).status == 2)
        #expect(!FileManager.default.fileExists(atPath: state))
    }

    @Test func aMissingStoreIsAnErrorNamingItsPath() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for verb in ["pause", "resume", "freeze", "unfreeze"] {
            let result = try sluice(verb, "production", "--repo", repo.path, "--state", state)
            #expect(result.status == 1, "\(verb)")
            #expect(result.stderr.contains(state))
        }
        #expect(!FileManager.default.fileExists(atPath: state))
    }

    @Test func aCommandSaysWhenNoControllerHoldsTheEnvironment() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try sluice("apply", "--repo", repo.path, "--state", state, "--env", "staging", "--virtual-time").status == 0)
        let alone = try sluice("pause", "staging", "--repo", repo.path, "--state", state)
        #expect(alone.status == 0)
        #expect(alone.stderr.hasPrefix("warning: "))
        let held = try SQLiteStateStore(path: state).lockEnvironment("staging", holder: "sluice run (test)")
        let heard = try sluice("resume", "staging", "--repo", repo.path, "--state", state)
        #expect(heard.status == 0)
        #expect(!heard.stderr.contains("warning"))
        withExtendedLifetime(held) {}
        #expect(try await SQLiteStateStore(path: state).commands(environment: "staging").map(\.verb) == [.pause, .resume])
    }

    /// Production waits for the approval of its production stage: `approve` pins the commit
    /// and stage that wait; another commit is refused; nothing waits in staging.
    @Test func anApprovalIsPinnedToTheCommitAndStageThatWait() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try sluice("run", "--repo", repo.path, "--state", state, "--until-idle", "--virtual-time")
        #expect(run.status == 5, "\(run.stderr.suffix(500))")
        let store = try SQLiteStateStore(path: state)
        let waiting = try #require(try await store.rollout(environment: "production").map { try RolloutState.decode($0) })
        #expect(waiting.phase == .awaitingApproval)
        #expect(try sluice("approve", "production", "--repo", repo.path, "--state", state, "--commit", "0123456789abc").status == 1)
        #expect(try sluice("approve", "staging", "--repo", repo.path, "--state", state).status == 1)
        #expect(try await store.commands(environment: "production").isEmpty)
        let approved = try sluice("approve", "production", "--repo", repo.path, "--state", state)
        #expect(approved.status == 0, "\(approved.stderr)")
        let command = try #require(try await store.commands(environment: "production").first)
        #expect(command.verb == .approve && command.commit == waiting.commit && command.stage == waiting.currentStage?.name)
        // The controller acts on it: production goes on and converges.
        #expect(try sluice("run", "--repo", repo.path, "--state", state, "--until-idle", "--virtual-time").status == 0)
    }
}
