import Foundation

@testable import SluiceGit
import SluiceTestSupport
import Testing

@Suite(.timeLimit(.minutes(10))) struct GitRepositoryTests {
    /// main: c1 (a.txt=one, dir/b.txt) -> c2 (a.txt=two, c.txt) -> merge of `feature` (f.txt);
    /// tag v1 on c1.
    let repo: TestRepository
    let c1: String, c2: String

    init() throws {
        repo = try TestRepository()
        try repo.write("a.txt", "one\n")
        try repo.write("dir/b.txt", "bee\n")
        c1 = try repo.commit("first")
        try repo.git("tag", "v1")
        try repo.write("a.txt", "two\n")
        try repo.write("c.txt", "sea\n")
        c2 = try repo.commit("second")
        try repo.git("checkout", "-q", "-b", "feature")
        try repo.write("f.txt", "feature\n")
        try repo.commit("feature work")
        try repo.git("checkout", "-q", "main")
        try repo.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    }

    @Test func resolvesBranchesTagsAndShas() throws {
        let git = try GitRepository.open(repo.path)
        #expect(try git.resolve("v1").hex == c1)
        #expect(try git.resolve(c2).hex == c2)
        #expect(try git.resolve(String(c2.prefix(8))).hex == c2)
        #expect(try git.resolve("HEAD~1").hex == c2)
        #expect(try git.resolve("main") == git.resolve("HEAD"))
        #expect(try git.resolve("feature") != git.resolve("main"))
    }

    @Test func unknownRevisionCarriesLibgit2Message() throws {
        let git = try GitRepository.open(repo.path)
        do {
            _ = try git.resolve("no-such-branch")
            Issue.record("resolve should fail")
        } catch {
            #expect(error.isNotFound)
            #expect(error.description.contains("no-such-branch"))
        }
    }

    /// A misspelt branch gets the closest branch or tag; going back past the first commit is
    /// said in words (issue 11); both stay typed as not found.
    @Test func unknownRevisionsAreExplained() throws {
        let git = try GitRepository.open(repo.path)
        #expect(git.referenceNames() == ["feature", "main", "v1"])
        func message(_ revision: String) -> String? {
            do {
                _ = try git.resolve(revision)
                return nil
            } catch {
                #expect(error.isNotFound)
                return error.message
            }
        }
        #expect(message("mian")?.contains("did you mean \"main\"") == true)
        #expect(message("featur")?.contains("did you mean \"feature\"") == true)
        // main: c1 <- c2 <- merge, so HEAD has 2 commits before it along first parents.
        #expect(message("HEAD~5") == "goes back past the first commit (HEAD has 2 commits before it)")
        #expect(message("main^^^") == "goes back past the first commit (main has 2 commits before it)")
        #expect(message("HEAD~2") == nil)
    }

    @Test func openingANonRepositoryFails() {
        #expect(throws: GitError.self) { try GitRepository.open("/nonexistent/path") }
        #expect(!GitRepository.isRepository(FileManager.default.temporaryDirectory.path))
    }

    @Test func readsFilesAtAnyCommitWithoutCheckout() throws {
        let git = try GitRepository.open(repo.path)
        let first = try #require(ObjectID(hex: c1))
        #expect(String(decoding: try git.readFile("a.txt", at: first), as: UTF8.self) == "one\n")
        #expect(String(decoding: try git.readFile("a.txt", at: try git.resolve("HEAD")), as: UTF8.self) == "two\n")
        #expect(throws: GitError.self) { try git.readFile("c.txt", at: first) }
        #expect(throws: GitError.self) { try git.readFile("dir", at: first) }
    }

    @Test func listsTheTreeWithLinks() throws {
        try FileManager.default.createSymbolicLink(atPath: repo.path + "/link", withDestinationPath: "a.txt")
        let head = try repo.commit("link")
        let git = try GitRepository.open(repo.path)
        let tree = try git.tree(at: try #require(ObjectID(hex: head)))
        #expect(tree.entries().map(\.path) == ["a.txt", "c.txt", "dir/b.txt", "f.txt", "link"])
        #expect(tree.entries().last?.kind == .symlink)
        #expect(try tree.linkTarget("link") == "a.txt")
        #expect(try tree.size(of: "dir/b.txt") == 4)
        #expect(try tree.read("dir/b.txt") == Array("bee\n".utf8))
    }

    @Test func changedPathsBetweenCommits() throws {
        let git = try GitRepository.open(repo.path)
        let paths = try git.changedPaths(from: #require(ObjectID(hex: c1)), to: git.resolve("HEAD"))
        #expect(paths == ["a.txt", "c.txt", "f.txt"])
        try repo.git("mv", "c.txt", "d.txt")
        try repo.remove("dir/b.txt")
        let head = try repo.commit("move and delete")
        #expect(try git.changedPaths(from: git.resolve("HEAD~1"), to: #require(ObjectID(hex: head))) == ["c.txt", "d.txt", "dir/b.txt"])
    }

    @Test func firstParentHistorySkipsMergedBranchCommits() throws {
        let git = try GitRepository.open(repo.path)
        let history = try git.firstParentHistory(from: git.resolve("HEAD"))
        #expect(history.count == 3)
        #expect(history[1].hex == c2)
        #expect(history[2].hex == c1)
        let merge = try git.commitInfo(history[0])
        #expect(merge.parents.count == 2)
        #expect(merge.summary == "merge feature")
        #expect(merge.author == "Sluice Test")
        #expect(try git.firstParentHistory(from: git.resolve("HEAD"), limit: 2).count == 2)
    }

    @Test func clonesByPathAndFileURLAndFetches() throws {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-clone-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: target) }
        let clone = try GitRepository.clone(from: "file://" + repo.path, to: target)
        #expect(try clone.resolve("main") == GitRepository.open(repo.path).resolve("main"))
        // A branch that exists only on the remote resolves through origin/.
        #expect(try clone.resolve("feature") == GitRepository.open(repo.path).resolve("feature"))
        try repo.write("new.txt", "new\n")
        let newest = try repo.commit("after clone")
        #expect(try clone.resolve("origin/main").hex != newest)
        try clone.fetch()
        #expect(try clone.resolve("origin/main").hex == newest)

        let byPath = target + "-path"
        defer { try? FileManager.default.removeItem(atPath: byPath) }
        #expect(try GitRepository.clone(from: repo.path, to: byPath).resolve("v1").hex == c1)
    }

    @Test func cloningFromANonexistentURLFailsWithMessage() {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-clone-\(UUID().uuidString)").path
        do {
            _ = try GitRepository.clone(from: "file:///nonexistent/repo", to: target)
            Issue.record("clone should fail")
        } catch {
            #expect(error.description.hasPrefix("clone file:///nonexistent/repo: "))
        }
    }
}


/// Did-you-mean: a swap of two letters is one typo, and of equally close names the same one
/// is offered every time (issue 11: `plan` and `render` suggested different clusters).
@Suite(.timeLimit(.minutes(10))) struct SuggestionTests {
    @Test func transpositionsAreOneEditAndTiesGoByName() {
        #expect(Suggestion.editDistance("mian", "main") == 1)
        #expect(Suggestion.closest(to: "mian", in: ["master", "main"]) == "main")
        for _ in 0..<20 {
            #expect(Suggestion.closest(to: "prod-eu-9", in: Set(["prod-eu-3", "prod-eu-1", "prod-eu-2"])) == "prod-eu-1")
        }
        #expect(Suggestion.closest(to: "zzzz", in: ["main"]) == nil)
    }
}
