import CHeapProbe
import SluiceGit
import SluiceTestSupport
import XCTest

/// libgit2 memory is freed. An XCTest case on purpose: `swift test` runs XCTest cases one at a
/// time, apart from the parallel Swift Testing suites, so the process-wide heap counter sees
/// only this test's allocations.
final class GitMemoryTests: XCTestCase {
    func testTenThousandReadsDoNotLeak() throws {
        let repo = try TestRepository()
        try repo.write("a.txt", "one\n")
        try repo.write("dir/b.txt", "bee\n")
        try repo.commit("first")
        let git = try GitRepository.open(repo.path)
        let head = try git.resolve("HEAD")
        let tree = try git.tree(at: head)
        for _ in 0..<200 { _ = try git.readFile("dir/b.txt", at: head); _ = try tree.read("a.txt") }
        let before = Int(sluice_heap_in_use())
        for _ in 0..<10_000 {
            _ = try git.readFile("dir/b.txt", at: head)
            _ = try tree.read("a.txt")
            _ = try tree.size(of: "dir/b.txt")
            _ = try git.resolve("HEAD")
        }
        let grown = Int(sluice_heap_in_use()) - before
        // One leaked git_object per read would be over 500 KiB here.
        XCTAssertLessThan(grown, 64 * 1024, "heap grew by \(grown) bytes over 10,000 reads")
    }
}
