import Foundation
import CoreMetrics
import Logging
import Prometheus
import SluiceCore
import SluiceQueries
import SluiceRollout
import SluiceStore
import Synchronization

/// The HTTP side of a running controller: probes, the JSON API and the webhooks, one method
/// per route. It reads through the same read models as the CLI, queues operator requests
/// through the same checks, and wakes runners through `Nudges`; it holds no state of the
/// rollout of its own (a replica without the controller could serve the same reads).
public final class APIHandler: Sendable {
    let store: any StateStore
    let models: CommitModels
    /// The clusters, for plans of commits (`GET environments/{env}/plan`) and a cluster's live
    /// state; nil: plans answer 404 and cluster views have no live part.
    let drivers: (any ClusterDrivers)?
    let plans: CommitPlans?
    let nudges: Nudges
    let pulse: ControllerPulse
    let clock: any FleetClock
    let settings: ServerSettings
    let logger: Logger
    let deliveries = DeliveryLog()
    let cache = ResponseCache()
    public let webhookResults = ResultCounts()
    /// What `/metrics` shows (nil: the route answers 404).
    let registry: PrometheusCollectorRegistry?
    let metricsFactory: any MetricsFactory

    public init(store: any StateStore, models: CommitModels, nudges: Nudges, pulse: ControllerPulse, clock: any FleetClock,
                settings: ServerSettings, logger: Logger, registry: PrometheusCollectorRegistry? = nil,
                metricsFactory: any MetricsFactory = MetricsSystem.factory, drivers: (any ClusterDrivers)? = nil) {
        self.drivers = drivers
        self.plans = drivers.map { CommitPlans(location: models.location, store: store, connector: $0) }
        self.registry = registry
        self.metricsFactory = metricsFactory
        self.store = store
        self.models = models
        self.nudges = nudges
        self.pulse = pulse
        self.clock = clock
        self.settings = settings
        self.logger = logger
    }

    /// Routes a request. Every answer is JSON; nothing a caller sends makes it throw.
    public func handle(_ request: APIRequest) async -> APIResponse {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch (request.method, parts.first) {
        case ("GET", nil): return await cached(request) { await self.dashboard([], request) }
        case ("GET", "history") where parts.count == 1: return await cached(request) { await self.dashboard(parts, request) }
        case ("GET", "clusters") where parts.count == 2: return await cached(request) { await self.dashboard(parts, request) }
        case ("GET", "healthz") where parts.count == 1: return .json(["status": "ok"])
        case ("GET", "readyz") where parts.count == 1: return await readiness()
        case ("GET", "metrics") where parts.count == 1:
            guard let registry else { return .error(404, "notFound", "metrics are not kept by this server") }
            return APIResponse(status: 200, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"], body: registry.emitToBuffer())
        case (_, "webhooks") where parts.count == 2:
            guard request.method == "POST" else { return .error(405, "methodNotAllowed", "webhooks are POSTed", headers: ["Allow": "POST"]) }
            return await webhook(parts[1], request)
        case (_, "api") where parts.count >= 3 && parts[1] == "v1":
            return await api(Array(parts.dropFirst(2)), request)
        default:
            return .error(404, "notFound", "no such route: \(request.method) \(request.path.prefix(200))")
        }
    }

    private func api(_ parts: [String], _ request: APIRequest) async -> APIResponse {
        switch (request.method, parts.count, parts[0]) {
        case ("GET", 1, "status"): return await authorized(request, .read, nil) { _ in await self.cached(request) { await self.status(environment: nil) } }
        case ("GET", 1, "whoami"): return await authorized(request, .read, nil) { identity in await self.whoami(identity, request) }
        case ("GET", 1, "history"): return await authorized(request, .read, nil) { _ in await self.cached(request) { await self.history(request.query) } }
        case ("GET", 1, "matrix"):
            return await authorized(request, .read, nil) { _ in await self.cached(request) { await self.matrix(environment: request.query["environment"]) } }
        case ("GET", 2, "environments"):
            return await authorized(request, .read, parts[1]) { _ in await self.cached(request) { await self.status(environment: parts[1]) } }
        case ("GET", 2, "clusters"): return await authorized(request, .read, nil) { _ in await self.cached(request) { await self.cluster(parts[1]) } }
        case ("GET", 3, "environments") where parts[2] == "plan":
            return await authorized(request, .read, parts[1]) { _ in await self.cached(request) { await self.plan(environment: parts[1], revision: request.query["commit"]) } }
        case ("POST", 3, "environments"):
            guard let action = OperatorAction(rawValue: parts[2]) else {
                return .error(404, "notFound", "no action \(parts[2].prefix(100)) (pause, resume, approve, freeze, unfreeze, fetch)")
            }
            return await authorized(request, action.permission, parts[1]) { identity in
                await self.act(action, environment: parts[1], identity: identity, request)
            }
        case (_, 1, "status"), (_, 1, "history"), (_, 1, "matrix"), (_, 1, "whoami"), (_, 2, "environments"), (_, 2, "clusters"):
            return .error(405, "methodNotAllowed", "\(request.method) is not allowed here", headers: ["Allow": "GET"])
        case (_, 3, "environments"):
            return .error(405, "methodNotAllowed", "actions are POSTed", headers: ["Allow": "POST"])
        default:
            return .error(404, "notFound", "no such route: \(request.method) /api/v1/\(parts.joined(separator: "/").prefix(200))")
        }
    }

    /// Runs `body` when the request's token allows `permission` in `environment`: 401 without
    /// a token that names someone, 403 when that someone may not. Reads are open unless
    /// `readsNeedToken` (an anonymous reader is `nil`).
    private func authorized(_ request: APIRequest, _ permission: Identities.Permission, _ environment: String?,
                            _ body: (Identities.Identity?) async -> APIResponse) async -> APIResponse {
        let token = Self.bearerToken(request.headers["authorization"])
        let identity = token.flatMap(settings.identities.identify)
        if token != nil, identity == nil {
            return .error(401, "unauthorized", "the token is not known", headers: ["WWW-Authenticate": #"Bearer realm="sluice""#])
        }
        if permission == .read && !settings.readsNeedToken { return await body(identity) }
        guard let identity else {
            return .error(401, "unauthorized", "this call needs a bearer token (Authorization: Bearer ...)",
                          headers: ["WWW-Authenticate": #"Bearer realm="sluice""#])
        }
        guard identity.may(permission, in: environment) else {
            return .error(403, "forbidden", "\(identity.name) (\(identity.role.rawValue)) may not do this\(environment.map { " in \($0)" } ?? "")")
        }
        return await body(identity)
    }

    /// A read's answer from the cache (the same path and query share one), unless the
    /// server keeps none (`settings.cachesReads`).
    private func cached(_ request: APIRequest, _ compute: @escaping @Sendable () async -> APIResponse) async -> APIResponse {
        guard settings.cachesReads else { return await compute() }
        let key = request.path + "?" + request.query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        return await cache.response(key, compute: compute)
    }

    static func bearerToken(_ header: String?) -> String? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    private func readiness() async -> APIResponse {
        struct Readiness: Encodable {
            var schemaVersion = 1
            var ready: Bool
            var controllerRunning: Bool
            var store: String
            var repo: String
            var repoReachedAt: Date?
        }
        let reading = pulse.reading
        var storeState = "ok"
        do { _ = try await store.history(HistoryFilter(limit: 1)) } catch { storeState = "unreachable: \(error.description)" }
        var repoState = "ok"
        if let reached = reading.repoReachedAt {
            let age = Date().timeIntervalSince(reached)
            if age > settings.readinessMaxAge { repoState = "last reached \(Int(age)) s ago\(reading.repoError.map { ": \($0)" } ?? "")" }
        } else {
            repoState = reading.repoError.map { "never reached: \($0)" } ?? "not read yet"
        }
        let ready = reading.running && storeState == "ok" && repoState == "ok"
        return .json(Readiness(ready: ready, controllerRunning: reading.running, store: storeState, repo: repoState,
                               repoReachedAt: reading.repoReachedAt), status: ready ? 200 : 503)
    }
}

/// Counts of outcomes by name (webhook deliveries by result), as the handler saw them.
public final class ResultCounts: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    public init() {}

    func add(_ result: String) {
        counts.withLock { $0[result, default: 0] += 1 }
    }

    public var snapshot: [String: Int] { counts.withLock { $0 } }
}
