import Dispatch
import Foundation
import SluiceCore
import Testing

/// Blocking work (libgit2, a fetch, a whole commit parsed) runs on Dispatch's threads: more
/// blocked bodies than the cooperative pool has threads leave it free for everyone else.
@Suite(.timeLimit(.minutes(1))) struct BlockingWorkTests {
    @Test func blockedWorkLeavesTheCooperativePoolFree() async throws {
        let blocked = ProcessInfo.processInfo.activeProcessorCount + 2
        let release = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let works = (0..<blocked).map { index in
            Task {
                await BlockingWork.run { () -> Int in
                    started.signal()
                    release.wait()
                    return index
                }
            }
        }
        // Every body has started and blocks its thread; async work still runs.
        for _ in 0..<blocked { await withCheckedContinuation { c in DispatchQueue.global().async { started.wait(); c.resume() } } }
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
