import Foundation

/// A throwaway Git repository for tests, driven by the `git` command (tests only: the
/// product reads Git through libgit2). Removed when the value is deinitialised.
public final class TestRepository: @unchecked Sendable {  // its path never changes; git runs as a child process
    public let path: String

    /// A new repository on branch `main`, optionally filled with a copy of `template`.
    public init(copying template: String? = nil) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        if let template {
            for item in try FileManager.default.contentsOfDirectory(atPath: template) {
                try FileManager.default.copyItem(atPath: template + "/" + item, toPath: path + "/" + item)
            }
        }
        try git("init", "-q", "-b", "main")
        try git("config", "user.name", "Sluice Test")
        try git("config", "user.email", "test@example.com")
        try git("config", "commit.gpgsign", "false")
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func write(_ relative: String, _ text: String) throws {
        try write(relative, bytes: Array(text.utf8))
    }

    public func write(_ relative: String, bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: path + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    public func remove(_ relative: String) throws {
        try FileManager.default.removeItem(atPath: path + "/" + relative)
    }

    public func read(_ relative: String) throws -> String {
        try String(contentsOfFile: path + "/" + relative, encoding: .utf8)
    }

    /// A Git copy of example-repo, committed on main, with `staging` branched from it: the
    /// fleet every environment starts from.
    public static func exampleFleet() throws -> TestRepository {
        let repo = try TestRepository(copying: ProjectPaths.exampleRepo)
        try repo.commit("fleet")
        try repo.git("branch", "staging")
        return repo
    }

    /// Stages everything and commits; returns the new commit's SHA.
    @discardableResult
    public func commit(_ message: String) throws -> String {
        try git("add", "-A")
        try git("commit", "-q", "--allow-empty", "-m", message)
        return try git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @discardableResult
    public func git(_ arguments: String...) throws -> String {
        try Self.run("/usr/bin/git", ["-C", path] + arguments)
    }

    /// Runs a program to completion and returns its standard output; throws on failure.
    @discardableResult
    public static func run(_ program: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
        let result = try ProcessResult.run(program, arguments, environment: environment)
        guard result.status == 0 else {
            throw TestFailure("\(program) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result.stdout
    }
}

/// What a finished process printed and returned.
public struct ProcessResult {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public static func run(_ program: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
        // Output goes to files, not pipes: a child that prints a lot can never block on a full pipe.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-proc-\(UUID().uuidString)")
        let outURL = base.appendingPathExtension("out"), errURL = base.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        // posix_spawn and waitpid, not Foundation's Process: its waitUntilExit spun forever
        // here, its child a zombie, once tests of the same process had started PostgreSQL.
        let output = open(outURL.path, O_WRONLY | O_CLOEXEC), errors = open(errURL.path, O_WRONLY | O_CLOEXEC)
        defer { close(output); close(errors) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, errors, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let variables = environment ?? ProcessInfo.processInfo.environment
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let envp = variables.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
        guard code == 0 else { throw TestFailure("\(program) cannot be started: \(String(cString: strerror(code)))") }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        // As Foundation's terminationStatus: the exit code, or the signal that ended it.
        let exited = raw & 0x7F == 0
        return ProcessResult(
            status: exited ? (raw >> 8) & 0xFF : raw & 0x7F,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Paths of the project's own folders, found from this file's location.
public enum ProjectPaths {
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static var exampleRepo: String { root + "/example-repo" }
    /// The OpenAPI v3 documents a real kube-apiserver served, descriptions removed.
    public static var openAPIDocuments: String { root + "/Tests/Fixtures/openapi" }
    public static var corpus: String { root + "/Tests/SluiceCLITests/Corpus" }
    /// The `sluice` binary next to the test bundle in `.build/<configuration>/`.
    public static var sluiceBinary: String {
        var url = Bundle.main.bundleURL
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("sluice").path) {
            url.deleteLastPathComponent()
        }
        return url.appendingPathComponent("sluice").path
    }
}
