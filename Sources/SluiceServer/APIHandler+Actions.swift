import Foundation
import SluiceCore
import SluiceQueries
import SluiceStore

/// What an operator may ask through the API, and the role each needs.
enum OperatorAction: String, Sendable {
    case pause, resume, approve, freeze, unfreeze, fetch

    var permission: Identities.Permission {
        self == .approve ? .approve : .operate
    }
}

/// The mutating routes: checked and queued as the CLI's commands are (`OperatorRequests`),
/// recorded with the caller's name, and the environment's runner nudged so that it acts now
/// rather than at its next interval.
extension APIHandler {
    struct ActionBody: Decodable {
        var reason: String?
        var commit: String?
        var stage: String?
    }

    struct Acted: Encodable {
        var schemaVersion = 1
        var environment: String
        var action: String
        var by: String
        var commit: String?
        var stage: String?
    }

    func act(_ action: OperatorAction, environment: String, identity: Identities.Identity?, _ request: APIRequest) async -> APIResponse {
        // `authorized` never calls this without an identity: acting needs a token.
        guard let identity else { return .error(401, "unauthorized", "this call needs a bearer token") }
        var body = ActionBody()
        if !request.body.isEmpty {
            do { body = try APIJSON.decoder().decode(ActionBody.self, from: Data(request.body)) } catch {
                return .error(400, "badRequest", "the body is not a JSON object of reason, commit and stage (strings)")
            }
        }
        let reason = String((body.reason ?? "").prefix(1_000))
        if let commit = body.commit, commit.count < 7 || commit.count > 40 || !commit.allSatisfy(\.isHexDigit) {
            return .error(400, "badRequest", "commit is not a commit id (7 to 40 hex digits)")
        }
        if body.stage != nil && body.commit == nil {
            return .error(400, "badRequest", "stage needs commit: an approval ahead names the commit it is for")
        }
        let known: [String]
        do { known = try await models.head().environments.map(\.name) } catch { return unavailable(error) }
        guard known.contains(environment) else { return .error(404, "notFound", "no environment named \(environment.prefix(100))") }
        let requests = OperatorRequests(store: store)
        let now = await clock.now()
        var acted = Acted(environment: environment, action: action.rawValue, by: identity.name)
        do {
            switch action {
            case .pause: try await requests.queue(.pause, environment: environment, user: identity.name, reason: reason, at: now)
            case .resume: try await requests.queue(.resume, environment: environment, user: identity.name, reason: reason, at: now)
            case .approve:
                let approval = try await requests.approve(environment: environment, commit: body.commit, stage: body.stage, user: identity.name,
                                                          reason: reason, at: now)
                acted.commit = approval.commit
                acted.stage = approval.stage
            case .freeze: try await requests.setFreeze(true, environment: environment, user: identity.name, reason: reason, at: now)
            case .unfreeze: try await requests.setFreeze(false, environment: environment, user: identity.name, reason: reason, at: now)
            case .fetch: try await requests.requestFetch(environment: environment, user: identity.name, reason: reason, at: now)
            }
        } catch {
            return refused(error)
        }
        logger.info("\(action.rawValue) \(environment) by \(identity.name)")
        nudges.nudge(environment: environment)
        return .json(acted, status: 202)
    }

    func refused(_ refusal: OperatorRequests.Refusal) -> APIResponse {
        switch refusal {
        case .store, .unreadableRollout: return unavailable(refusal)
        case .unknownStage: return .error(400, "badRequest", refusal.description)
        case .noRolloutUnderWay, .otherCommitUnderWay, .nothingWaits: return .error(409, "refused", refusal.description)
        }
    }
}
