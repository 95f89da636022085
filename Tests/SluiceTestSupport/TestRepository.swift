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

    /// example-repo with 42 more production clusters (60 in all, of 4 nodes: simulating
    /// 120-node DaemonSets is not what such tests are about) and no approval in production,
    /// so that a rollout runs through by itself; committed on main, `staging` branched from it.
    public static func sixtyClusterFleet() throws -> TestRepository {
        let repo = try TestRepository(copying: ProjectPaths.exampleRepo)
        let template = try repo.read("clusters/prod-eu-1.yaml").replacingOccurrences(of: "nodes: 120", with: "nodes: 4")
        for index in 1...42 {
            try repo.write("clusters/prod-x-\(index).yaml", template
                .replacingOccurrences(of: "name: prod-eu-1", with: "name: prod-x-\(index)")
                .replacingOccurrences(of: "weight: \"80\"", with: "weight: \"\(100 + index)\""))
        }
        try repo.write("pipelines/production.yaml", try repo.read("pipelines/production.yaml").replacingOccurrences(of: "      approval: true\n", with: ""))
        try repo.commit("60 clusters")
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

    /// Runs a program to its end (its exit code, or 128 + the signal that ended it). Through
    /// posix_spawn and waitpid, not Foundation's Process: its waitUntilExit spun forever here,
    /// its child a zombie, once tests of the same process had started PostgreSQL.
    public static func run(_ program: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
        let process = try BackgroundProcess(program, arguments, environment: environment)
        let status = process.wait()
        return ProcessResult(status: status, stdout: process.output, stderr: process.errors)
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
    /// Real upstream Helm charts and what Helm renders from them (`../shared/helm`, beside the
    /// clone here and in CI; read in place, never copied into the repo).
    public static var sharedHelm: String { root + "/../shared/helm" }
    /// The `sluice` binary next to the test bundle in `.build/<configuration>/`.
    public static var sluiceBinary: String {
        var url = Bundle.main.bundleURL
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("sluice").path) {
            url.deleteLastPathComponent()
        }
        return url.appendingPathComponent("sluice").path
    }
}
