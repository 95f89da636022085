import Foundation
import SluiceModel

/// The custom workload kinds of the fleet being planned (`spec.workloads` of its add-ons),
/// shared by a connector's drivers: the planner registers them for each commit it loads, and
/// a driver asks when it meets a kind it does not know. Locked, not an actor: drivers ask from
/// non-async code (`canPartition`).
public final class WorkloadKindRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var kinds: [String: WorkloadKind] = [:]

    public init(_ kinds: [WorkloadKind] = []) {
        register(kinds)
    }

    /// The kinds of the commit now planned (they replace the earlier commit's).
    public func register(_ kinds: [WorkloadKind]) {
        let table = Dictionary(kinds.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        lock.withLock { self.kinds = table }
    }

    public func kind(of key: ObjectKey) -> WorkloadKind? {
        lock.withLock { kinds["\(key.group)/\(key.kind)"] }
    }
}
