import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceSQLite
import SluiceStore
import SluiceTestSupport
import Testing

/// `sluice run`, `status`, `history` and the operator commands as an operator meets them.
@Suite(.timeLimit(.minutes(10))) struct RunCommandTests {
    let repo: TestRepository
    let state: String

    init() throws {
        repo = try TestRepository.exampleFleet()
        state = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-run-\(UUID().uuidString).db").path
    }

    func sluice(_ arguments: String...) throws -> ProcessResult {
        try ProcessResult.run(ProjectPaths.sluiceBinary, arguments)
    }

    @Test func untilIdleLogsJSONLinesAndExitsFiveAtAnApproval() throws {
        let run = try sluice("run", "--repo", repo.path, "--state", state, "--virtual-time", "--until-idle", "--interval", "60s",
                             "--log-format", "json", "--resync", "0", "--clock-start", "2027-01-18T08:00:00Z")
        #expect(run.status == 5, "\(run.stderr)")
        #expect(!run.stdout.contains("\u{1B}["))
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count > 20)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["message"] is String && object?["time"] is String, "\(line)")
        }
        #expect(lines.contains { $0.contains("stage production waits for an approval") })

        let status = try sluice("status", "--repo", repo.path, "--state", state, "--output", "json")
        #expect(status.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let environments = try #require(json["environments"] as? [[String: Any]])
        let production = try #require(environments.first { $0["name"] as? String == "production" })
        #expect((production["rollout"] as? [String: Any])?["phase"] as? String == "awaitingApproval")
        let text = try sluice("status", "--repo", repo.path, "--state", state)
        #expect(text.stdout.contains("waiting   approval of stage production"))

        let approve = try sluice("approve", "production", "--repo", repo.path, "--state", state, "--reason", "canaries are fine")
        #expect(approve.status == 0)
        let again = try sluice("run", "--repo", repo.path, "--state", state, "--virtual-time", "--until-idle", "--interval", "60s", "--resync", "0")
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        let history = try sluice("history", "--repo", repo.path, "--state", state, "--env", "production", "--output", "json")
        let events = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
        let approval = try #require(events.first { ($0["detail"] as? String)?.contains("approved by") == true })
        #expect(approval["kind"] as? String == "operator")
        #expect((approval["detail"] as? String)?.contains("canaries are fine") == true)
        #expect(events.allSatisfy { $0["at"] is String && $0["environment"] as? String == "production" })
    }

    @Test func operatorCommandsNameTheEnvironmentAndRecordWhoAndWhy() throws {
        let unknown = try sluice("pause", "prod", "--repo", repo.path, "--state", state)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no environment named \"prod\""))
        // Commands never create the store: one exists once something was applied or run.
        #expect(try sluice("freeze", "production", "--repo", repo.path, "--state", state, "--reason", "holidays").status == 1)
        #expect(try sluice("apply", "--repo", repo.path, "--state", state, "--env", "staging", "--virtual-time").status == 0)
        #expect(try sluice("freeze", "production", "--repo", repo.path, "--state", state, "--reason", "holidays").status == 0)
        let frozen = try sluice("run", "--repo", repo.path, "--state", state, "--virtual-time", "--until-idle", "--interval", "60s", "--resync", "0")
        #expect(frozen.status == 5)
        #expect(frozen.stdout.contains("holds the batch: frozen by"))
        #expect(try sluice("unfreeze", "production", "--repo", repo.path, "--state", state).status == 0)
        let history = try sluice("history", "--repo", repo.path, "--state", state, "--env", "production")
        #expect(history.stdout.contains("frozen by ") && history.stdout.contains(": holidays"))
        #expect(history.stdout.contains("unfrozen by "))
    }

    @Test func statusAndHistoryNeverCreateAStore() throws {
        let status = try sluice("status", "--repo", repo.path, "--state", state)
        #expect(status.status == 1)
        #expect(!FileManager.default.fileExists(atPath: state))
    }

    /// SIGTERM stops the controller at its next safe point: exit 0, the state written; with
    /// `--listen`, the HTTP server stops with it. On virtual time: nothing here waits for the
    /// wall clock.
    @Test(arguments: [false, true]) func sigtermStopsAtASafePointAndExitsZero(listening: Bool) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProjectPaths.sluiceBinary)
        process.arguments = ["run", "--repo", repo.path, "--state", state, "--interval", "1s", "--resync", "0", "--log-format", "json", "--virtual-time"]
            + (listening ? ["--listen", "127.0.0.1:0"] : [])
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Safety net only: a controller that ignored SIGTERM would otherwise hang the suite
        // (generous: on a loaded CI machine reaching the first apply has taken minutes).
        let watchdog = DispatchWorkItem { kill(process.processIdentifier, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 400, execute: watchdog)
        var text = ""
        while !text.contains("applying") {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGTERM)
        while !output.fileHandleForReading.availableData.isEmpty {}
        process.waitUntilExit()
        watchdog.cancel()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        let history = try sluice("history", "--repo", repo.path, "--state", state, "--output", "json")
        let events = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
        #expect(events.contains { $0["outcome"] as? String == HistoryOutcome.rolloutStarted.rawValue })
    }

    /// An operator without a shell on the controller's machine acts through its API: the
    /// command names the server, the token comes from SLUICE_TOKEN, the action is recorded
    /// with the token's identity, and refusals keep the local exit codes.
    @Test func operatorCommandsGoThroughTheServer() async throws {
        let token = "cli-admin-token-0123456789"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProjectPaths.sluiceBinary)
        process.arguments = ["run", "--repo", repo.path, "--state", state, "--interval", "60s", "--resync", "0", "--virtual-time", "--listen", "127.0.0.1:0"]
        process.environment = ProcessInfo.processInfo.environment.merging(["SLUICE_API_TOKEN": token]) { _, new in new }
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        // Safety net only: a server that never listened would otherwise hang the suite.
        let watchdog = DispatchWorkItem { kill(process.processIdentifier, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
        defer {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            watchdog.cancel()
        }
        var text = ""
        while !text.contains("listening on 127.0.0.1:"), case let data = errors.fileHandleForReading.availableData, !data.isEmpty {
            text += String(decoding: data, as: UTF8.self)
        }
        let port = try #require(text.split(separator: "\n").first { $0.hasPrefix("listening on 127.0.0.1:") }?.split(separator: ":").last)
        // It listens: the safety net has done its work (left armed, it killed a server that a
        // loaded CI machine took more than its 120 s to make ready, and the test failed).
        watchdog.cancel()
        let server = "http://127.0.0.1:\(port)"
        // Ready once the controller runs and has read the repo; the server answers before that.
        let client = try CurlTransport(tls: TLSSettings(), label: "test")
        var ready = try await client.perform(HTTPRequest(url: server + "/readyz"))
        for _ in 0..<10_000 where ready.status != 200 { ready = try await client.perform(HTTPRequest(url: server + "/readyz")) }
        struct Readiness: Decodable { var ready: Bool; var controllerRunning: Bool; var store: String; var repo: String }
        let readiness = try JSONDecoder().decode(Readiness.self, from: Data(ready.body))
        #expect(ready.status == 200 && readiness.ready && readiness.controllerRunning && readiness.store == "ok" && readiness.repo == "ok")
        // The server plans with the controller's clusters, and reads a cluster live.
        let plan = try await client.perform(HTTPRequest(url: server + "/api/v1/environments/staging/plan"))
        #expect(plan.status == 200)
        let cluster = try await client.perform(HTTPRequest(url: server + "/api/v1/clusters/test-1"))
        let live = (try JSONSerialization.jsonObject(with: Data(cluster.body)) as? [String: Any])?["live"] as? [String: Any]
        #expect(cluster.status == 200 && live?["readAt"] != nil)
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_TOKEN"] = token
        let paused = try ProcessResult.run(ProjectPaths.sluiceBinary, ["pause", "staging", "--server", server, "--reason", "maintenance"], environment: environment)
        #expect(paused.status == 0, "\(paused.stderr)")
        #expect(paused.stdout.contains("pause of staging accepted by \(server) as admin"))
        // Queued with the identity's name, or already acted on with it (the history says so).
        let store = try SQLiteStateStore(path: state)
        let queued = try await store.commands(environment: "staging").contains { $0.verb == .pause && $0.user == "admin" }
        let acted = try await store.history(HistoryFilter(environment: "staging", limit: 1_000)).contains {
            // Taken at a batch boundary, or refused because staging had converged already.
            $0.detail.hasPrefix("pause asked by admin") || $0.detail.hasPrefix("pause by admin")
        }
        #expect(queued || acted)
        let refused = try ProcessResult.run(ProjectPaths.sluiceBinary, ["approve", "production", "--server", server, "--commit", "fedcba9"], environment: environment)
        #expect(refused.status == 1 && refused.stderr.contains("(refused)"))
        let unknown = try ProcessResult.run(ProjectPaths.sluiceBinary, ["freeze", "nowhere", "--server", server], environment: environment)
        #expect(unknown.status == 2 && unknown.stderr.contains("(notFound)"))
        environment["SLUICE_TOKEN"] = "not-the-token-at-all"
        let wrong = try ProcessResult.run(ProjectPaths.sluiceBinary, ["pause", "staging", "--server", server], environment: environment)
        #expect(wrong.status == 1 && wrong.stderr.contains("(unauthorized)"))
        environment["SLUICE_TOKEN"] = nil
        let none = try ProcessResult.run(ProjectPaths.sluiceBinary, ["pause", "staging", "--server", server], environment: environment)
        #expect(none.status == 2)
    }

    /// A mistake in a machine file (notifications, tokens) stops `run` with where it is, before
    /// any state is created.
    /// The flags deploy/sluice.yaml and deploy/sluice.service give `sluice run` are flags it has.
    @Test func theDeployFilesUseFlagsRunKnows() throws {
        let help = try sluice("run", "--help").stdout
        for file in ["deploy/sluice.yaml", "deploy/sluice.service"] {
            let text = try String(contentsOfFile: ProjectPaths.root + "/" + file, encoding: .utf8)
            let flags = Set(text.matches(of: /--([a-z][a-z-]*)/).map { String($0.output.1) })
            #expect(flags.count >= 5, "\(file)")
            for flag in flags { #expect(help.contains("--\(flag)"), "\(file) uses --\(flag), which sluice run does not have") }
        }
    }

    @Test func aBadMachineFileStopsRunBeforeAnyStateExists() throws {
        let file = state + ".notifications.yaml"
        try "targets:\n  - name: a\n    type: teams\n    url: https://example.com\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let run = try sluice("run", "--repo", repo.path, "--state", state, "--virtual-time", "--until-idle", "--notifications", file)
        #expect(run.status == 1 && run.stderr.contains("\(file):3:11: type of a must be slack or webhook"))
        let tokens = try sluice("run", "--repo", repo.path, "--state", state, "--virtual-time", "--until-idle", "--listen", "0", "--tokens-file", file)
        #expect(tokens.status == 1 && tokens.stderr.contains("\(file):1:1:"))
        #expect(!FileManager.default.fileExists(atPath: state))
    }

    /// A post-check of the staging pipeline's test stage, defined by `body` (its fields,
    /// indented as under `checks`), committed on main and staging.
    func addTestStageCheck(_ name: String, _ body: String) throws {
        let pipeline = try repo.read("pipelines/staging.yaml")
        try repo.write("pipelines/staging.yaml", pipeline
            .replacingOccurrences(of: "        post: [healthy]\n", with: "        post: [healthy, \(name)]\n")
            .replacingOccurrences(of: "  checks:\n    healthy:", with: "  checks:\n    \(name):\n      \(body)\n    healthy:"))
        try repo.commit("check \(name)")
        try repo.git("branch", "-f", "staging", "HEAD")
    }

    /// A program outside the repo runs only when the machine allows it: with
    /// `--allow-command` staging converges; without, the check fails and the stage halts.
    @Test func allowCommandLetsAMachineProgramRun() async throws {
        try addTestStageCheck("machine-probe", "type: command\n      command: /bin/true")
        let arguments = ["run", "--repo", repo.path, "--state", state, "--virtual-time", "--until-idle", "--interval", "60s", "--resync", "0"]
        let refused = try ProcessResult.run(ProjectPaths.sluiceBinary, arguments)
        #expect(refused.status == 3, "\(refused.stderr.suffix(300))")
        let store = try SQLiteStateStore(path: state)
        #expect(try await store.history(HistoryFilter(environment: "staging", limit: 10_000)).contains { $0.outcome == .checkFailed })
        // Allowed on this machine: the failed batch is resumed and the stage goes on.
        try await store.enqueue(OperatorCommand(environment: "staging", verb: .resume, user: "test", reason: "allowed now", at: Date()))
        let allowed = try ProcessResult.run(ProjectPaths.sluiceBinary, arguments + ["--allow-command", "/bin/true"])
        #expect(allowed.status == 5 || allowed.status == 0, "\(allowed.stderr.suffix(300))")
        #expect(try await store.rollout(environment: "staging")?.phase == .done)
    }

    /// A check program sluice started is stopped with sluice: SIGTERM kills its process group
    /// (it survived before), and the stop is not taken as the check failing.
    @Test func sigtermStopsTheProgramsSluiceStarted() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-sigterm-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fifo = folder + "/started"
        #expect(mkfifo(fifo, 0o600) == 0)
        try repo.write("checks/slow.sh", "#!/bin/sh\necho $$ > \(fifo)\nexec sleep 600\n")
        try repo.write("policies/fleet.yaml", try repo.read("policies/fleet.yaml")
            .replacingOccurrences(of: "    - ./checks/dns-probe.sh", with: "    - ./checks/dns-probe.sh\n    - ./checks/slow.sh"))
        try addTestStageCheck("slow", "type: command\n      command: ./checks/slow.sh\n      timeout: 1h")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProjectPaths.sluiceBinary)
        process.arguments = ["run", "--repo", repo.path, "--state", state, "--interval", "60s", "--resync", "0", "--virtual-time"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Safety net only: a sluice that never ran the check would leave the read below waiting.
        let watchdog = DispatchWorkItem {
            kill(process.processIdentifier, SIGKILL)
            if let writer = FileHandle(forWritingAtPath: fifo) { writer.write(Data("0\n".utf8)) }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + 300, execute: watchdog)
        // Opening the FIFO waits until the check program writes its pid: no sleep, no polling.
        let reader = try #require(FileHandle(forReadingAtPath: fifo))
        let started = String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
        try reader.close()
        let child = try #require(pid_t(started.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(child > 0)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        watchdog.cancel()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        // The program is gone (or a zombie nobody waits for).
        let stat = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)) ?? ""
        #expect(kill(child, 0) != 0 || stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") == true)
        let store = try SQLiteStateStore(path: state)
        #expect(await !(try store.history(HistoryFilter(environment: "staging", limit: 10_000))).contains { $0.outcome == .checkFailed })
    }
}
