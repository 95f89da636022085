import SluiceCore

/// Replicas of the controller sharing one store (PostgreSQL): each says it is alive, by the
/// store's clock, and learns how many are, to take its fair share of the environments'
/// leases. A store for one process (SQLite) has no registry.
public protocol ReplicaRegistry: Sendable {
    /// Marks `replica` alive for `seconds` from now by the store's clock; returns how many
    /// replicas are alive, itself included.
    func heartbeat(replica: String, seconds: Double) async throws(StoreError) -> Int
    /// `replica` leaves at once (a graceful stop): the others take its share at their next turn.
    func leave(replica: String) async
}
