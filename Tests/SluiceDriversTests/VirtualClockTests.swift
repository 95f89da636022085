import Foundation
import SluiceCore
import SluiceDrivers
import Testing

/// Virtual time moves only when every participant waits, to the earliest deadline.
@Suite(.timeLimit(.minutes(10))) struct VirtualClockTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func concurrentWaitersMoveTimeOnceNotOncePerWaiter() async throws {
        let clock = VirtualClock(start: t0)
        for _ in 0..<10 { await clock.enter() }
        let woke = await withTaskGroup(of: Date.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    try? await clock.sleep(seconds: 60)
                    let now = await clock.now()
                    await clock.leave()
                    return now
                }
            }
            return await group.reduce(into: [Date]()) { $0.append($1) }
        }
        #expect(woke.count == 10 && woke.allSatisfy { $0 == t0.addingTimeInterval(60) })
        #expect(await clock.now() == t0.addingTimeInterval(60))
    }

    @Test func eachSleeperWakesAtItsOwnDeadlineInOrder() async throws {
        let clock = VirtualClock(start: t0)
        let delays: [Double] = [30, 5, 600, 5, 90]
        for _ in delays { await clock.enter() }
        let woke = await withTaskGroup(of: (Double, Date).self) { group in
            for delay in delays {
                group.addTask {
                    try? await clock.sleep(seconds: delay)
                    let now = await clock.now()
                    await clock.leave()
                    return (delay, now)
                }
            }
            return await group.reduce(into: [(Double, Date)]()) { $0.append($1) }
        }
        for (delay, now) in woke { #expect(now == t0.addingTimeInterval(delay)) }
    }

    @Test func timeStandsStillWhileAParticipantWorks() async throws {
        let clock = VirtualClock(start: t0)
        await clock.enter()
        await clock.enter()
        let sleeper = Task {
            try? await clock.sleep(seconds: 3600)
            await clock.leave()
        }
        // The second participant has not slept: the hour has not passed.
        await Task.yield()
        #expect(await clock.now() == t0)
        await clock.leave()
        await sleeper.value
        #expect(await clock.now() == t0.addingTimeInterval(3600))
    }

    /// A runner's idle wait is a sleep that a nudge cancels from another thread: once
    /// `cancel()` returns, the sleep is no longer among the sleepers, so time cannot jump to
    /// its deadline while the nudged runner works.
    @Test func aCancelledSleepLeavesTheSleepersAtOnce() async throws {
        let clock = VirtualClock(start: t0)
        await clock.enter()  // the runner
        await clock.enter()  // this test
        let idle = Task { try await clock.sleep(seconds: 60) }
        for _ in 0..<100 { await Task.yield() }
        idle.cancel()
        // The nudged runner works, then sleeps ten seconds: time moves to its deadline, not
        // to the cancelled one's.
        let runner = Task {
            try? await clock.sleep(seconds: 10)
            let now = await clock.now()
            await clock.leave()
            return now
        }
        try await clock.sleep(seconds: 3600)
        #expect(await runner.value == t0.addingTimeInterval(10))
        await #expect(throws: CancellationError.self) { try await idle.value }
        await clock.leave()
    }
}
