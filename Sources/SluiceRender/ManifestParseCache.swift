import SluiceModel
import SluiceYAML

/// Parses each distinct template output once when it recurs: output that reads only some
/// of `.Cluster` (its region, say) renders to the same text on many clusters. Keyed by the
/// full text, so no hash collision can hand back wrong objects; a text is stored only on its
/// second sighting, so unique output costs a fingerprint, not a copy.
final class ManifestParseCache: Sendable {
    typealias Parsed = [(apiVersion: String, kind: String, object: [String: Value], mark: Mark)]

    /// The text with its hash computed once; equality still compares the whole text.
    private struct Key: Hashable, Sendable {
        let text: String
        let fingerprint: Int
        func hash(into hasher: inout Hasher) { hasher.combine(fingerprint) }
        static func == (a: Key, b: Key) -> Bool { a.fingerprint == b.fingerprint && a.text == b.text }
    }

    private let cache: ShardedCache<Key, Parsed>

    init(capacity: Int = 50_000) {
        cache = ShardedCache(capacity: capacity)
    }

    func parse(_ text: String, template: String) throws(Diagnostic) -> Parsed {
        let key = Key(text: text, fingerprint: text.hashValue)
        if let hit = cache.entry(key, hash: key.fingerprint) { return hit }
        let parsed = try ManifestStream.parse(text, template: template)
        cache.store(parsed, for: key, hash: key.fingerprint, secondSighting: true)
        return parsed
    }
}
