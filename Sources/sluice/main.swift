import ArgumentParser
import Foundation

// Exit codes: 0 success, 1 invalid input, 2 usage (argument-parser's own code is 64).
do {
    var command = try Sluice.parseAsRoot()
    try command.run()
} catch {
    let code = Sluice.exitCode(for: error)
    if code == .validationFailure {
        FileHandle.standardError.write(Data((Sluice.fullMessage(for: error) + "\n").utf8))
        exit(2)
    }
    Sluice.exit(withError: error)
}
