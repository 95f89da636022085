import Foundation
import Synchronization

/// A Git host's webhook, read: the signature checked, then the event and the branch it
/// names. Only a push to a branch an environment follows does anything, and what it does is
/// fetch: what changed is decided by the fetch, never by the payload, so even a payload that
/// passed the signature cannot change state. Pure: the route does the I/O.
public enum WebhookDelivery {
    public enum Provider: String, Sendable, CaseIterable {
        /// `X-Hub-Signature-256: sha256=HMAC(secret, body)`, `X-GitHub-Event`, `X-GitHub-Delivery`.
        case github
        /// `X-Gitlab-Token: secret`, `X-Gitlab-Event`, `X-Gitlab-Event-UUID`.
        case gitlab
        /// `X-Signature: sha256=HMAC(secret, body)`, `X-Delivery-ID` (optional); the body is
        /// `{"ref": "refs/heads/main"}` or `{"branch": "main"}`, or names nothing (all fetch).
        case generic
    }

    public enum Verdict: Sendable, Equatable {
        /// A push to `branch` (nil: the sender did not say which; every environment fetches).
        case push(branch: String?)
        /// The host checks the hook (`ping`): answered, nothing done.
        case ping
        /// Signed, but not something that moves a branch (another event, a tag).
        case ignored(String)
        /// The signature or token is missing or wrong.
        case unauthorized(String)
        /// Signed, but not a payload of this event.
        case malformed(String)
    }

    /// Header names in lower case.
    public static func read(_ provider: Provider, headers: [String: String], body: [UInt8], secret: [UInt8]) -> Verdict {
        switch provider {
        case .github:
            guard verifyHMAC(headers["x-hub-signature-256"], body: body, secret: secret) else {
                return .unauthorized("X-Hub-Signature-256 is missing or does not match the body")
            }
            switch headers["x-github-event"] {
            case "ping": return .ping
            case "push": return push(body, requireRef: true)
            case let event: return .ignored("event \(event ?? "(none)")")
            }
        case .gitlab:
            guard let token = headers["x-gitlab-token"],
                  Digests.equal(Digests.sha256(Array(token.utf8)), Digests.sha256(secret)) else {
                return .unauthorized("X-Gitlab-Token is missing or wrong")
            }
            switch headers["x-gitlab-event"] {
            case "Push Hook": return push(body, requireRef: true)
            case let event: return .ignored("event \(event ?? "(none)")")
            }
        case .generic:
            guard verifyHMAC(headers["x-signature"], body: body, secret: secret) else {
                return .unauthorized("X-Signature is missing or does not match the body")
            }
            return push(body, requireRef: false)
        }
    }

    /// The sender's id of this delivery, to act on a redelivery once.
    public static func deliveryID(_ provider: Provider, headers: [String: String]) -> String? {
        let id: String?
        switch provider {
        case .github: id = headers["x-github-delivery"]
        case .gitlab: id = headers["x-gitlab-event-uuid"] ?? headers["idempotency-key"]
        case .generic: id = headers["x-delivery-id"]
        }
        guard let id, !id.isEmpty, id.utf8.count <= 200 else { return nil }
        return provider.rawValue + ":" + id
    }

    /// `sha256=<hex>` of HMAC-SHA256(secret, body).
    static func verifyHMAC(_ header: String?, body: [UInt8], secret: [UInt8]) -> Bool {
        guard !secret.isEmpty, let header, header.hasPrefix("sha256="),
              let given = Digests.bytes(hex: header.dropFirst("sha256=".count)), given.count == 32 else { return false }
        return Digests.equal(given, Digests.hmacSHA256(key: secret, body))
    }

    private struct PushPayload: Decodable {
        var ref: String?
        var branch: String?
    }

    private static func push(_ body: [UInt8], requireRef: Bool) -> Verdict {
        if body.isEmpty, !requireRef { return .push(branch: nil) }
        let payload: PushPayload
        do { payload = try JSONDecoder().decode(PushPayload.self, from: Data(body)) } catch {
            return .malformed("the body is not a JSON object with a string ref")
        }
        if let branch = payload.branch, !requireRef { return branch.isEmpty ? .push(branch: nil) : .push(branch: branch) }
        guard let ref = payload.ref else { return requireRef ? .malformed("a push without a ref") : .push(branch: nil) }
        guard ref.hasPrefix("refs/heads/"), ref.count > "refs/heads/".count else { return .ignored("ref \(ref.prefix(200)) is not a branch") }
        return .push(branch: String(ref.dropFirst("refs/heads/".count)))
    }
}

/// Delivery ids already acted on, the newest `capacity`: a host that redelivers (after a
/// timeout, or by hand) gets an answer, and no second fetch. Only signed deliveries are
/// noted, so a forger cannot fill it.
final class DeliveryLog: Sendable {
    private struct State {
        var seen: Set<String> = []
        var order: [String] = []
        var start = 0
    }
    private let state: Mutex<State>
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
        state = Mutex(State())
    }

    /// True the first time `id` is noted.
    func note(_ id: String) -> Bool {
        state.withLock { state in
            guard state.seen.insert(id).inserted else { return false }
            state.order.append(id)
            if state.order.count - state.start > capacity {
                state.seen.remove(state.order[state.start])
                state.start += 1
                // Drop the forgotten half now and then, not on every delivery.
                if state.start > capacity {
                    state.order.removeFirst(state.start)
                    state.start = 0
                }
            }
            return true
        }
    }
}
