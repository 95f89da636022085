import Foundation
@testable import SluicePlan
import SluiceCore
import SluiceStore
import Testing

/// Matching a cluster's records to its release's add-ons in one walk, with a fallback that
/// keeps the result right whatever order the records come in.
@Suite(.timeLimit(.minutes(10))) struct ReleaseOrderTests {
    static func record(_ addon: String) -> AppliedRecord {
        AppliedRecord(environment: "e", cluster: "c", addon: addon, commit: "abc", digest: "d", appliedAt: Date(timeIntervalSince1970: 0))
    }

    let order = ReleaseOrder(["kube-proxy", "calico", "coredns", "metrics-server"])

    @Test func sortedRecordsArePlacedByDependencyPosition() {
        let records = ArraySlice(["calico", "coredns", "kube-proxy", "metrics-server"].map(Self.record))
        let (recordAt, removed) = order.match(records, disabled: [])
        #expect(recordAt.map { $0.map { records[$0].addon } } == ["kube-proxy", "calico", "coredns", "metrics-server"])
        #expect(removed.isEmpty)
    }

    @Test func recordsInAnotherOrderAreStillPlacedNotPruned() {
        let records = ArraySlice(["metrics-server", "kube-proxy", "coredns", "calico"].map(Self.record))
        let (recordAt, removed) = order.match(records, disabled: [])
        #expect(recordAt.map { $0.map { records[$0].addon } } == ["kube-proxy", "calico", "coredns", "metrics-server"])
        #expect(removed.isEmpty)
    }

    @Test func addonsLeftOrDisabledAreRemovedAndMissingOnesAreNil() {
        let records = ArraySlice(["calico", "coredns", "fluent-bit", "metrics-server"].map(Self.record))
        let (recordAt, removed) = order.match(records, disabled: ["metrics-server"])
        #expect(recordAt.map { $0.map { records[$0].addon } } == [nil, "calico", "coredns", nil])
        #expect(removed.map(\.addon) == ["fluent-bit", "metrics-server"])
    }
}
