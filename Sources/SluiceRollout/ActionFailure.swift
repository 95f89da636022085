import SluiceCore

/// Why an action the machine asked for did not succeed. The machine decides by the kind
/// alone (wait for the cluster, or fail the pair or cluster); the detail is for people and
/// is never parsed.
public struct ActionFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The cluster or the fleet repo did not answer: it may pass by itself, so it is
        /// retried (the cluster waits or is skipped), never counted as a failure.
        case unreachable
        /// The cluster refused Sluice itself (credentials, permissions, a kubeconfig that
        /// does not name it): only an operator can change that.
        case refused
        /// The cluster refused what was sent (invalid, a conflict, a kind it does not serve,
        /// fields another manager owns).
        case rejected
        /// The commit cannot be planned or applied as it is (a render or schema error, a
        /// blocked field, an object another add-on owns).
        case unplannable
    }

    public var kind: Kind
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// A driver's typed error, kept as its category.
    public init(_ error: DriverError) {
        switch error {
        case .unavailable: self.init(.unreachable, error.description)
        case .refused: self.init(.refused, error.description)
        case .notFound, .conflict, .invalid, .fieldConflict, .kindNotServed: self.init(.rejected, error.description)
        }
    }

    /// Worth trying again: the cluster may come back.
    public var isTransient: Bool { kind == .unreachable }

    public var description: String { detail }
}
