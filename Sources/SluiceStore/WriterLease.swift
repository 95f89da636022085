import SluiceCore

/// The right to change one environment's clusters and records, held by one writer at a time
/// (`WriterLeases.lockEnvironment`). It ends when released, when its holder dies, or, for a
/// store on a network, when the store takes it back: a holder that finds it lost stops
/// writing (`StoreError.Kind.leaseLost`).
public protocol WriterLease: Sendable {
    /// Who holds it, as others are told when they are refused.
    var holder: String { get }
    /// Still held: throws `.leaseLost` once it is not (a network store renews it here).
    func confirm() async throws(StoreError)
    /// Gives it up (idempotent); another writer can take it at once.
    func release() async
}
