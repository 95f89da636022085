import Foundation
import Synchronization

/// Renews a store's leases every third of their time, on a thread of its own with a
/// connection of its own: a rollout keeping every other thread busy cannot delay it. A
/// renewal that finds its lease gone (taken over, or expired) marks it lost; one that cannot
/// reach the store is tried again at the next tick, and the lease lapses locally once its
/// time has passed without one (`PostgresLeases.fences`).
final class LeaseRenewal: @unchecked Sendable {
    private struct Entry {
        var fence: PostgresLeases.Fence
        weak var leases: PostgresLeases?
    }

    private let url: String
    private let interval: Double
    private let session: String
    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var entries: [String: Entry] = [:]
    private var stopped = false
    private var thread: Thread?

    init(url: String, every interval: Double, session: String) {
        self.url = url
        self.interval = interval
        self.session = session
    }

    func add(_ fence: PostgresLeases.Fence, leases: PostgresLeases) {
        condition.lock()
        defer { condition.unlock() }
        entries[fence.environment] = Entry(fence: fence, leases: leases)
        guard thread == nil, !stopped else { return }
        let thread = Thread { [self] in loop() }
        thread.name = "sluice.postgres.lease-renewal"
        self.thread = thread
        thread.start()
    }

    func remove(_ environment: String) {
        condition.lock()
        entries[environment] = nil
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        entries = [:]
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        var connection: PostgresConnection?
        while true {
            condition.lock()
            _ = condition.wait(until: Date(timeIntervalSinceNow: interval))
            let work = stopped ? nil : Array(entries.values)
            condition.unlock()
            guard let work else { return }
            for entry in work {
                guard let leases = entry.leases else { continue }
                let sent = PostgresLeases.monotonic()
                do {
                    if connection?.isOpen != true {
                        let fresh = try PostgresConnection(url: url)
                        try fresh.execute(session)
                        connection = fresh
                    }
                    guard let db = connection else { continue }
                    let rows = try db.query("""
                        UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => $4::float8)
                        WHERE environment = $1 AND token = $2 AND epoch = $3 AND expires_at > clock_timestamp() RETURNING 1
                        """, [entry.fence.environment, entry.fence.token, String(entry.fence.epoch), String(leases.seconds)])
                    if rows.isEmpty {
                        leases.markLost(entry.fence.environment)
                    } else {
                        leases.renewed(entry.fence.environment, epoch: entry.fence.epoch, sentAt: sent)
                    }
                } catch {
                    // Not reached: tried again next tick; the lease lapses locally if that goes on.
                    if connection?.isOpen == false { connection = nil }
                }
            }
        }
    }
}
