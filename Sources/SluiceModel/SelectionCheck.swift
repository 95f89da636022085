/// What `--env` and `--cluster` name, checked the same way by every command: an unknown
/// name is a usage error (exit 2) with one suggestion, the same everywhere.
extension FleetRepository {
    /// Why the selection names nothing; nil when it is fine.
    public func selectionProblem(environment: String?, cluster: String?) -> String? {
        if let name = environment, fleet.environment(named: name) == nil {
            let names = fleet.environments.map(\.name.value)
            return "no environment named \"\(name)\"\(Suggestion.hint(for: name, in: names)) (environments: \(names.joined(separator: ", ")))"
        }
        if let name = cluster {
            guard let found = clusters[name] else {
                return "no cluster named \"\(name)\"\(Suggestion.hint(for: name, in: clusters.keys))"
            }
            if let environment, self.environment(of: found)?.name.value != environment {
                return "cluster \"\(name)\" is not in environment \"\(environment)\""
            }
        }
        return nil
    }
}
