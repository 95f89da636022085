import CSQLite
import Foundation
import SluiceGit
import SluiceModel
import SluiceCore
import SluiceSQLite
import SluiceSimulation
import SluiceStore
import SluiceTestSupport
import Testing

/// Scenario 9: `sluice run` as a child process over a 60-cluster fleet, killed with SIGKILL
/// at 20 points of a rollout and restarted each time. At the end every pair is recorded at
/// the target, and no pair was applied again after its record (the simulated clusters'
/// audit log against the history).
@Suite(.timeLimit(.minutes(10))) struct CrashSafetyTests {
    @Test func killedTwentyTimesTheRolloutStillLandsOnceEverywhere() async throws {
        let repo = try TestRepository.sixtyClusterFleet()
        let state = repo.path + "/.sluice/state.db"
        try FileManager.default.createDirectory(atPath: repo.path + "/.sluice", withIntermediateDirectories: true)
        func run(killAfter lines: Int?) throws -> RunEnd {
            try Self.runSluice(["run", "--repo", repo.path, "--state", state, "--virtual-time", "--until-idle", "--interval", "60s",
                                "--log-format", "json", "--resync", "0", "--clock-start", "2027-01-18T08:00:00Z"], killAfter: lines)
        }
        #expect(try run(killAfter: nil) == .exited(0))

        let release = try repo.read("releases/2026-11-1.yaml")
        try repo.write("releases/2026-11-1.yaml", release
            .replacingOccurrences(of: "k8s-dns-node-cache:1.23.1", with: "k8s-dns-node-cache:1.23.2")
            .replacingOccurrences(of: "coredns:v1.11.3", with: "coredns:v1.11.4"))
        let target = try repo.commit("bump node-local-dns and coredns")
        var killed = 0
        for round in 0..<20 {
            // Kill points spread over what each run prints: a few lines after a start, and further in.
            switch try run(killAfter: 3 + (round * 7) % 40) {
            case .killedByTest: killed += 1
            case .exited(let status): #expect(status == 0, "round \(round) exited \(status)")
            case .crashed(let signal, let stderr):
                // A death the test did not cause (a crash on restart) fails it, with what it said.
                Issue.record("round \(round): sluice died of signal \(signal) the test did not send: \(stderr.suffix(2000))")
            }
        }
        #expect(killed >= 15)
        #expect(try run(killAfter: nil) == .exited(0))

        let store = try SQLiteStateStore(path: state)
        let records = try await store.applied(environment: "production")
        let repository = try FleetLoader().load(try FleetSource.open(repo.path, revision: "HEAD").tree)
        let production = repository.clusters.values.filter { repository.environment(of: $0)?.name.value == "production" }
        #expect(production.count == 56)
        #expect(records.count == production.reduce(0) { $0 + repository.installedAddons(of: $1).count })
        #expect(records.allSatisfy { $0.commit == target && $0.pending == nil })
        #expect(try await store.pending(environment: "production").isEmpty)
        // No call carrying the target commit reached a pair after its record.
        let applied = try Self.appliedEventIDs(path: state, commit: target)
        // The check below relies on these: every pair's apply event is found.
        #expect(applied.count == records.count)
        let late = try await SQLiteSimulatedObjects(store).calls(cluster: nil).filter { call in
            guard call.commit == target, let recorded = applied["\(call.cluster)/\(call.addon)"] else { return false }
            return call.historyMark >= recorded
        }
        #expect(late.isEmpty, "applied again after the record: \(late.prefix(5))")
        #expect(try await SQLiteSimulatedObjects(store).calls(cluster: nil).contains { $0.commit == target })
    }

    /// The id of each pair's `applied` history event at `commit` (found by its typed outcome).
    static func appliedEventIDs(path: String, commit: String) throws -> [String: Int64] {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else { throw TestFailure("open \(path)") }
        defer { sqlite3_close(db) }
        var statement: OpaquePointer?
        let sql = "SELECT cluster, addon, min(id) FROM history WHERE outcome = '\(HistoryOutcome.applied.rawValue)' AND commit_sha = ? GROUP BY cluster, addon"
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else { throw TestFailure("prepare") }
        defer { sqlite3_finalize(statement) }
        sqlite3_bind_text(statement, 1, commit, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        var result: [String: Int64] = [:]
        while sqlite3_step(statement) == SQLITE_ROW {
            let cluster = String(cString: sqlite3_column_text(statement, 0)), addon = String(cString: sqlite3_column_text(statement, 1))
            result["\(cluster)/\(addon)"] = sqlite3_column_int64(statement, 2)
        }
        return result
    }

    enum RunEnd: Equatable {
        case exited(Int32)
        /// The test's own SIGKILL.
        case killedByTest
        /// Any other death by a signal, with what it wrote to standard error.
        case crashed(Int32, stderr: String)
    }

    /// Runs the sluice binary; with `killAfter`, SIGKILLs it once it has printed that many
    /// lines. Standard error goes to a file (kept for a crash's report; a pipe could fill).
    static func runSluice(_ arguments: [String], killAfter lines: Int?) throws -> RunEnd {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProjectPaths.sluiceBinary)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-crash-\(UUID().uuidString).err")
        FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errors) }
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        var seen = 0
        var killed = false
        let reader = output.fileHandleForReading
        while true {
            let data = reader.availableData  // blocks until the child writes or exits
            if data.isEmpty { break }
            seen += data.filter { $0 == UInt8(ascii: "\n") }.count
            if let lines, seen >= lines, !killed {
                kill(process.processIdentifier, SIGKILL)
                killed = true
            }
        }
        process.waitUntilExit()
        guard process.terminationReason == .uncaughtSignal else { return .exited(process.terminationStatus) }
        if killed && process.terminationStatus == SIGKILL { return .killedByTest }
        let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        return .crashed(process.terminationStatus, stderr: stderr)
    }
}
