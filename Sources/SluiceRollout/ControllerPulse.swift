import Foundation
import Synchronization

/// What a readiness probe asks of a running controller: are its services running, and when
/// did it last reach the fleet repo (a fetch, or a read of the local repository). Written by
/// the controller and its branch watcher, read by the server's `/readyz`.
public final class ControllerPulse: Sendable {
    public struct Reading: Sendable, Equatable {
        public var running = false
        /// Real time of the last read of the repo's heads that worked.
        public var repoReachedAt: Date?
        /// Why the last read failed, when it did (cleared by one that works).
        public var repoError: String?
    }
    private let state = Mutex(Reading())

    public init() {}

    public var reading: Reading { state.withLock { $0 } }

    func running(_ running: Bool) {
        state.withLock { $0.running = running }
    }

    func repoRead(error: String?, at now: Date = Date()) {
        state.withLock { reading in
            if let error {
                reading.repoError = error
            } else {
                reading.repoReachedAt = now
                reading.repoError = nil
            }
        }
    }
}
