import Foundation

/// Where each kind lives on one API server, from its discovery documents: the resource (the
/// URL's plural), the version served first (the server's preferred), and whether it is
/// namespaced, never guessed. Read from aggregated discovery (`APIGroupDiscoveryList`, one
/// request for `/api` and one for `/apis`) or from the legacy `APIResourceList` of each
/// group-version. Subresources (`deployments/status`) are left out.
public struct ResourceIndex: Sendable, Equatable {
    public struct Resource: Sendable, Equatable {
        public var group: String
        public var version: String
        public var resource: String
        public var namespaced: Bool
        public var verbs: [String]

        public init(group: String, version: String, resource: String, namespaced: Bool, verbs: [String]) {
            self.group = group
            self.version = version
            self.resource = resource
            self.namespaced = namespaced
            self.verbs = verbs
        }

        /// The collection's path: `/api/v1/namespaces/<ns>/pods`, `/apis/apps/v1/deployments`.
        public func path(namespace: String?) -> String {
            let base = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
            guard namespaced, let namespace, !namespace.isEmpty else { return "\(base)/\(resource)" }
            return "\(base)/namespaces/\(namespace)/\(resource)"
        }
    }

    /// Keyed by `group/kind` (`/Pod` for the core group).
    private var resources: [String: Resource] = [:]
    /// Every served version, keyed by `group/version/kind`: an object is created in the
    /// version its `apiVersion` names (the server refuses a body of another version).
    private var versions: [String: Resource] = [:]

    public init() {}

    /// The kind at the server's preferred version.
    public func resource(group: String, kind: String) -> Resource? { resources["\(group)/\(kind)"] }
    /// The kind at `version`, when the server serves it there.
    public func resource(group: String, version: String, kind: String) -> Resource? { versions["\(group)/\(version)/\(kind)"] }
    public var count: Int { resources.count }

    /// Helm's `GetVersionSet`: every served `group/version` (`v1` for the core group) and
    /// `group/version/Kind`, sorted.
    public var apiVersions: [String] {
        var out = Set<String>()
        for key in versions.keys {
            let parts = key.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let groupVersion = parts[0].isEmpty ? String(parts[1]) : "\(parts[0])/\(parts[1])"
            out.insert(groupVersion)
            out.insert(groupVersion + "/" + parts[2])
        }
        return out.sorted()
    }
    /// Every kind at its preferred version.
    public var all: [(kind: String, resource: Resource)] {
        resources.map { (String($0.key.split(separator: "/", omittingEmptySubsequences: false).last ?? ""), $0.value) }
            .sorted { ($0.resource.group, $0.kind) < ($1.resource.group, $1.kind) }
    }

    /// The first version of a group to name a kind wins: servers list versions preferred first.
    mutating func add(_ resource: Resource, kind: String) {
        let key = "\(resource.group)/\(kind)"
        if resources[key] == nil { resources[key] = resource }
        let versioned = "\(resource.group)/\(resource.version)/\(kind)"
        if versions[versioned] == nil { versions[versioned] = resource }
    }

    /// An `APIGroupDiscoveryList` (`/api` or `/apis`, aggregated).
    public mutating func addAggregated(_ json: [UInt8]) throws(DiscoveryError) {
        guard let list = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
              list["kind"] as? String == "APIGroupDiscoveryList", let items = list["items"] as? [[String: Any]] else {
            throw .unreadable("not an APIGroupDiscoveryList")
        }
        for group in items {
            let name = (group["metadata"] as? [String: Any])?["name"] as? String ?? ""
            for version in group["versions"] as? [[String: Any]] ?? [] {
                guard let versionName = version["version"] as? String else { continue }
                for entry in version["resources"] as? [[String: Any]] ?? [] {
                    guard let plural = entry["resource"] as? String,
                          let kind = (entry["responseKind"] as? [String: Any])?["kind"] as? String, !kind.isEmpty else { continue }
                    add(Resource(group: name, version: versionName, resource: plural, namespaced: entry["scope"] as? String == "Namespaced",
                                 verbs: entry["verbs"] as? [String] ?? []), kind: kind)
                }
            }
        }
    }

    /// An `APIResourceList` of one group-version (`/api/v1`, `/apis/apps/v1`).
    public mutating func addResourceList(_ json: [UInt8]) throws(DiscoveryError) {
        guard let list = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
              let groupVersion = list["groupVersion"] as? String, let entries = list["resources"] as? [[String: Any]] else {
            throw .unreadable("not an APIResourceList")
        }
        let parts = groupVersion.split(separator: "/").map(String.init)
        let (group, version) = parts.count == 2 ? (parts[0], parts[1]) : ("", parts.first ?? "")
        for entry in entries {
            guard let plural = entry["name"] as? String, !plural.contains("/"), let kind = entry["kind"] as? String else { continue }
            add(Resource(group: group, version: version, resource: plural, namespaced: entry["namespaced"] as? Bool ?? false,
                         verbs: entry["verbs"] as? [String] ?? []), kind: kind)
        }
    }
}

public enum DiscoveryError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(String)
    public var description: String { "API discovery: \(description(of: self))" }
    private func description(of error: DiscoveryError) -> String {
        switch error { case .unreadable(let why): return why }
    }
}
