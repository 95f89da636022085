import Foundation
import SluiceCore
import SluiceDrivers

/// An API server's answer other than success, read from its `Status` body: what the driver
/// does next depends on `reason` (retry, re-read and re-diff, fail the pair), never on the
/// message's wording.
public struct APIStatus: Error, Equatable, Sendable, CustomStringConvertible {
    public struct Cause: Equatable, Sendable {
        public var field: String
        public var reason: String
        public var message: String
    }

    public var code: Int
    /// `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `BadRequest`, `Unauthorized`,
    /// `Forbidden`, `TooManyRequests`, ... (empty when the body was not a Status).
    public var reason: String
    public var message: String
    public var causes: [Cause]
    /// The object the answer is about (`details.kind`, `details.name`): a create in a missing
    /// namespace answers 404 about `namespaces`, not about the object.
    public var detailsKind: String
    public var detailsName: String
    /// Seconds the server asks to wait (`Retry-After`, or `details.retryAfterSeconds`).
    public var retryAfter: Double?

    public init(response: HTTPResponse) {
        code = response.status
        // A body that is not JSON is no Status: its start is quoted below, which says more than the parser.
        let status = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let isStatus = status?["kind"] as? String == "Status"
        // Everything quoted from the answer is cleaned and bounded: it reaches plans, the
        // history and terminals (an escape sequence, a 50 MiB message).
        func text(_ value: Any?, limit: Int = 256) -> String { UntrustedText.clean(value as? String ?? "", limit: limit) }
        reason = isStatus ? text(status?["reason"]) : ""
        // A body that is not a Status (a proxy's HTML page) is not repeated whole.
        message = isStatus ? text(status?["message"], limit: UntrustedText.defaultLimit)
            : UntrustedText.clean(String(decoding: response.body.prefix(200), as: UTF8.self), limit: 200).trimmingCharacters(in: .whitespaces)
        let details = status?["details"] as? [String: Any]
        causes = (details?["causes"] as? [[String: Any]] ?? []).prefix(20).map {
            Cause(field: text($0["field"]), reason: text($0["reason"]), message: text($0["message"], limit: 500))
        }
        detailsKind = text(details?["kind"])
        detailsName = text(details?["name"])
        retryAfter = response.headers["retry-after"].flatMap(Double.init) ?? (details?["retryAfterSeconds"] as? NSNumber)?.doubleValue
    }

    /// Worth retrying with backoff: throttling, server errors, timeouts.
    public var isTransient: Bool { code == 429 || code >= 500 || reason == "ServerTimeout" || reason == "Timeout" }
    public var isNotFound: Bool { code == 404 }
    /// A create in a namespace that does not exist yet.
    public var isNamespaceNotFound: Bool { code == 404 && detailsKind == "namespaces" }
    /// Someone else changed the object (a stale `resourceVersion`): read it again and re-diff.
    public var isConflict: Bool { code == 409 && reason == "Conflict" && !isFieldManagerConflict }
    public var isAlreadyExists: Bool { code == 409 && reason == "AlreadyExists" }
    /// Server-side apply: fields owned by another manager (named in the causes).
    public var isFieldManagerConflict: Bool { causes.contains { $0.reason == "FieldManagerConflict" } }
    /// The credentials were refused: an exec plugin's credential is asked for again once.
    public var isUnauthorized: Bool { code == 401 }

    public var description: String {
        var text = "the API server answered \(code)\(reason.isEmpty ? "" : " \(reason)")"
        if !message.isEmpty { text += ": \(message)" }
        return text
    }
}
