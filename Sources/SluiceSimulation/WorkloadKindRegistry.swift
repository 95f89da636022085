import SluiceDrivers
import SluiceCore
import Foundation
import SluiceModel

/// The custom workload kinds whose controllers the simulated clusters run: every kind a
/// planned commit described, the newest definition of a kind winning. A cluster keeps the
/// controller it had installed, so a kind is never forgotten here. This moves simulated pods
/// only; what is judged healthy and what is stepped comes from the commit being rolled out
/// (`WorkloadKinds`, passed with each call). Locked, not an actor: asked from non-async code.
public final class WorkloadKindRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var kinds: [String: WorkloadKind] = [:]

    public init(_ kinds: [WorkloadKind] = []) {
        register(kinds)
    }

    /// Adds the kinds of a commit (a kind defined again replaces its earlier definition).
    public func register(_ kinds: [WorkloadKind]) {
        lock.withLock { for kind in kinds { self.kinds[kind.key] = kind } }
    }

    public func kind(of key: ObjectKey) -> WorkloadKind? {
        lock.withLock { kinds["\(key.group)/\(key.kind)"] }
    }
}
