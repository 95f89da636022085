import Synchronization
import Foundation

/// Runs a check's program to its end or its timeout (real time: it is a real program),
/// with output to a file, not a pipe, so a chatty program never blocks; the output kept is
/// bounded. A program past its timeout is killed with SIGKILL by pid (SIGTERM may be
/// ignored by a child started from async code).
enum CommandProcess {
    enum Result: Sendable, Equatable {
        case exited(Int32, output: String)
        case timedOut
        case failedToStart(String)
    }

    static let maxOutput = 4096

    static func run(_ executable: String, _ arguments: [String], environment: [String: String], timeout: Double) async -> Result {
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-check-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: (executable as NSString).deletingLastPathComponent)
        process.standardInput = FileHandle.nullDevice
        do {
            let output = try FileHandle(forWritingTo: outputURL)
            process.standardOutput = output
            process.standardError = output
        } catch {
            return .failedToStart("\(error)")
        }
        let finished = ExitLatch()
        process.terminationHandler = { _ in finished.open() }
        do { try process.run() } catch { return .failedToStart(error.localizedDescription) }
        let pid = process.processIdentifier
        let exited = await finished.wait(timeout: timeout)
        if !exited {
            kill(pid, SIGKILL)
            await finished.wait()
            return .timedOut
        }
        let bytes = (try? Data(contentsOf: outputURL)) ?? Data()
        // One line: it goes into the history and the log.
        let text = String(decoding: bytes.prefix(maxOutput), as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " | ")
        return .exited(process.terminationStatus, output: text)
    }
}

/// Opened once by the termination handler; waited on with or without a (real-time) timeout.
final class ExitLatch: Sendable {
    private struct State {
        var opened = false
        var next: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
    }

    private let state = Mutex(State())

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.opened = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }

    /// True when opened, false at the timeout.
    @discardableResult
    func wait(timeout: Double? = nil) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let id = state.withLock { state -> UInt64? in
                if state.opened { return nil }
                state.next += 1
                state.waiters[state.next] = continuation
                return state.next
            }
            guard let id else { return continuation.resume(returning: true) }
            guard let timeout else { return }
            Task {
                try? await Task.sleep(nanoseconds: UInt64(max(0, timeout) * 1_000_000_000))
                // Resumed once: here or by open(), whichever takes it out of the table.
                if let waiter = self.state.withLock({ $0.waiters.removeValue(forKey: id) }) { waiter.resume(returning: false) }
            }
        }
    }
}
