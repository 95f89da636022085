import Foundation
import SluiceCore
import SluiceModel
import SluiceYAML
import Testing
@testable import SluiceRollout

/// The hook sub-machine: one hook after another, the clean-up after the last, transient
/// errors tried again until the hook's time is out, a hook that fails or never ends fails.
@Suite struct HookRunTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func hooksRunInTurnThenTheCleanUp() {
        let (started, first) = HookRun.start(.pre, count: 2, timeout: 60, now: t0)
        #expect(HookRun.start(.post, count: 0, timeout: 60, now: t0).1 == .done)
        var run = try! #require(started)
        #expect(first == .send(.create(.pre, index: 0)))
        #expect(run.answered(.created(.ok), now: t0) == .poll(.read(.pre, index: 0)))
        #expect(run.answered(.observed(.running("Job a: 0 succeeded")), now: t0.addingTimeInterval(5)) == .poll(.read(.pre, index: 0)))
        #expect(run.answered(.observed(.done), now: t0.addingTimeInterval(10)) == .send(.create(.pre, index: 1)))
        #expect(run.answered(.created(.ok), now: t0.addingTimeInterval(10)) == .poll(.read(.pre, index: 1)))
        // Each hook has its own time: the second started at 10 s, so 65 s is within it.
        #expect(run.answered(.observed(.running("b")), now: t0.addingTimeInterval(65)) == .poll(.read(.pre, index: 1)))
        #expect(run.answered(.observed(.done), now: t0.addingTimeInterval(66)) == .send(.cleanUp(.pre)))
        #expect(run.answered(.cleanedUp(.ok), now: t0.addingTimeInterval(66)) == .done)
    }

    @Test func transientErrorsAreRetriedUntilTheHooksTimeIsOut() {
        var run = try! #require(HookRun.start(.post, count: 1, timeout: 30, now: t0).0)
        let down = ActionFailure(.unreachable, "cluster unavailable")
        #expect(run.answered(.created(.failed(down)), now: t0.addingTimeInterval(10)) == .poll(.create(.post, index: 0)))
        #expect(run.answered(.created(.failed(down)), now: t0.addingTimeInterval(30)) == .failed(down))
        var refused = try! #require(HookRun.start(.post, count: 1, timeout: 30, now: t0).0)
        let invalid = ActionFailure(.rejected, "Job x: invalid")
        #expect(refused.answered(.created(.failed(invalid)), now: t0) == .failed(invalid))
    }

    @Test func aHookThatFailsOrNeverEndsFailsTheRun() {
        var run = try! #require(HookRun.start(.pre, count: 1, timeout: 30, now: t0).0)
        _ = run.answered(.created(.ok), now: t0)
        guard case .failed(let failure) = run.answered(.observed(.running("hook Job a: 0 succeeded")), now: t0.addingTimeInterval(30)) else {
            Issue.record("not failed"); return
        }
        #expect(!failure.isTransient && failure.detail.contains("hook Job a"))
        var failing = try! #require(HookRun.start(.pre, count: 1, timeout: 30, now: t0).0)
        _ = failing.answered(.created(.ok), now: t0)
        #expect(failing.answered(.observed(.failed("hook Job a failed")), now: t0) == .failed(ActionFailure(.rejected, "hook Job a failed")))
    }

    /// An answer for another stage (sent before a restart) asks for the current step again.
    @Test func aStaleAnswerAsksForTheCurrentStepAgain() {
        var run = try! #require(HookRun.start(.pre, count: 1, timeout: 30, now: t0).0)
        #expect(run.answered(.cleanedUp(.ok), now: t0) == .poll(.create(.pre, index: 0)))
        #expect(run.stage == .creating)
    }

    /// A Job is done at its Complete condition and failed at its Failed one; a Pod by its
    /// phase; any other kind once it exists.
    @Test func hookObjectsAreReadAsHelmWatchesThem() throws {
        let job = ObjectKey(group: "batch", kind: "Job", namespace: "ns", name: "migrate")
        func status(_ yaml: String, _ key: ObjectKey) throws -> HookObjectStatus {
            HookObjectStatus.of(Value(try YAMLParser().parseSingle(Array(yaml.utf8), file: "t.yaml")), key: key)
        }
        #expect(try status("status: {active: 1}", job) == .running("Job ns/migrate: 0 succeeded, 0 failed so far"))
        #expect(try status("status: {conditions: [{type: Complete, status: 'True'}], succeeded: 1}", job) == .done)
        #expect(try status("status: {conditions: [{type: Complete, status: 'False'}]}", job) != .done)
        #expect(try status("status: {conditions: [{type: Failed, status: 'True', reason: BackoffLimitExceeded, message: too many}]}", job)
                == .failed("Job ns/migrate failed: BackoffLimitExceeded: too many"))
        let pod = ObjectKey(group: "", kind: "Pod", namespace: "ns", name: "p")
        #expect(try status("status: {phase: Running}", pod) == .running("Pod ns/p: Running"))
        #expect(try status("status: {phase: Succeeded}", pod) == .done)
        #expect(try status("status: {phase: Failed, message: OOMKilled}", pod) == .failed("Pod ns/p failed: OOMKilled"))
        #expect(try status("data: {}", ObjectKey(group: "", kind: "ConfigMap", namespace: "ns", name: "c")) == .done)
    }
}
