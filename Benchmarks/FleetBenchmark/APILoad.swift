import Foundation
import Logging
import SluiceCore
import SluiceQueries
import SluiceRollout
import SluiceServer
import SluiceStore

/// The API served from the rollout's store while wrk (Debian's) loads `/api/v1/status` and
/// `/api/v1/matrix` on loopback, one thread and 4 connections each, until the rollout ends;
/// asking for gzip as browsers and most HTTP clients do, or not (`--serve-uncompressed`).
struct APILoad {
    let server: Task<Void, any Error>
    let loads: [(path: String, process: Process, output: String)]
    /// wrk's Lua scripts (`rate`), removed when it stops.
    let scripts: [String]

    static func start(store: any StateStore, root: String, options: EnvironmentRunner.Options, clock: any FleetClock,
                      compressed: Bool, rate: Int?, logger: Logger) async throws -> APILoad {
        let settings = ServerSettings(host: "127.0.0.1", port: 0)
        let handler = APIHandler(store: store, models: CommitModels(location: root), nudges: options.nudges, pulse: options.pulse, clock: clock,
                                 settings: settings, logger: logger)
        let (ports, listening) = AsyncStream<Int>.makeStream()
        let server = Task { try await HTTPServer(handler: handler, settings: settings, logger: logger, onListening: { listening.yield($0) }).run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw BenchmarkError("the API server did not start") }
        var loads: [(String, Process, String)] = []
        var scripts: [String] = []
        for path in ["/api/v1/status", "/api/v1/matrix"] {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-wrk-\(UUID().uuidString).txt").path
            FileManager.default.createFile(atPath: output, contents: nil)
            let process = Process()
 
            // At the lowest priority (SCHED_IDLE): the load stands for browsers and scripts on
            // other machines; on a 2-core box the generator must not take the controller's CPU. Started through
            // python3, which clears the signal mask: Foundation's `Process` passes on a mask
            // that blocks SIGINT, and wrk prints its figures only on SIGINT.
            // At `rate` requests/s per route: each of the 4 connections waits between requests.
            var script: [String] = []
            if let rate {
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-wrk-\(UUID().uuidString).lua").path
                try "function delay() return \(max(1, 4_000 / max(1, rate))) end\n".write(toFile: file, atomically: true, encoding: .utf8)
                script = ["-s", file]
                scripts.append(file)
            }
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
                                 "/usr/bin/chrt", "--idle", "0", "/usr/bin/wrk", "-t1", "-c4", "-d600s", "--latency", "--timeout", "30s"]
                + (compressed ? ["-H", "Accept-Encoding: gzip"] : []) + script + ["http://127.0.0.1:\(port)\(path)"]
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            process.standardError = FileHandle.nullDevice
            try process.run()
            loads.append((path, process, output))
        }
        return APILoad(server: server, loads: loads, scripts: scripts)
    }

    /// Stops wrk (it prints its summary on SIGINT) and the server; the figures, a line each.
    func stop() async throws -> String {
        var lines: [String] = []
        for (path, process, output) in loads {
            kill(process.processIdentifier, SIGINT)
            process.waitUntilExit()
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: output)
            let rate = text.split(separator: "\n").first { $0.hasPrefix("Requests/sec:") }.map { $0.split(separator: " ").last.map(String.init) ?? "?" } ?? "?"
            let p99 = text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("99%") }
                .map { $0.split(separator: " ").last.map(String.init) ?? "?" } ?? "?"
            let count = text.split(separator: "\n").first { $0.contains("requests in") }.map { $0.trimmingCharacters(in: .whitespaces) } ?? "?"
            // Answers other than 2xx (wrk counts them apart): an error is not a served read.
            let errors = text.split(separator: "\n").first { $0.contains("Non-2xx") }.map { $0.split(separator: " ").last.map(String.init) ?? "?" } ?? "0"
            lines.append("API load on \(path) during the rollout: \(rate) requests/s, p99 \(p99), \(errors) not 2xx (\(count))")
        }
        for script in scripts { try? FileManager.default.removeItem(atPath: script) }
        server.cancel()
        _ = await server.result
        return lines.joined(separator: "\n")
    }
}
