import Foundation
import SluiceCore

/// `POST /webhooks/{github,gitlab,generic}`: a signed push to a branch an environment
/// follows wakes that environment's runner, which fetches; everything else is answered and
/// counted, and changes nothing.
extension APIHandler {
    struct WebhookAnswer: Encodable {
        var schemaVersion = 1
        var result: String
        var environments: [String]?
        var detail: String?
    }

    func webhook(_ name: String, _ request: APIRequest) async -> APIResponse {
        guard let provider = WebhookDelivery.Provider(rawValue: name) else {
            return .error(404, "notFound", "no webhook \(name.prefix(100)) (github, gitlab, generic)")
        }
        guard let secret = settings.webhookSecret else {
            webhookResults.add("unconfigured")
            return .error(404, "notFound", "webhooks are off: no secret is set (--webhook-secret-file or SLUICE_WEBHOOK_SECRET)")
        }
        if request.body.count > settings.maxWebhookBytes {
            webhookResults.add("tooLarge")
            return .error(413, "tooLarge", "the body is over \(settings.maxWebhookBytes) bytes")
        }
        switch WebhookDelivery.read(provider, headers: request.headers, body: request.body, secret: secret) {
        case .unauthorized(let why):
            webhookResults.add("unauthorized")
            logger.warning("webhook \(provider.rawValue) refused: \(why)")
            return .error(401, "unauthorized", why)
        case .malformed(let why):
            webhookResults.add("malformed")
            return .error(400, "badRequest", why)
        case .ignored(let why):
            webhookResults.add("ignored")
            return .json(WebhookAnswer(result: "ignored", detail: why), status: 202)
        case .ping:
            webhookResults.add("ping")
            return .json(WebhookAnswer(result: "pong"))
        case .push(let branch):
            if let id = WebhookDelivery.deliveryID(provider, headers: request.headers), !deliveries.note(id) {
                webhookResults.add("duplicate")
                return .json(WebhookAnswer(result: "duplicate", detail: "delivery already acted on"))
            }
            let environments: [(name: String, branch: String)]
            do { environments = try await models.head().environments } catch {
                // Cannot tell which: every runner fetches (a fetch never changes state by itself).
                webhookResults.add("fetching")
                nudges.nudge()
                return .json(WebhookAnswer(result: "fetching", detail: "the fleet repo could not be read (\(error)): every environment fetches"), status: 202)
            }
            let woken = environments.filter { branch == nil || $0.branch == branch }.map(\.name)
            guard !woken.isEmpty else {
                webhookResults.add("ignored")
                return .json(WebhookAnswer(result: "ignored", detail: "no environment follows branch \(branch?.prefix(200) ?? "")"), status: 202)
            }
            webhookResults.add("fetching")
            for environment in woken { nudges.nudge(environment: environment) }
            return .json(WebhookAnswer(result: "fetching", environments: woken), status: 202)
        }
    }
}
