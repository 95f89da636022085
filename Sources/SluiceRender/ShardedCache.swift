import Synchronization

/// A bounded dictionary that rendering threads share. It is split into shards, each behind
/// its own lock, and callers pass the key's hash (computed once, outside any lock), so two
/// threads rarely wait for each other. When full it stops storing: the caches built on it
/// hold things that are cheap to recompute, so a miss is slower, never wrong.
package final class ShardedCache<Key: Hashable & Sendable, Entry: Sendable>: Sendable {
    private struct Shard {
        var entries: [Key: Entry] = [:]
        var seenOnce = Set<Int>()
    }

    /// `Mutex` cannot be copied into an array; a box per shard can.
    private final class LockedShard: Sendable {
        let state = Mutex(Shard())
    }

    private static var shardCount: Int { 16 }
    private let shards: [LockedShard]
    private let capacityPerShard: Int

    package init(capacity: Int) {
        shards = (0..<Self.shardCount).map { _ in LockedShard() }
        capacityPerShard = max(1, capacity / Self.shardCount)
    }

    private func shard(_ hash: Int) -> LockedShard {
        shards[Int(UInt(bitPattern: hash) % UInt(Self.shardCount))]
    }

    package func entry(_ key: Key, hash: Int) -> Entry? {
        shard(hash).state.withLock { $0.entries[key] }
    }

    /// Stores the entry unless the shard is full. With `secondSighting`, only a key whose
    /// hash was offered before is stored: things seen once (most cluster-specific output)
    /// then cost 8 bytes instead of their whole text.
    package func store(_ entry: Entry, for key: Key, hash: Int, secondSighting: Bool = false) {
        let capacity = capacityPerShard
        shard(hash).state.withLock { state in
            guard state.entries.count < capacity else { return }
            if secondSighting && state.seenOnce.insert(hash).inserted { return }
            state.entries[key] = entry
        }
    }
}
