import Foundation
import SluiceCore
import SluiceSQLite
import SluiceSimulation
import SluiceStore
import SluiceTestSupport
import Testing

/// The state store as an operator meets it when something is wrong with it (issue 9):
/// refused before anything is applied, in words, with a non-zero exit.
@Suite(.timeLimit(.minutes(10))) struct StateStoreCommandTests {
    let repo: TestRepository
    let folder: String
    var state: String { folder + "/state.db" }

    init() throws {
        repo = try TestRepository.exampleFleet()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func sluice(_ arguments: [String]) throws -> ProcessResult {
        try ProcessResult.run(ProjectPaths.sluiceBinary, arguments)
    }

    func apply(_ env: String = "staging") throws -> ProcessResult {
        try sluice(["apply", "--repo", repo.path, "--state", state, "--env", env, "--virtual-time"])
    }

    @Test func anEmptyStateFileIsRefusedAndLeftAsItIs() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        FileManager.default.createFile(atPath: state, contents: Data())
        let result = try apply()
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: "))
        #expect((try FileManager.default.attributesOfItem(atPath: state)[.size] as? NSNumber)?.intValue == 0)
    }

    @Test func aDamagedStoreIsRefusedAndStateCheckSaysSo() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try apply().status == 0)
        #expect(try sluice(["state", "check", "--state", state]).status == 0)
        let handle = try #require(FileHandle(forUpdatingAtPath: state))
        try handle.seek(toOffset: 4096 * 2)
        handle.write(Data(repeating: 0x5A, count: 4096 * 8))
        try handle.close()
        #expect(try sluice(["state", "check", "--state", state]).status == 1)
        let plan = try sluice(["plan", "--repo", repo.path, "--state", state, "--env", "staging"])
        #expect(plan.status == 1, "a damaged store must not plan: \(plan.stdout)")
        #expect(try apply().status == 1)
    }

    @Test func aSecondWriterOfAnEnvironmentIsRefusedAtOnceNamingTheHolder() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try apply().status == 0)
        let held = try SQLiteStateStore(path: state).lockEnvironment("staging", holder: "sluice run on the test")
        let refused = try apply()
        #expect(refused.status == 4, "\(refused.stderr)")
        #expect(refused.stderr.contains("sluice run on the test"))
        // Another environment proceeds meanwhile.
        #expect(try apply("production").status == 0)
        withExtendedLifetime(held) {}
    }

    /// Refused before anything is applied. As root (CI) the check runs as `nobody`, whom the
    /// file's and folder's permissions keep out; otherwise as the user, with them read-only.
    @Test func aReadOnlyStoreIsRefusedBeforeAnythingIsApplied() async throws {
        defer {
            chmod(folder, 0o755)
            try? FileManager.default.removeItem(atPath: folder)
        }
        #expect(try apply().status == 0)
        let before = try await SQLiteSimulatedObjects(SQLiteStateStore(path: state)).calls(cluster: nil).count
        chmod(state, 0o444)
        chmod(folder, 0o555)
        let arguments = ["apply", "--repo", repo.path, "--state", state, "--env", "production", "--virtual-time"]
        let result: ProcessResult
        if getuid() == 0 {
            chmod(folder, 0o755)  // nobody may enter it, not write it
            result = try ProcessResult.run("/usr/sbin/runuser", ["-u", "nobody", "--", ProjectPaths.sluiceBinary] + arguments)
        } else {
            result = try sluice(arguments)
        }
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("cannot be written"))
        chmod(folder, 0o755)
        chmod(state, 0o644)
        #expect(try await SQLiteSimulatedObjects(SQLiteStateStore(path: state)).calls(cluster: nil).count == before)
    }
}
