public struct StoreError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What went wrong, as far as the caller can act on it.
    public enum Kind: Sendable, Equatable {
        /// The file is empty or is not a Sluice state store: refused, never taken as empty.
        case notAStore
        /// The file fails SQLite's integrity check, or SQLite found damage reading it.
        case damaged
        /// The file (or its folder, where SQLite keeps its journal) cannot be written.
        case readOnly
        /// Another process held the database past the busy timeout: try again.
        case busy
        /// Another sluice writes this environment (`holder` says who).
        case environmentLocked(holder: String)
        /// The store file has several names (hard links), so it cannot be locked as one store.
        case linked(names: Int)
        /// A newer sluice wrote the store: this one does not read it (upgrade).
        case newerSchema(Int)
        /// The connection to a store on the network broke: what was being written may or
        /// may not have been committed (read it back), and the store may answer again.
        case connectionLost
        /// The store refused a transaction that ran alongside another (a serialization
        /// failure or a deadlock): nothing of it was written; run it again.
        case serializationFailure
        /// The writer lease of an environment was taken back (its holder was too slow to
        /// renew it, or the store failed over): stop writing that environment at once.
        case leaseLost(environment: String)
        case other
    }

    public var kind: Kind
    public var description: String

    public init(_ description: String, kind: Kind = .other) {
        self.description = description
        self.kind = kind
    }

    /// Worth trying again as it is (nothing about the store is wrong).
    public var isTransient: Bool {
        switch kind {
        case .busy, .connectionLost, .serializationFailure: return true
        default: return false
        }
    }
}
