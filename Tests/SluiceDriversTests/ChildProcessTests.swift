import Foundation
import SluiceCore
import SluiceDrivers
import Testing

/// Programs Sluice runs cannot wedge it: a hang is killed with its whole process group at the
/// timeout, a flood on both streams is read concurrently and bounded, a stop kills them.
@Suite(.timeLimit(.minutes(10))) struct ChildProcessTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-child-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func script(_ name: String, _ body: String) throws -> String {
        let path = folder + "/" + name
        try ChildProcess.writeExecutable(Array(("#!/bin/sh\n" + body + "\n").utf8), to: path)
        return path
    }

    /// A process is gone when it no longer exists or is a zombie nobody reaps.
    static func isGone(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return true }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true
    }

    @Test func exitStatusAndBothStreamsAreKeptApart() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try script("speak", "echo out; echo err >&2; exit 3")
        let output = try await ChildProcess.run(path, [], environment: [:], timeout: 30)
        #expect(output.status == .exited(3))
        #expect(String(decoding: output.stdout, as: UTF8.self) == "out\n")
        #expect(String(decoding: output.stderr, as: UTF8.self) == "err\n")
        #expect(!output.truncated)
    }

    /// 20 MB on each stream: both are drained while the program runs (no pipe fills up and
    /// blocks it), and only the first bytes are kept.
    @Test func aFloodOnBothStreamsIsReadAndBounded() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try script("flood", "yes x | head -c 20000000 >&2 & yes y | head -c 20000000; wait; exit 0")
        let output = try await ChildProcess.run(path, [], environment: ["PATH": "/usr/bin:/bin"], timeout: 50, maxOutput: 1000)
        #expect(output.status == .exited(0))
        #expect(output.stdout == Array(String(repeating: "y\n", count: 500).utf8))
        #expect(output.stderr == Array(String(repeating: "x\n", count: 500).utf8))
        #expect(output.truncated)
    }

    /// A program that hangs, and the child it started, are killed at the timeout.
    @Test func aHangIsKilledWithItsWholeGroup() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pidFile = folder + "/child.pid"
        let path = try script("hang", "sleep 600 & echo $! > \(pidFile); wait")
        let output = try await ChildProcess.run(path, [], environment: ["PATH": "/usr/bin:/bin"], timeout: 1)
        #expect(output.status == .timedOut)
        let child = try #require(pid_t(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.isGone(child))
    }

    /// A stop (sluice's SIGTERM) kills what runs; the program reports `stopped`, and one started
    /// after the stop is killed at once.
    @Test func aStopKillsWhatRuns() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let supervisor = ChildProcess.Supervisor()
        let started = folder + "/started"
        let path = try script("wait", "touch \(started); exec sleep 600")
        async let output = ChildProcess.run(path, [], environment: ["PATH": "/usr/bin:/bin"], timeout: 50, supervisor: supervisor)
        // Stop once the program runs (bounded: it starts in milliseconds).
        for _ in 0..<5000 where !FileManager.default.fileExists(atPath: started) { try await Task.sleep(nanoseconds: 1_000_000) }
        supervisor.stop()
        #expect(try await output.status == .stopped)
        let after = try await ChildProcess.run(path, [], environment: ["PATH": "/usr/bin:/bin"], timeout: 50, supervisor: supervisor)
        #expect(after.status == .stopped || after.status == .signaled(SIGKILL))
    }

    /// Cancelling the task that runs a program (an abandoned rollout action) kills it.
    @Test func cancellingTheCallerKillsTheProgram() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let started = folder + "/started"
        let path = try script("wait", "touch \(started); exec sleep 600")
        let task = Task { try await ChildProcess.run(path, [], environment: ["PATH": "/usr/bin:/bin"], timeout: 50, supervisor: ChildProcess.Supervisor()) }
        for _ in 0..<5000 where !FileManager.default.fileExists(atPath: started) { try await Task.sleep(nanoseconds: 1_000_000) }
        task.cancel()
        #expect(try await task.value.status == .stopped)
    }

    @Test func aProgramThatCannotStartIsAnError() async throws {
        await #expect(throws: ChildProcess.StartError.self) {
            _ = try await ChildProcess.run(folder + "/missing", [], environment: [:], timeout: 5)
        }
    }

    /// Sluice ignores SIGTERM (it stops gracefully): the programs it starts do not inherit that.
    @Test func signalsAreAsAFreshProgramHasThem() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let previous = signal(SIGTERM, SIG_IGN)
        defer { signal(SIGTERM, previous) }
        let path = try script("term", "kill -TERM $$; sleep 5; exit 0")
        let output = try await ChildProcess.run(path, [], environment: ["PATH": "/usr/bin:/bin"], timeout: 30)
        #expect(output.status == .signaled(SIGTERM))
    }
}
