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
    } catch {
        let code = Sluice.exitCode(for: error)
        if code == .validationFailure {
            FileHandle.standardError.write(Data((Sluice.fullMessage(for: error) + "\n").utf8))
            exit(2)
        }
        Sluice.exit(withError: error)
    }
}

await runSluice()
