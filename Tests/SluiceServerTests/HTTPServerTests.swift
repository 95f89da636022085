import Foundation
import Logging
import SluiceKubernetes
import SluiceQueries
import SluiceRollout
import SluiceServer
import SluiceTestSupport
import Synchronization
import Testing

/// The API on a real socket (127.0.0.1, a free port): Hummingbird hands requests over
/// whole, refuses oversized bodies before reading them, and stops when cancelled.
@Suite(.timeLimit(.minutes(10))) struct HTTPServerTests {
    @Test func servesOnLoopbackAndRefusesOversizedBodies() async throws {
        let (scenario, handler, nudges) = try await APIHandlerTests.served(secret: WebhookTests.secret)
        var settings = ServerSettings(host: "127.0.0.1", port: 0, webhookSecret: Array(WebhookTests.secret.utf8))
        settings.maxWebhookBytes = 1 << 20
        let (ports, listening) = AsyncStream<Int>.makeStream()
        let server = HTTPServer(handler: handler, settings: settings, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                onListening: { listening.yield($0) })
        let running = Task { try await server.run() }
        defer { running.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let client = try CurlTransport(tls: TLSSettings(), label: "test")
        let base = "http://127.0.0.1:\(port)"

        let health = try await client.perform(HTTPRequest(url: base + "/healthz"))
        #expect(health.status == 200 && health.headers["content-type"] == "application/json")
        let status = try await client.perform(HTTPRequest(url: base + "/api/v1/status"))
        #expect(status.status == 200 && status.headers["content-encoding"] == nil)
        // A caller that accepts gzip gets the same answer compressed.
        try #require(status.body.count >= 1_024)
        let compressed = try await client.perform(HTTPRequest(url: base + "/api/v1/status", headers: ["Accept-Encoding": "br, gzip"]))
        #expect(compressed.headers["content-encoding"] == "gzip" && compressed.headers["vary"] == "Accept-Encoding")
        #expect(compressed.body.count < status.body.count && GzipTests.inflate(compressed.body) == status.body)
        let refusing = try await client.perform(HTTPRequest(url: base + "/api/v1/status", headers: ["Accept-Encoding": "gzip;q=0"]))
        #expect(refusing.headers["content-encoding"] == nil && refusing.body == status.body)
        let history = try await client.perform(HTTPRequest(url: base + "/api/v1/history?environment=staging&limit=2"))
        let events = try APIJSON.decoder().decode(APIHandlerTests.Events.self, from: Data(history.body)).events
        #expect(history.status == 200 && events.count == 2)

        let body = Array(#"{"ref": "refs/heads/staging"}"#.utf8)
        let push = try await client.perform(HTTPRequest(method: "POST", url: base + "/webhooks/github",
                                                         headers: ["X-GitHub-Event": "push", "X-Hub-Signature-256": try WebhookTests.signature(body),
                                                                   "Content-Type": "application/json"], body: body))
        #expect(push.status == 202 && nudges.isPending("staging"))
        let big = [UInt8](repeating: 32, count: (1 << 20) + 10)
        let refused = try await client.perform(HTTPRequest(method: "POST", url: base + "/webhooks/generic", body: big))
        #expect(refused.status == 413)
        running.cancel()
        _ = await running.result
        withExtendedLifetime(scenario) {}
    }
}
