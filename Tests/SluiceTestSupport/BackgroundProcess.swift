import Foundation
import SluiceDrivers

/// A program running beside a test (a replica of the controller): started as sluice starts programs,
/// its output in files, signalled and waited for by the test, killed at deinit if still running.
public final class BackgroundProcess: @unchecked Sendable {
    public let pid: pid_t
    public let outputPath: String
    public let errorPath: String
    private var status: Int32?

    /// `environment`: the child's whole environment (nil: this process's).
    public init(_ program: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bg-\(UUID().uuidString)").path
        outputPath = base + ".out"
        errorPath = base + ".err"
        let output = open(outputPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644), errors = open(errorPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        defer { close(output); close(errors) }
        switch ChildProcess.spawn(program, arguments, environment: environment ?? ProcessInfo.processInfo.environment,
                                  stdout: output, stderr: errors) {
        case .success(let started): pid = started
        case .failure(let error): throw TestFailure(error.description)
        }
    }

    public func signal(_ signal: Int32) { if status == nil { kill(pid, signal) } }

    /// Waits for it to end: its exit code, or 128 + the signal that ended it.
    @discardableResult
    public func wait() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let ended = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        status = ended
        return ended
    }

    public var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    public var errors: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    deinit {
        if status == nil {
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        }
        try? FileManager.default.removeItem(atPath: outputPath)
        try? FileManager.default.removeItem(atPath: errorPath)
    }
}
