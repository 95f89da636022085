import Foundation
import SluiceCore
@testable import SluicePlan
import SluiceSQLite
import SluiceStore
import Testing

/// The controller's records in memory: after any change, what a plan gets from the mirror is
/// what a full read of the store gives.
@Suite struct AppliedRecordsMirrorTests {
    let at = Date(timeIntervalSince1970: 1_800_000_000)

    func record(_ environment: String, _ cluster: String, _ addon: String, _ commit: String) -> AppliedRecord {
        AppliedRecord(environment: environment, cluster: cluster, addon: addon, commit: commit, digest: "d-\(commit)", appliedAt: at)
    }

    func expectSame(_ mirror: AppliedRecordsMirror, _ store: SQLiteStateStore) async throws {
        let mirrored = try await mirror.records(from: store)
        let full = FleetPlanner.group(try await store.applied())
        #expect(mirrored.byCluster.mapValues { $0.mapValues(Array.init) } == full.byCluster.mapValues { $0.mapValues(Array.init) })
        #expect(mirrored.commits == full.commits)
    }

    @Test func theMirrorIsAFullReadAfterEveryKindOfChange() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-mirror-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try SQLiteStateStore(path: folder + "/state.db")
        let mirror = AppliedRecordsMirror()
        try await expectSame(mirror, store)
        try await store.recordApply([record("prod", "c1", "dns", "a"), record("prod", "c1", "cni", "a"), record("prod", "c2", "dns", "a"),
                                     record("stg", "t1", "dns", "a")])
        try await expectSame(mirror, store)
        // Re-recorded at another commit, marked pending, removed, a new cluster: each seen.
        try await store.recordApply([record("prod", "c1", "dns", "b"), record("prod", "c3", "dns", "b")])
        var mark = StoreTransition()
        mark.pending = [PendingApply(environment: "prod", cluster: "c2", addon: "dns", commit: "b")]
        try await store.commit(mark)
        try await store.removeApplied(environment: "stg", cluster: "t1", addon: "dns", commit: "b", at: at)
        try await expectSame(mirror, store)
        // The last record of commit a goes: a plan no longer compares with a.
        try await store.recordApply([record("prod", "c1", "cni", "b"), record("prod", "c2", "dns", "b")])
        try await expectSame(mirror, store)
        #expect(try await mirror.records(from: store).commits == ["b"])
        // Removed, then recorded again between two plans.
        try await store.removeApplied(environment: "prod", cluster: "c3", addon: "dns", commit: "c", at: at)
        try await store.recordApply(record("prod", "c3", "dns", "c"))
        try await expectSame(mirror, store)
        // Plans asking at once get the same records.
        async let one = mirror.records(from: store)
        async let two = mirror.records(from: store)
        let (first, second) = try await (one, two)
        #expect(first.byCluster.mapValues { $0.mapValues(Array.init) } == second.byCluster.mapValues { $0.mapValues(Array.init) })
    }

    @Test func aStoreThatCannotAnswerFailsThePlan() async throws {
        struct Failing: AppliedRecordSource {
            func applied() async throws(StoreError) -> [AppliedRecord] { throw StoreError("disk I/O error") }
            func appliedChanges(since version: Int64) async throws(StoreError) -> AppliedChanges { throw StoreError("disk I/O error") }
            func renderSecret() async throws(StoreError) -> [UInt8] { throw StoreError("disk I/O error") }
        }
        await #expect(throws: PlanError.self) { try await AppliedRecordsMirror().records(from: Failing()) }
    }
}
