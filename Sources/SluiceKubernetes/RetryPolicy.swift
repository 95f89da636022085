import Foundation

/// When to try a request to an API server again: transient answers (429, 5xx, a dropped or
/// timed-out connection) with exponential backoff and jitter, honouring the server's
/// `Retry-After`; permanent ones (400, 403, 404, 422, TLS) never. A value: the caller sleeps
/// on its clock (virtual in tests) and counts attempts.
public struct RetryPolicy: Sendable, Equatable {
    public var attempts = 5
    public var baseSeconds = 0.5
    public var capSeconds = 30.0

    public init() {}

    /// The wait before try `attempt + 1` (attempt 1 is the first try), or nil: give up.
    /// `jitter` in 0..<1 spreads clusters that failed together (the caller draws it).
    public func delay(after attempt: Int, transient: Bool, retryAfter: Double?, jitter: Double) -> Double? {
        guard transient, attempt < attempts else { return nil }
        let exponential = min(capSeconds, baseSeconds * pow(2, Double(max(0, attempt - 1))))
        let backoff = exponential * (0.5 + 0.5 * min(max(jitter, 0), 1))
        // The server knows best, within the cap.
        guard let retryAfter, retryAfter.isFinite, retryAfter >= 0 else { return backoff }
        return min(capSeconds, max(backoff, retryAfter))
    }

    public func delay(after attempt: Int, status: APIStatus, jitter: Double) -> Double? {
        delay(after: attempt, transient: status.isTransient, retryAfter: status.retryAfter, jitter: jitter)
    }

    public func delay(after attempt: Int, error: TransportError, jitter: Double) -> Double? {
        delay(after: attempt, transient: error.isTransient, retryAfter: nil, jitter: jitter)
    }
}
