import SluiceModel
import SluiceYAML

/// The lists Kubernetes merges element by element (strategic merge patch), and the fields
/// that identify an element: the merge keys of the core API types Sluice's add-ons use.
/// Any other list (args, tolerations, RBAC rules...) is replaced as a whole.
enum ListMergeKeys {
    /// The key fields of the list at `path`, or nil for a list that is replaced. `items` tells
    /// container ports from Service ports. Ports are keyed with their protocol, as the API
    /// server's list-map keys are: DNS serves port 53 over both UDP and TCP.
    static func fields(for path: [String], items: [Value]) -> [String]? {
        guard let field = path.last else { return nil }
        let fields: [String]
        switch field {
        case "containers", "initContainers", "ephemeralContainers", "env", "volumes", "imagePullSecrets":
            fields = ["name"]
        case "ports":
            fields = items.contains { $0["containerPort"] != nil } ? ["containerPort", "protocol"] : ["port", "protocol"]
        case "volumeMounts": fields = ["mountPath"]
        case "volumeDevices": fields = ["devicePath"]
        case "hostAliases": fields = ["ip"]
        default: return nil
        }
        // Only when every element is a map carrying the key; otherwise replace the list.
        guard items.allSatisfy({ $0[fields[0]] != nil }) else { return nil }
        return fields
    }

    /// An element's identity under `fields`; a missing protocol is TCP, the API's default.
    static func identity(of item: Value, fields: [String]) -> Value? {
        guard item[fields[0]] != nil else { return nil }
        return .list(fields.map { item[$0] ?? ($0 == "protocol" ? .string("TCP") : .null) })
    }
}
