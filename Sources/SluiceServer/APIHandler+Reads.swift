import Foundation
import SluiceCore
import SluiceQueries
import SluiceStore
import SluiceYAML

/// The read routes: what `sluice status`, `history`, the version matrix and a cluster's page
/// show, from the same read models.
extension APIHandler {
    func status(environment: String?) async -> APIResponse {
        let report: StatusReport
        do { report = try await StatusReport.make(store: store, models: models, environment: environment, now: await clock.now()) } catch {
            return unavailable(error)
        }
        guard let environment else { return .json(Versioned(value: report.environments, key: "environments")) }
        guard let one = report.environments.first else { return .error(404, "notFound", "no environment named \(environment.prefix(100))") }
        return .json(Versioned(value: one, key: "environment"))
    }

    /// `environment`, `cluster`, `addon`, `since` (RFC 3339 or a duration ago) and `limit`,
    /// as `sluice history`'s flags; oldest first.
    func history(_ query: [String: String]) async -> APIResponse {
        var filter = HistoryFilter(environment: query["environment"], cluster: query["cluster"], addon: query["addon"], limit: 1_000)
        if let since = query["since"] {
            guard let time = HistoryQuery.time(since, now: await clock.now()) else {
                return .error(400, "badRequest", "since is neither an RFC 3339 time nor a duration such as 1h")
            }
            filter.since = time
        }
        if let text = query["limit"] {
            guard let limit = Int(text), (1...10_000).contains(limit) else { return .error(400, "badRequest", "limit must be 1 to 10000") }
            filter.limit = limit
        }
        do {
            let events = try await HistoryQuery.events(store, filter)
            return .json(Versioned(value: events.map(HistoryEntry.init), key: "events"))
        } catch {
            return unavailable(error)
        }
    }

    /// The plan JSON of `sluice plan -o json` for one environment: of `commit` (any revision
    /// the repo has, merged or not), or of the head of the environment's branch.
    func plan(environment: String, revision: String?) async -> APIResponse {
        guard let plans else { return .error(404, "notFound", "this server plans nothing") }
        switch await plans.plan(environment: environment, revision: revision) {
        case .success(let plan): return .json(plan)
        case .failure(.unknownEnvironment(let name)): return .error(404, "notFound", "no environment named \(name.prefix(100))")
        case .failure(.unknownRevision(let revision)): return .error(404, "notFound", "no commit \(revision.prefix(100)) in the fleet repo")
        case .failure(.invalid(let problems)): return .json(InvalidCommit(problems), status: 422)
        case .failure(.unavailable(let why)):
            logger.warning("plan of \(environment): \(why)")
            return .error(503, "unavailable", "the fleet repo or the store cannot be read now", headers: ["Retry-After": "5"])
        case .failure(.busy): return .error(503, "busy", "other plans are being computed; ask again", headers: ["Retry-After": "10"])
        }
    }

    /// What is wrong with a commit, a problem per file and line, as `sluice validate -o json`.
    struct InvalidCommit: Encodable {
        var schemaVersion = 1
        var error = APIResponse.ErrorBody.Detail(code: "invalid", message: "the commit is invalid: nothing of it would be applied")
        var errors: [DiagnosticEntry]

        init(_ problems: [Diagnostic]) {
            errors = problems.prefix(1_000).map(DiagnosticEntry.init)
        }
    }

    func matrix(environment: String?) async -> APIResponse {
        do {
            let matrix = try await VersionMatrix.make(store: store, models: models, environment: environment)
            if let environment, matrix.environments.isEmpty { return .error(404, "notFound", "no environment named \(environment.prefix(100))") }
            return .json(matrix)
        } catch {
            return unavailable(error)
        }
    }

    func cluster(_ name: String) async -> APIResponse {
        do {
            guard let view = try await ClusterView.make(store: store, models: models, cluster: name, drivers: drivers, now: await clock.now()) else {
                return .error(404, "notFound", "no cluster named \(name.prefix(100)) (neither in the fleet repo's HEAD nor in any record)")
            }
            return .json(view)
        } catch {
            return unavailable(error)
        }
    }

    func whoami(_ identity: Identities.Identity?, _ request: APIRequest) async -> APIResponse {
        struct WhoAmI: Encodable {
            var schemaVersion = 1
            var name: String?
            var role: String?
            var environments: [String]?
        }
        return .json(WhoAmI(name: identity?.name, role: identity?.role.rawValue, environments: identity?.environments.map { $0.sorted() }))
    }

    /// The store or the repo could not be read: 503, with why (a retry may work); never an
    /// empty answer that would read as "nothing there".
    func unavailable(_ error: any Error) -> APIResponse {
        logger.warning("API read failed: \(error)")
        return .error(503, "unavailable", "\(error)", headers: ["Retry-After": "5"])
    }
}
