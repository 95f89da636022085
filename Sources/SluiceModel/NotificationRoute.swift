import SluiceYAML

/// One entry of `sluice.yaml`'s `spec.notifications`: which of the controller's events go to
/// which target. The repo names targets; the machine defines them (`sluice run
/// --notifications FILE`: URLs and secrets, which are credentials), so a fleet repo's author
/// can choose what is sent where, never send the fleet's events anywhere new.
///
///     notifications:
///       - target: oncall                      # a target of the machine's notifications file
///         events: [halted, approvalWaits]      # optional; default every event
///         environments: [production]           # optional; default every environment
public struct NotificationRoute: Sendable {
    public var target: Located<String>
    /// Empty: every event.
    public var events: [Located<String>]
    /// Empty: every environment.
    public var environments: [Located<String>]

    /// The events a route may name (`HistoryOutcome`'s raw values of the notable ones).
    public static let eventNames: [String] = ["rolloutStarted", "stageDone", "approvalWaits", "halted", "rejected", "rolledBack", "rolloutDone", "driftFound"]

    public func wants(event: String, environment: String) -> Bool {
        (events.isEmpty || events.contains { $0.value == event }) && (environments.isEmpty || environments.contains { $0.value == environment })
    }

    static func read(_ items: [YAMLNode], environments known: Set<String>, file: String, sink: DiagnosticSink) -> [NotificationRoute] {
        var routes: [NotificationRoute] = []
        for (index, item) in items.prefix(100).enumerated() {
            let path = "spec.notifications[\(index)]"
            guard let entry = NodeReader(item, file: file, sink: sink, path: path, fields: ["target", "events", "environments"]),
                  let target = entry.string("target", required: true) else { continue }
            let events = entry.stringList("events")
            for event in events where !eventNames.contains(event.value) {
                sink.error(file, event.mark, "\(path).events: unknown event \"\(event.value)\" (one of \(eventNames.joined(separator: ", ")))")
            }
            let environments = entry.stringList("environments")
            for environment in environments where !known.contains(environment.value) {
                sink.error(file, environment.mark, "\(path).environments: no environment named \"\(environment.value)\" in spec.environments")
            }
            routes.append(NotificationRoute(target: target, events: events, environments: environments))
        }
        if items.count > 100, let extra = items.dropFirst(100).first {
            sink.error(file, extra.mark, "spec.notifications: at most 100 entries")
        }
        return routes
    }
}
