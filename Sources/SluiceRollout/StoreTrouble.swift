import Foundation
import SluiceCore
import SluiceStore

/// Why an environment's runner is not acting: its store failed. The store is the truth, so
/// nothing is performed until it can be read and written again; a failure is never taken as
/// "no rollout", "not frozen" or "nothing to do". A store that is damaged (SQLite found
/// corruption, or the file is no Sluice store) or a rollout state this sluice cannot read
/// stops the environment for good (until an operator restores it and restarts); anything else
/// is tried again with exponential backoff.
struct StoreTrouble: Sendable, Equatable {
    var reason: String
    var permanent: Bool
    var failures: Int
    var retryAt: Date
    /// Another replica leads the environment now (its lease was lost): nothing is retried,
    /// the runner stops at once and the controller follows the environment instead.
    var leaseLost = false

    static let firstDelay = 1.0
    static let maxDelay = 300.0

    /// The trouble after one more failure at `now`.
    static func after(_ previous: StoreTrouble?, reason: String, permanent: Bool, now: Date) -> StoreTrouble {
        let failures = (previous?.failures ?? 0) + 1
        let delay = min(maxDelay, firstDelay * pow(2, Double(min(failures - 1, 20))))
        return StoreTrouble(reason: reason, permanent: permanent, failures: failures, retryAt: now.addingTimeInterval(delay))
    }

    static func after(_ previous: StoreTrouble?, _ error: StoreError, now: Date) -> StoreTrouble {
        let permanent = error.kind == .damaged || error.kind == .notAStore
        var trouble = after(previous, reason: error.description, permanent: permanent, now: now)
        if case .leaseLost = error.kind { trouble.leaseLost = true }
        return trouble
    }
}
