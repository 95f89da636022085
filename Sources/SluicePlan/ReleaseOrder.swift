import SluiceCore
import SluiceModel
import SluiceRender

/// A release's add-ons in dependency order, and the same sorted by name, so that a cluster's
/// records (sorted by add-on) are matched to them in one walk instead of 400 hash lookups.
struct ReleaseOrder: Sendable {
    let addons: [String]
    private let byName: [(name: String, position: Int)]
    private let positions: [String: Int]

    init(_ addons: [String]) {
        self.addons = addons
        byName = addons.enumerated().map { ($1, $0) }.sorted { $0.name < $1.name }
        positions = Dictionary(addons.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Each add-on's record (its index in `records`) by position in `addons`, and the records of add-ons the cluster
    /// no longer runs (left the release, or disabled). A record the walk does not place (the
    /// store's order of names may differ from Swift's for unusual names) is looked up by hash.
    func match(_ records: ArraySlice<AppliedRecord>, disabled: Set<String>) -> (recordAt: [Int?], removed: [AppliedRecord]) {
        var recordAt = [Int?](repeating: nil, count: addons.count)
        var removed: [AppliedRecord] = []
        var next = 0
        for index in records.indices {
            let addon = records[index].addon
            while next < byName.count && byName[next].name < addon { next += 1 }
            let position = next < byName.count && byName[next].name == addon ? byName[next].position : positions[addon]
            if let position, disabled.isEmpty || !disabled.contains(addon) {
                recordAt[position] = index
            } else {
                removed.append(records[index])
            }
        }
        return (recordAt, removed.sorted { $0.addon < $1.addon })
    }
}
