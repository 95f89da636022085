import Foundation
import SluiceRollout
import SluiceTestSupport
import Testing

/// The branch watcher reads one at a time; callers that come meanwhile wait for a read that
/// starts after they came. Many at once must all come back: a caller that found the finished
/// read still marked as under way once waited on it again and again, holding the actor (and a
/// cooperative thread) so that the read's own caller could never clear it. And a burst is
/// answered by a few reads, not one per caller (under CI's load 64 reads in a row once took
/// longer than this suite's time limit).
@Suite(.timeLimit(.minutes(2))) struct BranchWatcherTests {
    @Test func concurrentRefreshesAllReturnWithTheHeads() async throws {
        let repo = try TestRepository.exampleFleet()
        let head = try repo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let watcher = BranchWatcher(location: repo.path)
        let heads = await withTaskGroup(of: [String: String].self) { group in
            for index in 0..<64 {
                group.addTask { await watcher.refresh(branches: index % 2 == 0 ? ["main"] : ["staging"]) }
            }
            var all: [[String: String]] = []
            for await found in group { all.append(found) }
            return all
        }
        #expect(heads.count == 64)
        let main = await watcher.head(of: "main"), staging = await watcher.head(of: "staging")
        #expect(main == head && staging == head)
        #expect(heads.allSatisfy { $0["main"] == head || $0["staging"] == head })
        // Each caller was answered by a read that started after it came: a first read, and
        // then few more (callers asking for a branch the read under way lacks read again).
        #expect(await watcher.reads <= 8)
        withExtendedLifetime(repo) {}
    }
}
