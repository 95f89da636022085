import Synchronization
import SluiceModel

/// Parses each distinct template output once when it recurs: RBAC, Services and CRDs usually
/// render to the same text on every cluster. Keyed by the full text, so no hash collision can
/// hand back wrong objects. Bounded: a text is stored only on its second sighting (the first
/// leaves a 64-bit fingerprint), and at most `capacity` texts are kept. The text is hashed
/// outside any lock and the cache is split in shards, so rendering threads rarely wait.
final class ManifestParseCache: Sendable {
    typealias Parsed = [(apiVersion: String, kind: String, object: [String: Value], mark: Mark)]

    /// The text with its hash computed once; equality still compares the whole text.
    private struct Key: Hashable {
        let text: String
        let fingerprint: Int
        func hash(into hasher: inout Hasher) { hasher.combine(fingerprint) }
        static func == (a: Key, b: Key) -> Bool { a.fingerprint == b.fingerprint && a.text == b.text }
    }

    private struct Shard {
        var seenOnce = Set<Int>()
        var parsed: [Key: Parsed] = [:]
    }

    /// `Mutex` cannot be copied into an array; a box per shard can.
    private final class LockedShard: Sendable {
        let state = Mutex(Shard())
    }

    private static let shardCount = 16
    private let shards: [LockedShard]
    private let capacityPerShard: Int

    init(capacity: Int = 50_000) {
        shards = (0..<Self.shardCount).map { _ in LockedShard() }
        capacityPerShard = capacity / Self.shardCount
    }

    func parse(_ text: String, template: String, cluster: String) throws(Diagnostic) -> Parsed {
        let key = Key(text: text, fingerprint: text.hashValue)
        let shard = shards[Int(UInt(bitPattern: key.fingerprint) % UInt(Self.shardCount))]
        if let hit = shard.state.withLock({ $0.parsed[key] }) { return hit }
        let parsed = try ManifestStream.parse(text, template: template, cluster: cluster)
        shard.state.withLock { state in
            if state.seenOnce.contains(key.fingerprint) {
                if state.parsed.count < capacityPerShard { state.parsed[key] = parsed }
            } else {
                state.seenOnce.insert(key.fingerprint)
            }
        }
        return parsed
    }
}
