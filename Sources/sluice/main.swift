import ArgumentParser
import Foundation

// Exit codes: 0 success, 1 invalid input, 2 usage (argument-parser's own code is 64).
// In an explicitly async function, so that `run()` resolves to the async requirement of
// AsyncParsableCommand (top-level code picks the synchronous one, which prints help).
func runSluice() async {
    do {
        var command = try Sluice.parseAsRoot()
        if var asyncCommand = command as? AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try command.run()
        }
        flushStandardOutput()
    } catch {
        flushStandardOutput()
        let code = Sluice.exitCode(for: error)
        if code == .validationFailure {
            FileHandle.standardError.write(Data((Sluice.fullMessage(for: error) + "\n").utf8))
            exit(2)
        }
        Sluice.exit(withError: error)
    }
}

/// What was printed must have reached its destination: a full disk or a closed pipe
/// (`sluice plan > /dev/full`) is an error (exit 1), not a silent success.
func flushStandardOutput() {
    guard let reason = StandardOutput.failure else { return }
    FileHandle.standardError.write(Data("error: cannot write standard output: \(reason)\n".utf8))
    exit(1)
}

await runSluice()
