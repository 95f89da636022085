/// The custom workload kinds of one commit (`spec.workloads` of its add-ons), looked up by
/// group and kind. A value that travels with the commit being planned or applied: two
/// environments at different commits each judge and step their workloads by their own
/// commit's kinds, never by whichever commit was planned last.
public struct WorkloadKinds: Sendable, Equatable {
    private var table: [String: WorkloadKind]

    /// The first definition of a kind wins (add-ons in name order, as `FleetRepository` lists them).
    public init(_ kinds: [WorkloadKind] = []) {
        table = Dictionary(kinds.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public static let none = WorkloadKinds()

    public func kind(of key: ObjectKey) -> WorkloadKind? {
        table.isEmpty ? nil : table["\(key.group)/\(key.kind)"]
    }

    public var all: [WorkloadKind] { table.keys.sorted().compactMap { table[$0] } }
}
