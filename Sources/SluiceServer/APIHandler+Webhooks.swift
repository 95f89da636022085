import CoreMetrics
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

    /// A delivery's result, counted (`sluice_webhook_deliveries_total{provider, result}`).
    func delivered(_ provider: WebhookDelivery.Provider, _ result: String) {
        webhookResults.add(result)
        Counter(label: "sluice_webhook_deliveries_total", dimensions: [("provider", provider.rawValue), ("result", result)], factory: metricsFactory).increment()
    }

    func webhook(_ name: String, _ request: APIRequest) async -> APIResponse {
        guard let provider = WebhookDelivery.Provider(rawValue: name) else {
            return .error(404, "notFound", "no webhook \(name.prefix(100)) (github, gitlab, generic)")
        }
        guard let secret = settings.webhookSecret else {
            delivered(provider, "unconfigured")
            return .error(404, "notFound", "webhooks are off: no secret is set (--webhook-secret-file or SLUICE_WEBHOOK_SECRET)")
        }
        if request.body.count > settings.maxWebhookBytes {
            delivered(provider, "tooLarge")
            return .error(413, "tooLarge", "the body is over \(settings.maxWebhookBytes) bytes")
        }
        switch WebhookDelivery.read(provider, headers: request.headers, body: request.body, secret: secret) {
        case .unauthorized(let why):
            delivered(provider, "unauthorized")
            logger.warning("webhook \(provider.rawValue) refused: \(why)")
            return .error(401, "unauthorized", why)
        case .malformed(let why):
            delivered(provider, "malformed")
            return .error(400, "badRequest", why)
        case .ignored(let why):
            delivered(provider, "ignored")
            return .json(WebhookAnswer(result: "ignored", detail: why), status: 202)
        case .ping:
            delivered(provider, "ping")
            return .json(WebhookAnswer(result: "pong"))
        case .push(let branch):
            if let id = WebhookDelivery.deliveryID(provider, headers: request.headers), !deliveries.note(id) {
                delivered(provider, "duplicate")
                return .json(WebhookAnswer(result: "duplicate", detail: "delivery already acted on"))
            }
            let environments: [(name: String, branch: String)]
            do { environments = try await models.head().environments } catch {
                // Cannot tell which: every runner fetches (a fetch never changes state by itself).
                delivered(provider, "fetching")
                nudges.nudge()
                return .json(WebhookAnswer(result: "fetching", detail: "the fleet repo could not be read (\(error)): every environment fetches"), status: 202)
            }
            let woken = environments.filter { branch == nil || $0.branch == branch }.map(\.name)
            guard !woken.isEmpty else {
                delivered(provider, "ignored")
                return .json(WebhookAnswer(result: "ignored", detail: "no environment follows branch \(branch?.prefix(200) ?? "")"), status: 202)
            }
            delivered(provider, "fetching")
            for environment in woken { nudges.nudge(environment: environment) }
            return .json(WebhookAnswer(result: "fetching", environments: woken), status: 202)
        }
    }
}
