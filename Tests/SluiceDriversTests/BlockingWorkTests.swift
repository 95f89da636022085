import Dispatch
import Foundation
import SluiceCore
import Testing

/// Blocking work (libgit2, a fetch, a whole commit parsed) runs on Dispatch's threads: more
/// blocked bodies than the cooperative pool has threads leave it free for everyone else.
@Suite(.timeLimit(.minutes(10))) struct BlockingWorkTests {
    @Test func blockedWorkLeavesTheCooperativePoolFree() async throws {
        let blocked = ProcessInfo.processInfo.activeProcessorCount + 2
        let release = DispatchSemaphore(value: 0)
        let (started, starting) = AsyncStream<Void>.makeStream()
        let works = (0..<blocked).map { index in
            Task {
                await BlockingWork.run { () -> Int in
                    starting.yield()
                    release.wait()
                    return index
                }
            }
        }
        // Every body has started and blocks its thread (a body on the pool would wait for a
        // thread forever: the test's time limit ends it); async work still runs.
        var count = 0
        for await _ in started {
            count += 1
            if count == blocked { break }
        }
        let probe = await Task.detached { (1...10).reduce(0, +) }.value
        #expect(probe == 55)
        for _ in 0..<blocked { release.signal() }
        var results: [Int] = []
        for work in works { results.append(await work.value) }
        #expect(results == Array(0..<blocked))
    }

    @Test func aTypedErrorComesBackAsItself() async {
        struct Refused: Error, Equatable {}
        await #expect(throws: Refused()) {
            try await BlockingWork.run { () throws(Refused) -> Int in throw Refused() }
        }
    }
}
