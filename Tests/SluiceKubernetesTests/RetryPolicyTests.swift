import SluiceKubernetes
import Testing

/// Retries of API requests: transient ones back off exponentially with jitter and honour
/// `Retry-After`; permanent ones are never retried (issue 10).
@Suite(.timeLimit(.minutes(10))) struct RetryPolicyTests {
    let policy = RetryPolicy()

    func status(_ code: Int, retryAfter: String? = nil) -> APIStatus {
        APIStatus(response: HTTPResponse(status: code, headers: retryAfter.map { ["retry-after": $0] } ?? [:], body: []))
    }

    @Test func transientAnswersBackOffExponentiallyUpToTheCap() {
        let waits = (1...4).map { policy.delay(after: $0, status: status(503), jitter: 1) }
        #expect(waits == [0.5, 1, 2, 4])
        #expect(policy.delay(after: 1, status: status(503), jitter: 0) == 0.25)
        #expect(policy.delay(after: 5, status: status(503), jitter: 1) == nil)
        var patient = RetryPolicy()
        patient.attempts = 20
        #expect(patient.delay(after: 15, status: status(500), jitter: 1) == patient.capSeconds)
        #expect(policy.delay(after: 1, error: .connection("refused"), jitter: 1) == 0.5)
    }

    @Test func retryAfterIsHonouredWithinTheCap() {
        #expect(policy.delay(after: 1, status: status(429, retryAfter: "7"), jitter: 0) == 7)
        #expect(policy.delay(after: 1, status: status(429, retryAfter: "3600"), jitter: 0) == policy.capSeconds)
        #expect(policy.delay(after: 3, status: status(429, retryAfter: "0"), jitter: 1) == 2)
    }

    @Test(arguments: [400, 401, 403, 404, 409, 422])
    func permanentAnswersAreNotRetried(code: Int) {
        #expect(policy.delay(after: 1, status: status(code), jitter: 0.5) == nil)
        #expect(policy.delay(after: 1, error: .tls("untrusted"), jitter: 0.5) == nil)
    }
}
