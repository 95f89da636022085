import Foundation
@testable import SluiceServer
import SluiceTestSupport
import Testing

/// Webhooks: a signed push to a followed branch wakes that environment; nothing else
/// changes anything, and no payload can crash the server.
@Suite(.timeLimit(.minutes(10))) struct WebhookTests {
    static let secret = "a-webhook-secret-of-some-length"

    static func signature(_ body: [UInt8], secret: String = secret) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-hmac-\(UUID().uuidString)").path
        try Data(body).write(to: URL(fileURLWithPath: folder))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let out = try ProcessResult.run("/usr/bin/openssl", ["dgst", "-sha256", "-hmac", secret, folder]).stdout
        return "sha256=" + (out.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "")
    }

    func github(_ body: String, event: String = "push", signature: String? = nil) throws -> WebhookDelivery.Verdict {
        let bytes = Array(body.utf8)
        return WebhookDelivery.read(.github, headers: ["x-github-event": event, "x-hub-signature-256": try signature ?? Self.signature(bytes)],
                                    body: bytes, secret: Array(Self.secret.utf8))
    }

    @Test func signaturesDecideWhetherAPayloadIsReadAtAll() throws {
        #expect(try github(#"{"ref": "refs/heads/main"}"#) == .push(branch: "main"))
        #expect(try github(#"{"ref": "refs/heads/main"}"#, signature: "sha256=" + String(repeating: "0", count: 64)) != .push(branch: "main"))
        #expect(try github(#"{"ref": "refs/heads/main"}"#, signature: try Self.signature(Array(#"{"ref": "refs/heads/evil"}"#.utf8))) != .push(branch: "main"))
        #expect(WebhookDelivery.read(.github, headers: ["x-github-event": "push"], body: Array("{}".utf8), secret: Array(Self.secret.utf8))
                == .unauthorized("X-Hub-Signature-256 is missing or does not match the body"))
        // A signature made with another secret is as good as none.
        if case .unauthorized = try github(#"{"ref": "refs/heads/main"}"#, signature: try Self.signature(Array(#"{"ref": "refs/heads/main"}"#.utf8), secret: "other")) {} else {
            Issue.record("a signature of another secret was accepted")
        }
        // GitLab sends the secret itself; generic signs as GitHub does.
        #expect(WebhookDelivery.read(.gitlab, headers: ["x-gitlab-token": Self.secret, "x-gitlab-event": "Push Hook"], body: Array(#"{"ref":"refs/heads/staging"}"#.utf8),
                                     secret: Array(Self.secret.utf8)) == .push(branch: "staging"))
        if case .unauthorized = WebhookDelivery.read(.gitlab, headers: ["x-gitlab-token": Self.secret + "x", "x-gitlab-event": "Push Hook"], body: [], secret: Array(Self.secret.utf8)) {} else {
            Issue.record("a wrong GitLab token was accepted")
        }
        let generic = Array(#"{"branch": "staging"}"#.utf8)
        #expect(WebhookDelivery.read(.generic, headers: ["x-signature": try Self.signature(generic)], body: generic, secret: Array(Self.secret.utf8))
                == .push(branch: "staging"))
        #expect(WebhookDelivery.read(.generic, headers: ["x-signature": try Self.signature([])], body: [], secret: Array(Self.secret.utf8)) == .push(branch: nil))
    }

    @Test func missingNullAndOddFieldsAreAnsweredNotCrashedOn() throws {
        #expect(try github("", event: "ping") == .ping)
        #expect(try github(#"{"ref": "refs/tags/v1"}"#) == .ignored("ref refs/tags/v1 is not a branch"))
        #expect(try github("{}", event: "issues") == .ignored("event issues"))
        for body in ["", "null", "[]", "5", #"{"ref": null}"#, #"{"ref": 5}"#, #"{"ref": {"a": 1}}"#, "{", "\u{0}",
                     String(repeating: "[", count: 100_000), #"{"ref": "refs/heads/"}"#] {
            switch try github(body) {
            case .malformed, .ignored: break
            case let other: Issue.record("\(body.prefix(20)): \(other)")
            }
        }
    }

    @Test func aSignedPushWakesTheEnvironmentsOfItsBranchOnce() async throws {
        let (scenario, handler, nudges) = try await APIHandlerTests.served(secret: Self.secret)
        let body = Array(#"{"ref": "refs/heads/staging"}"#.utf8)
        func deliver(_ id: String, body: [UInt8] = body, signature: String? = nil) async throws -> APIResponse {
            await handler.handle(APIRequest(method: "POST", path: "/webhooks/github",
                                            headers: ["X-GitHub-Event": "push", "X-GitHub-Delivery": id,
                                                      "X-Hub-Signature-256": try signature ?? Self.signature(body)], body: body))
        }
        let forged = try await deliver("d0", signature: "sha256=" + String(repeating: "a", count: 64))
        #expect(forged.status == 401 && !nudges.isPending("staging"))
        // A forged delivery does not use up its id.
        #expect(try await deliver("d1", signature: "sha256=" + String(repeating: "a", count: 64)).status == 401)
        #expect(try await deliver("d1").status == 202)
        #expect(nudges.isPending("staging") && !nudges.isPending("production"))
        let again = try await deliver("d1")
        #expect(again.status == 200 && String(decoding: again.body, as: UTF8.self).contains(#""result":"duplicate""#))
        let elsewhere = Array(#"{"ref": "refs/heads/feature"}"#.utf8)
        #expect(try await deliver("d2", body: elsewhere).status == 202 && !nudges.isPending("production"))
        #expect(handler.webhookResults.snapshot == ["unauthorized": 2, "fetching": 1, "duplicate": 1, "ignored": 1])
        #expect(await handler.handle(APIRequest(method: "GET", path: "/webhooks/github")).status == 405)
        #expect(await handler.handle(APIRequest(method: "POST", path: "/webhooks/bitbucket")).status == 404)
        let big = [UInt8](repeating: 32, count: (1 << 20) + 1)
        #expect(try await deliver("d3", body: big).status == 413)
        withExtendedLifetime(scenario) {}
    }

    @Test func withoutASecretWebhooksAreOff() async throws {
        let (scenario, handler, nudges) = try await APIHandlerTests.served(secret: nil)
        let response = await handler.handle(APIRequest(method: "POST", path: "/webhooks/generic", body: Array("{}".utf8)))
        #expect(response.status == 404 && !nudges.isPending("staging"))
        withExtendedLifetime(scenario) {}
    }

    /// A bounded mutation run: valid deliveries with bytes and headers changed at random (and
    /// signed again, so that the parser sees them) always get an answer of the expected kinds.
    @Test func mutatedDeliveriesAlwaysGetAnAnswer() async throws {
        let (scenario, handler, _) = try await APIHandlerTests.served(secret: Self.secret)
        var random = SeededRandom(seed: 18)
        let seeds = [#"{"ref": "refs/heads/staging", "commits": [{"id": "abc", "message": null}], "repository": {"name": "fleet"}}"#,
                     #"{"branch": "main"}"#, "{}"].map { Array($0.utf8) }
        let allowed: Set<Int> = [200, 202, 400, 401, 404, 405, 413]
        for round in 0..<600 {
            var body = seeds[round % seeds.count]
            for _ in 0..<random.next(upTo: 6) {
                switch random.next(upTo: 4) {
                case 0 where !body.isEmpty: body[random.next(upTo: body.count)] = UInt8(random.next(upTo: 256))
                case 1: body.insert(UInt8(random.next(upTo: 256)), at: random.next(upTo: body.count + 1))
                case 2 where !body.isEmpty: body.remove(at: random.next(upTo: body.count))
                default: body += body.prefix(random.next(upTo: 64))
                }
            }
            let provider = ["github", "gitlab", "generic"][round % 3]
            var headers = ["X-GitHub-Event": ["push", "ping", "", "Push Hook"][random.next(upTo: 4)], "X-Gitlab-Event": "Push Hook",
                           "X-Gitlab-Token": Self.secret, "X-GitHub-Delivery": "r\(round)"]
            // Signed in-process here (600 rounds); the tests above check signatures against openssl's.
            let signature = random.next(upTo: 8) == 0 ? "sha256=zz" : "sha256=" + Digests.hex(Digests.hmacSHA256(key: Array(Self.secret.utf8), body))
            headers["X-Hub-Signature-256"] = signature
            headers["X-Signature"] = signature
            let response = await handler.handle(APIRequest(method: "POST", path: "/webhooks/\(provider)", headers: headers, body: body))
            #expect(allowed.contains(response.status), "round \(round): \(response.status)")
        }
        withExtendedLifetime(scenario) {}
    }
}
