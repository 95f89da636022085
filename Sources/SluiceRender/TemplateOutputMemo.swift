import SluiceModel
import SluiceYAML

/// Remembers, per release, add-on and template, what does not depend on the cluster. For a
/// cluster without an override of the add-on's values, everything but `.Cluster` is the
/// same on every cluster of the release. A template that did not read `.Cluster` is then
/// evaluated, parsed and finished once per release, not once per cluster; one that did
/// keeps its plan, so only its cluster-dependent nodes run again. Clusters with an
/// override never use or fill the memo.
final class TemplateOutputMemo: Sendable {
    struct Key: Hashable, Sendable {
        let release: String
        let addon: String
        let template: String
    }

    struct Output: Sendable {
        let text: String
        /// Each finished object with the mark of its YAML document in `text`.
        let objects: [(mark: Mark, object: RenderedObject)]
    }

    enum Entry: Sendable {
        /// The template's finished objects, the same on every such cluster.
        case constant(Output)
        case plan(TemplatePlan)
    }

    private let cache: ShardedCache<Key, Entry>

    init(capacity: Int = 100_000) {
        cache = ShardedCache(capacity: capacity)
    }

    func entry(for key: Key) -> Entry? { cache.entry(key, hash: key.hashValue) }

    func remember(_ entry: Entry, for key: Key) { cache.store(entry, for: key, hash: key.hashValue) }
}
