import Foundation
import SluiceCore

/// One event made into what a target receives. Pure: the notifier sends it.
public enum Notice {
    /// The events worth telling people about: a rollout's milestones, what waits for them,
    /// and what went wrong.
    public static let events: Set<HistoryOutcome> = [.rolloutStarted, .stageDone, .approvalWaits, .halted, .rejected, .rolledBack,
                                                     .rolloutDone, .driftFound]

    public struct Delivery: Sendable, Equatable {
        public var url: String
        public var headers: [String: String]
        public var body: [UInt8]
    }

    /// The JSON a `webhook` target receives (README).
    struct Payload: Encodable {
        var schemaVersion = 1
        var event: String
        var severity: String
        var at: Date
        var environment: String
        var cluster: String?
        var addon: String?
        var commit: String?
        var detail: String
        /// For `approvalWaits`: the command that approves exactly this commit.
        var approve: String?
    }

    /// `sluice approve ENV --commit SHA`: what approves the commit that waits, and nothing else.
    static func approveCommand(_ event: HistoryEvent) -> String? {
        guard event.outcome == .approvalWaits, let commit = event.commit else { return nil }
        return "sluice approve \(event.environment) --commit \(commit.prefix(12))"
    }

    public static func delivery(_ event: HistoryEvent, to target: NotificationTargets.Target) -> Delivery {
        switch target.kind {
        case .webhook:
            let body = APIJSON.encode(Payload(event: event.outcome?.rawValue ?? event.kind.rawValue, severity: (event.outcome?.severity ?? .info).rawValue,
                                              at: event.at, environment: event.environment, cluster: event.cluster, addon: event.addon,
                                              commit: event.commit, detail: event.detail, approve: approveCommand(event)))
            var headers = ["Content-Type": "application/json", "X-Sluice-Event": event.outcome?.rawValue ?? event.kind.rawValue]
            if let secret = target.secret { headers["X-Signature"] = "sha256=" + Digests.hex(Digests.hmacSHA256(key: secret, body)) }
            return Delivery(url: target.url, headers: headers, body: body)
        case .slack:
            struct Message: Encodable { var text: String }
            return Delivery(url: target.url, headers: ["Content-Type": "application/json"], body: APIJSON.encode(Message(text: slackText(event))))
        }
    }

    /// One line for a chat: what, where, which commit, why; `&`, `<` and `>` escaped as
    /// Slack asks (a detail cannot make a link or a mention).
    static func slackText(_ event: HistoryEvent) -> String {
        func escaped(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        let icon = switch event.outcome?.severity ?? .info {
        case .error: ":rotating_light:"
        case .warning: ":warning:"
        case .info: ":information_source:"
        }
        let what = event.outcome.map(title) ?? event.kind.rawValue
        let place = [event.cluster, event.addon].compactMap { $0 }.map(escaped).joined(separator: "/")
        var text = "\(icon) *\(escaped(event.environment))* \(what)"
        if let commit = event.commit { text += " at `\(commit.prefix(12))`" }
        if !place.isEmpty { text += " on \(place)" }
        text += ": " + escaped(String(event.detail.prefix(2_000)))
        if let approve = approveCommand(event) { text += "\nTo approve: `\(escaped(approve))`" }
        return text
    }

    static func title(_ outcome: HistoryOutcome) -> String {
        switch outcome {
        case .rolloutStarted: return "rollout started"
        case .stageDone: return "stage done"
        case .approvalWaits: return "waits for an approval"
        case .halted: return "halted"
        case .rejected: return "rejected a commit"
        case .rolledBack: return "rolled back"
        case .rolloutDone: return "converged"
        case .driftFound: return "drift found"
        default: return outcome.rawValue
        }
    }
}
