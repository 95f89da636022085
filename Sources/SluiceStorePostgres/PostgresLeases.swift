import Foundation
import Synchronization
import SluiceCore
import SluiceStore

/// The environments' leases in a PostgreSQL store: a row per environment with its holder, a
/// token of the taking, an epoch that grows on every taking, and an expiry set by the
/// store's clock (never a replica's). A lease is renewed on a thread of its own, with a
/// connection of its own, so no rollout work can starve it. Every write transaction of an
/// environment whose lease this store took checks, under a share lock of the lease row, that
/// the row still has this store's token and epoch and has not expired: a replica that was
/// paused or cut off and comes back with a stale epoch cannot write a single row, and stops
/// acting on that environment (`leaseLost`). Locally, a lease counts as lost once its last
/// renewal is older than its duration, measured from when the renewal was sent (so the local
/// view ends before the store's).
public final class PostgresLeases: Sendable {
    public static let defaultSeconds = 15.0
    /// The SQLSTATE-like code a failed fence check is thrown with inside a transaction.
    static let lostState = "SLOST"

    struct Fence: Sendable {
        var environment: String
        var token: String
        var epoch: Int64
    }

    private enum TakeOutcome: Sendable {
        case taken(epoch: Int64)
        case held(by: String)
    }

    private struct Held {
        var fence: Fence
        var holder: String
        /// Monotonic seconds until which the lease is surely the store's own.
        var validUntil: Double
        var lost = false
    }

    let seconds: Double
    private let name: String
    private let url: String
    private let worker: PostgresWorker
    private let held = Mutex<[String: Held]>([:])
    private let renewal: LeaseRenewal

    init(url: String, name: String, seconds: Double) {
        self.url = url
        self.name = name
        self.seconds = seconds
        worker = PostgresWorker(url: url, name: name, label: "sluice.postgres.leases", session: Self.session(seconds))
        renewal = LeaseRenewal(url: url, every: seconds / 3, session: Self.session(seconds))
    }

    func stop() { renewal.stop() }

    /// Takes `environment`'s lease, or says who holds it.
    func take(_ environment: String, holder: String) async throws(StoreError) -> PostgresLease {
        let fullHolder = "\(holder), \(ProcessInfo.processInfo.hostName) pid \(getpid())"
        let token = UUID().uuidString
        let sent = Self.monotonic()
        let seconds = self.seconds
        let outcome = try await worker.run { db throws(PostgresError) -> TakeOutcome in
            try db.transaction { () throws(PostgresError) -> TakeOutcome in
                let taken = try db.query("""
                    INSERT INTO leases (environment, holder, token, epoch, expires_at, taken_at)
                    VALUES ($1, $2, $3, 1, clock_timestamp() + make_interval(secs => $4::float8), clock_timestamp())
                    ON CONFLICT (environment) DO UPDATE SET holder = excluded.holder, token = excluded.token,
                        epoch = leases.epoch + 1, expires_at = excluded.expires_at, taken_at = excluded.taken_at
                    WHERE leases.expires_at <= clock_timestamp()
                    RETURNING epoch
                    """, [environment, fullHolder, token, String(seconds)])
                if let epoch = taken.first?.first.flatMap({ $0 }).flatMap({ Int64($0) }) { return .taken(epoch: epoch) }
                let other = try db.query("SELECT holder FROM leases WHERE environment = $1", [environment]).first?.first.flatMap { $0 }
                return .held(by: other ?? "another sluice")
            }
        }
        switch outcome {
        case .held(let other):
            throw StoreError("environment \(environment) is being changed by another sluice (\(other)); it takes over when that one stops or its lease of \(seconds.formatted()) s runs out",
                             kind: .environmentLocked(holder: other))
        case .taken(let epoch):
            let fence = Fence(environment: environment, token: token, epoch: epoch)
            held.withLock { $0[environment] = Held(fence: fence, holder: fullHolder, validUntil: sent + seconds) }
            renewal.add(fence, leases: self)
            return PostgresLease(environment: environment, holder: fullHolder, epoch: epoch, leases: self)
        }
    }

    /// The fences a write of `environments` must pass; refused at once for a lease known lost.
    func fences(for environments: Set<String>) throws(StoreError) -> [Fence] {
        var fences: [Fence] = []
        for environment in environments.sorted() {
            guard let lease = held.withLock({ $0[environment] }) else { continue }
            guard isHeld(environment, epoch: lease.fence.epoch) else {
                markLost(environment)
                throw lost(environment)
            }
            fences.append(lease.fence)
        }
        return fences
    }

    /// Inside a write transaction: the lease row is still this taking's, and unexpired. The
    /// share lock keeps another replica from taking it until this transaction ends.
    static func check(_ fence: Fence, in db: PostgresConnection) throws(PostgresError) {
        let rows = try db.query("""
            SELECT 1 FROM leases WHERE environment = $1 AND token = $2 AND epoch = $3 AND expires_at > clock_timestamp() FOR SHARE
            """, [fence.environment, fence.token, String(fence.epoch)])
        guard rows.isEmpty else { return }
        throw PostgresError(.refused, sqlState: lostState, fence.environment)
    }

    /// A failed fence check becomes `leaseLost`, and the lease is lost from then on.
    func lostIfFenced(_ error: StoreError) -> StoreError {
        guard case .leaseLost(let environment) = error.kind else { return error }
        markLost(environment)
        return lost(environment)
    }

    func lost(_ environment: String) -> StoreError {
        StoreError("the lease of environment \(environment) in \(name) is no longer this sluice's (another replica took it, or it was not renewed in time): this replica stops acting on it",
                   kind: .leaseLost(environment: environment))
    }

    func markLost(_ environment: String) {
        held.withLock { $0[environment]?.lost = true }
        renewal.remove(environment)
    }

    /// Whether this store still takes `environment`'s lease for its own.
    func isHeld(_ environment: String, epoch: Int64) -> Bool {
        guard let lease = held.withLock({ $0[environment] }), lease.fence.epoch == epoch else { return false }
        return !lease.lost && Self.monotonic() < lease.validUntil
    }

    /// A renewal that reached the store: valid for another lease time from when it was sent.
    func renewed(_ environment: String, epoch: Int64, sentAt: Double) {
        held.withLock {
            guard $0[environment]?.fence.epoch == epoch else { return }
            $0[environment]?.validUntil = sentAt + seconds
        }
    }

    /// Gives the lease up at once (its row expires now, keeping its epoch), so that another
    /// replica takes it without waiting for it to run out.
    func release(_ environment: String, epoch: Int64) async {
        guard let lease = held.withLock({ store -> Held? in
            guard let lease = store[environment], lease.fence.epoch == epoch else { return nil }
            store[environment]?.lost = true
            return lease
        }) else { return }
        renewal.remove(environment)
        _ = try? await worker.run { db throws(PostgresError) in
            try db.transaction { () throws(PostgresError) in
                try db.query("UPDATE leases SET expires_at = '-infinity' WHERE environment = $1 AND token = $2",
                             [environment, lease.fence.token])
            }
        }
    }

    /// Session settings of the connections that write: a replica paused in the middle of a
    /// transaction (SIGSTOP, a VM frozen) holds the share lock of its lease row, and would
    /// keep another replica from taking the lease for as long as it sleeps. PostgreSQL ends
    /// such a session after a lease time idle in its transaction (its lease is lost by then
    /// anyway), and no statement waits for a lock longer than that.
    static func session(_ seconds: Double) -> String {
        let milliseconds = max(1_000, Int(seconds * 1_000))
        return "SET idle_in_transaction_session_timeout = \(milliseconds); SET lock_timeout = \(milliseconds)"
    }

    static func monotonic() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

/// One environment's lease, as `WriterLeases.lockEnvironment` hands it out.
public final class PostgresLease: WriterLease {
    public let environment: String
    public let holder: String
    public let epoch: Int64
    private let leases: PostgresLeases

    init(environment: String, holder: String, epoch: Int64, leases: PostgresLeases) {
        self.environment = environment
        self.holder = holder
        self.epoch = epoch
        self.leases = leases
    }

    public func confirm() async throws(StoreError) {
        guard leases.isHeld(environment, epoch: epoch) else {
            leases.markLost(environment)
            throw leases.lost(environment)
        }
    }

    public func release() async { await leases.release(environment, epoch: epoch) }
}
