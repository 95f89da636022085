import SluiceModel
import SluiceYAML

/// Remembers the values of template actions (`{{ ... }}`, whose content Go's templates call a
/// pipeline: nothing to do with rollout pipelines) that do not depend on the cluster, such as
/// `{{ include "labels" . | nindent 4 }}` or `{{ toYaml .Values.resources | nindent 12 }}`
/// in a template that elsewhere prints `.Cluster.name`. A pipeline qualifies when it is
/// evaluated with the root data as dot, reads no variable but `$` (the root), does not read
/// `.Cluster`, and calls a function. Its value then depends only on the release, the
/// add-on and its values, which clusters without an override of those values share.
final class ActionMemo: Sendable {
    struct Key: Hashable, Sendable {
        let release: String
        let file: String
        let mark: Mark
    }

    private let cache: ShardedCache<Key, Datum>

    init(capacity: Int = 200_000) {
        cache = ShardedCache(capacity: capacity)
    }

    func value(for key: Key) -> Datum? { cache.entry(key, hash: key.hashValue) }

    func remember(_ value: Datum, for key: Key) { cache.store(value, for: key, hash: key.hashValue) }
}
