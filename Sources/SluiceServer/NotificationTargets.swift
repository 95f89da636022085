import Foundation
import SluiceCore
import SluiceYAML

/// `--notifications FILE`: where the controller's events go. A machine file (or a mounted
/// Secret), never the fleet repo: a Slack webhook URL is itself a credential.
///
///     targets:
///       - name: oncall                # recorded in the history; the URL never is
///         type: slack                 # slack (incoming webhook) | webhook (JSON, HMAC-signed)
///         url: https://hooks.slack.com/services/...
///         events: [halted, approvalWaits, rejected]   # optional; default: all of `Notice.events`
///         environments: [production]                   # optional; default: all
///       - name: audit
///         type: webhook
///         url: https://audit.example.com/sluice
///         secretFile: /etc/sluice/audit-secret       # X-Signature: sha256=HMAC(secret, body)
public struct NotificationTargets: Sendable {
    public struct Target: Sendable, Equatable {
        public enum Kind: String, Sendable { case slack, webhook }
        public var name: String
        public var kind: Kind
        public var url: String
        public var secret: [UInt8]?
        public var events: Set<HistoryOutcome>
        public var environments: Set<String>?

        func wants(_ event: HistoryEvent) -> Bool {
            guard let outcome = event.outcome, events.contains(outcome) else { return false }
            return environments?.contains(event.environment) ?? true
        }
    }

    public var targets: [Target]

    public init(targets: [Target]) {
        self.targets = targets
    }

    /// `readFile` reads a `secretFile` (the CLI's: bounded, from the machine).
    public static func parse(_ bytes: [UInt8], file: String, readFile: (String) -> [UInt8]?) throws(ValidationFailure) -> NotificationTargets {
        let root: YAMLNode
        do { root = try YAMLParser().parseSingle(bytes, file: file) } catch { throw ValidationFailure([error]) }
        var problems: [Diagnostic] = []
        func problem(_ node: YAMLNode?, _ fallback: YAMLNode, _ message: String) {
            problems.append(Diagnostic(file: file, mark: (node ?? fallback).mark, message: message))
        }
        guard let list = root["targets"]?.sequence else {
            throw ValidationFailure([Diagnostic(file: file, mark: root.mark, message: "a notifications file is a mapping with a `targets` list")])
        }
        var targets: [Target] = []
        var names: Set<String> = []
        for item in list.prefix(100) {
            for pair in item.mapping ?? [] where !["name", "type", "url", "events", "environments", "secretFile"].contains(pair.key.scalar?.text ?? "") {
                problem(pair.key, item, "unknown field \(pair.key.scalar?.text ?? "?") (a target has name, type, url, events, environments, secretFile)")
            }
            guard let name = item["name"]?.scalar?.text, !name.isEmpty else { problem(nil, item, "a target needs a name"); continue }
            if !names.insert(name).inserted { problem(item["name"], item, "the name \(name) is given twice") }
            guard let kind = item["type"]?.scalar.flatMap({ Target.Kind(rawValue: $0.text) }) else {
                problem(item["type"], item, "type of \(name) must be slack or webhook")
                continue
            }
            guard let url = item["url"]?.scalar?.text, url.hasPrefix("https://") || url.hasPrefix("http://") else {
                problem(item["url"], item, "url of \(name) must be an http(s) URL")
                continue
            }
            var events = Notice.events
            if let node = item["events"] {
                let given = node.sequence?.compactMap { $0.scalar?.text } ?? []
                let known = given.compactMap { HistoryOutcome(rawValue: $0) }.filter { Notice.events.contains($0) }
                guard !given.isEmpty, known.count == given.count, known.count == node.sequence?.count else {
                    problem(node, item, "events of \(name) must be a list of \(Notice.events.map(\.rawValue).sorted().joined(separator: ", "))")
                    continue
                }
                events = Set(known)
            }
            var environments: Set<String>?
            if let node = item["environments"] {
                guard let given = node.sequence?.compactMap({ $0.scalar?.text }), !given.isEmpty, given.count == node.sequence?.count else {
                    problem(node, item, "environments of \(name) must be a list of environment names")
                    continue
                }
                environments = Set(given)
            }
            var secret: [UInt8]?
            if let path = item["secretFile"]?.scalar?.text {
                guard var bytes = readFile(path) else { problem(item["secretFile"], item, "secretFile of \(name) cannot be read"); continue }
                while let last = bytes.last, last == 10 || last == 13 { bytes.removeLast() }
                guard bytes.count >= 16 else { problem(item["secretFile"], item, "the secret of \(name) is shorter than 16 bytes"); continue }
                secret = bytes
            } else if kind == .webhook {
                problem(item, item, "webhook target \(name) needs a secretFile: its deliveries are signed")
                continue
            }
            targets.append(Target(name: name, kind: kind, url: url, secret: secret, events: events, environments: environments))
        }
        if list.count > 100 { problems.append(Diagnostic(file: file, mark: root.mark, message: "more than 100 targets")) }
        guard problems.isEmpty else { throw ValidationFailure(problems) }
        return NotificationTargets(targets: targets)
    }
}
