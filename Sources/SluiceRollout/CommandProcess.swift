import Foundation
import SluiceCore
import SluiceDrivers

/// Runs a check's program to its end or its timeout (real time: it is a real program) as a
/// `ChildProcess`: its own process group, killed whole at the timeout or when Sluice stops,
/// its output read concurrently and bounded.
enum CommandProcess {
    enum Result: Sendable, Equatable {
        case exited(Int32, output: String)
        case timedOut
        case failedToStart(String)
        /// Killed because sluice is stopping: no verdict about the cluster.
        case stopped
    }

    static let maxOutput = 4096

    static func run(_ executable: String, _ arguments: [String], environment: [String: String], timeout: Double) async -> Result {
        let output: ChildProcess.Output
        do {
            output = try await ChildProcess.run(executable, arguments, environment: environment,
                                                directory: (executable as NSString).deletingLastPathComponent,
                                                timeout: timeout, maxOutput: maxOutput)
        } catch {
            return .failedToStart(error.description)
        }
        // One line: it goes into the history and the log.
        let text = String(decoding: output.stdout + output.stderr, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " | ")
        switch output.status {
        case .exited(let code): return .exited(code, output: text)
        case .signaled(let signal): return .exited(128 + signal, output: text)
        case .timedOut: return .timedOut
        case .stopped: return .stopped
        }
    }
}
