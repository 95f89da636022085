import Foundation
import Hummingbird
import Logging
import NIOCore
import SluiceCore
import SluiceModel
import SluiceQueries
import SluiceKubernetes
import SluiceRollout
@testable import SluiceServer
import SluiceTestSupport
import SluiceYAML
import Synchronization
import Testing

/// Notifications against a local receiver (a real HTTP server on 127.0.0.1): the events a
/// rollout of example-repo makes, signed, retried, recorded.
@Suite(.timeLimit(.minutes(10))) struct NotifierTests {
    /// What the receiver got; it answers 500 to the first `failing` requests.
    final class Receiver: Sendable {
        struct Got: Sendable { var path: String; var headers: [String: String]; var body: [UInt8] }
        let got = Mutex<[Got]>([])
        let failing: Atomic<Int>
        init(failing: Int) { self.failing = Atomic(failing) }

        /// Serves until `body` returns; hands it the base URL.
        func serve(_ body: (String) async throws -> Void) async throws {
            let router = Router()
            router.post("/**") { request, _ -> Response in
                var request = request
                let bytes = try await request.collectBody(upTo: 1 << 20)
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName] = field.value }
                self.got.withLock { $0.append(Got(path: request.uri.path, headers: headers, body: Array(buffer: bytes))) }
                let fail = self.failing.wrappingSubtract(1, ordering: .relaxed).oldValue > 0
                return Response(status: fail ? .internalServerError : .ok)
            }
            let (ports, listening) = AsyncStream<Int>.makeStream()
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                  onServerRunning: { listening.yield($0.localAddress?.port ?? 0) },
                                  logger: Logger(label: "receiver", factory: { _ in SwiftLogNoOpLogHandler() }))
            let running = Task { try await app.run() }
            defer { running.cancel() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body("http://127.0.0.1:\(port)")
        }
    }

    static let send: Notifier.Send = { delivery in
        do {
            let transport = try CurlTransport(tls: TLSSettings(), label: "test")
            return .success(try await transport.perform(SluiceKubernetes.HTTPRequest(method: "POST", url: delivery.url, headers: delivery.headers, body: delivery.body)).status)
        } catch {
            return .failure(Notifier.NotifierError("\(error)"))
        }
    }

    static let secret = "notification-secret-0123456789"

    static func targets(_ base: String) throws -> NotificationTargets {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-notify-\(UUID().uuidString)").path
        try secret.write(toFile: folder, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = """
            targets:
              - name: audit
                type: webhook
                url: \(base)/audit
                secretFile: \(folder)
              - name: oncall
                type: slack
                url: \(base)/slack/T000/B000/secret-path
                events: [approvalWaits, halted]
                environments: [production]
            """
        return try NotificationTargets.parse(Array(file.utf8), file: "notifications.yaml", readFile: { path in
            FileManager.default.contents(atPath: path).map(Array.init)
        })
    }

    struct Payload: Decodable {
        var event: String
        var environment: String
        var commit: String?
        var approve: String?
    }

    @Test func aRolloutsEventsReachTheirTargetsSignedAndRetried() async throws {
        let receiver = Receiver(failing: 1)
        try await receiver.serve { base in
            let scenario = try FleetScenario()
            let sleeps = Mutex<[Duration]>([])
            let notifier = Notifier(targets: try Self.targets(base), history: scenario.store, clock: scenario.clock, send: Self.send,
                                    sleep: { duration in sleeps.withLock { $0.append(duration) } },
                                    logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            let running = Task { await notifier.run() }
            var options = FleetScenario.controllerOptions
            options.notify = { notifier.post($0) }
            _ = try await scenario.runController(options: options)
            await notifier.drain()
            running.cancel()

            let got = receiver.got.withLock { $0 }
            let audit = got.filter { $0.path == "/audit" }
            let payloads = try audit.map { try JSONDecoder().decode(Payload.self, from: Data($0.body)) }
            // Each event once (the first try of the first one failed and was retried).
            let events = Set(payloads.map { "\($0.environment) \($0.event)" })
            #expect(events.isSuperset(of: ["staging rolloutStarted", "staging stageDone", "staging rolloutDone", "production rolloutStarted",
                                           "production approvalWaits"]))
            #expect(payloads.count == audit.count && audit.count == Set(audit.map(\.body)).count + 1)
            #expect(sleeps.withLock { $0 } == [.seconds(1)])
            for request in audit {
                #expect(request.headers["x-signature"] == (try WebhookTests.signature(request.body, secret: Self.secret)))
            }
            let waits = try #require(payloads.first { $0.event == "approvalWaits" })
            #expect(waits.approve == "sluice approve production --commit \(scenario.head.prefix(12))")
            // The Slack target wants production's approvals and halts only.
            let slack = got.filter { $0.path.hasPrefix("/slack/") }
            #expect(slack.count == 1)
            let text = String(decoding: slack.first?.body ?? [], as: UTF8.self)
            #expect(text.contains("*production* waits for an approval") && text.contains("To approve: `sluice approve production --commit"))
            // Every delivery is in the history; no URL is.
            let recorded = try await scenario.history().filter { $0.kind == .notification }
            #expect(recorded.count == payloads.count - 1 + slack.count && recorded.allSatisfy { $0.outcome == .notificationSent })
            #expect(!recorded.contains { $0.detail.contains("secret-path") || $0.detail.contains("127.0.0.1") })
        }
    }

    @Test func aTargetThatNeverAnswersIsGivenUpOnAndRecorded() async throws {
        let receiver = Receiver(failing: 1_000)
        try await receiver.serve { base in
            let scenario = try FleetScenario()
            let sleeps = Mutex<[Duration]>([])
            let notifier = Notifier(targets: try Self.targets(base), history: scenario.store, clock: scenario.clock, send: Self.send,
                                    sleep: { duration in sleeps.withLock { $0.append(duration) } },
                                    logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            let running = Task { await notifier.run() }
            let event = HistoryEvent(at: Date(), kind: .rollout, environment: "production", commit: scenario.head, detail: "stage canary: 1 failed",
                                     outcome: .halted)
            notifier.post([event])
            await notifier.drain()
            running.cancel()
            // Two targets want a production halt; each tried 5 times, 1, 2, 4 and 8 s apart.
            #expect(receiver.got.withLock { $0.count } == 10)
            #expect(sleeps.withLock { $0.sorted() } == [1, 1, 2, 2, 4, 4, 8, 8].map { .seconds($0) })
            let failed = try await scenario.history().filter { $0.outcome == .notificationFailed }
            #expect(failed.count == 2 && failed.allSatisfy { $0.detail.contains("failed after 5 tries: HTTP 500") && !$0.detail.contains("secret-path") })
        }
    }

    /// sluice.yaml's `spec.notifications` narrows what the machine's targets get; a route to a
    /// target the machine lacks is recorded as failed; a HEAD whose sluice.yaml is broken keeps
    /// the routes read before; without routes, the machine's filters alone decide.
    @Test func sluiceYamlRoutesChooseAmongTheMachinesTargets() async throws {
        let receiver = Receiver(failing: 0)
        try await receiver.serve { base in
            let scenario = try FleetScenario()
            let original = try scenario.repo.read("sluice.yaml")
            try scenario.repo.write("sluice.yaml", original + """
                  notifications:
                    - target: oncall
                      events: [halted]
                    - target: pager
                      environments: [staging]

                """)
            try scenario.repo.commit("routes")
            let models = CommitModels(location: scenario.repo.path)
            let notifier = Notifier(targets: try Self.targets(base), routes: { await models.notificationRoutes() }, history: scenario.store,
                                    clock: scenario.clock, send: Self.send, sleep: { _ in },
                                    logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            let running = Task { await notifier.run() }
            defer { running.cancel() }
            func event(_ outcome: HistoryOutcome, _ environment: String) -> HistoryEvent {
                HistoryEvent(at: Date(), kind: .rollout, environment: environment, commit: scenario.head, detail: outcome.rawValue, outcome: outcome)
            }
            func paths() -> [String] { receiver.got.withLock { $0.map { $0.path.hasPrefix("/slack/") ? "oncall" : "audit" } } }

            // A production halt: routed to oncall only (audit's own filter wanted it too).
            notifier.post([event(.halted, "production")])
            await notifier.drain()
            #expect(paths() == ["oncall"])
            // A staging start: routed to pager, which this machine does not define.
            notifier.post([event(.rolloutStarted, "staging")])
            await notifier.drain()
            #expect(paths() == ["oncall"])
            let failed = try await scenario.history().filter { $0.outcome == .notificationFailed }
            #expect(failed.count == 1 && failed.first?.detail.contains("pager") == true && failed.first?.environment == "staging")

            // A broken sluice.yaml at HEAD: the routes read before still hold.
            try scenario.repo.write("sluice.yaml", "kind: [")
            try scenario.repo.commit("broken")
            notifier.post([event(.halted, "production")])
            await notifier.drain()
            #expect(paths() == ["oncall", "oncall"])

            // No routes: the machine's targets decide (audit wants everything, oncall this too).
            try scenario.repo.write("sluice.yaml", original)
            try scenario.repo.commit("no routes")
            notifier.post([event(.halted, "production")])
            await notifier.drain()
            #expect(paths().sorted() == ["audit", "oncall", "oncall", "oncall"])
        }
    }

    /// The events sluice.yaml may name are the ones the notifier sends.
    @Test func routeEventNamesAreTheNotifiersEvents() {
        #expect(Set(NotificationRoute.eventNames) == Set(Notice.events.map(\.rawValue)))
    }

    @Test func targetsFilesAreCheckedWhereTheyAreWrong() throws {
        let file = """
            targets:
              - name: hook
                type: webhook
                url: https://example.com/hook
              - name: chat
                type: teams
                url: https://example.com/chat
              - name: chat2
                type: slack
                url: ftp://example.com
              - name: chat3
                type: slack
                url: https://example.com/x
                events: [applied]
            """
        #expect(throws: ValidationFailure.self) { _ = try NotificationTargets.parse(Array(file.utf8), file: "n.yaml", readFile: { _ in nil }) }
        do { _ = try NotificationTargets.parse(Array(file.utf8), file: "n.yaml", readFile: { _ in nil }) } catch {
            #expect(error.diagnostics.map { $0.mark?.line ?? 0 } == [2, 6, 10, 14])
        }
    }
}
