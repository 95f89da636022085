import Foundation
import SluiceGit
import SluiceTestSupport
import Testing

/// A broken repository is an error, never read as a plain directory, and every libgit2
/// failure reads as a sentence (issue 9).
@Suite(.timeLimit(.minutes(10))) struct GitFaultTests {
    let repo: TestRepository

    init() throws {
        repo = try TestRepository()
        try repo.write("sluice.yaml", "apiVersion: sluice.dev/v1\n")
        try repo.commit("first")
    }

    func broken(_ damage: (String) throws -> Void) throws -> String {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-broken-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: repo.path, toPath: copy)
        try damage(copy)
        return copy
    }

    @Test(arguments: ["emptied", "a .git file pointing nowhere", "objects deleted"])
    func aBrokenGitFolderIsAnErrorNotAPlainDirectory(damage: String) throws {
        let path = try broken { copy in
            let git = copy + "/.git"
            switch damage {
            case "emptied":
                try FileManager.default.removeItem(atPath: git)
                try FileManager.default.createDirectory(atPath: git, withIntermediateDirectories: false)
            case "a .git file pointing nowhere":
                try FileManager.default.removeItem(atPath: git)
                try "gitdir: /nonexistent/sluice/.git\n".write(toFile: git, atomically: true, encoding: .utf8)
            default:
                for entry in try FileManager.default.contentsOfDirectory(atPath: git + "/objects") {
                    try FileManager.default.removeItem(atPath: git + "/objects/" + entry)
                }
            }
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: GitError.self) { try FleetSource.open(path, revision: nil) }
    }

    @Test func aFailureWithoutAMessageIsASentence() throws {
        let git = try GitRepository.open(repo.path)
        do {
            _ = try git.resolve("@{-1}")
            Issue.record("@{-1} resolved in a repository that never switched branches")
        } catch {
            #expect(error.isNotFound)
            #expect(!error.message.hasPrefix("libgit2 error"))
            #expect(!error.message.isEmpty)
        }
        #expect(!GitError.sentence(for: -3).contains("libgit2 error"))
    }
}
