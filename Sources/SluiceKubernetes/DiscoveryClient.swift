import Foundation

/// Fetches an API server's discovery into a `ResourceIndex`: aggregated discovery (two
/// requests) where the server serves it, else `/api`, `/apis` and every preferred
/// group-version's resource list. Cached by the caller; `refresh` again when a kind is not
/// found, so that CRDs installed by an earlier add-on of the same rollout are seen.
public struct DiscoveryClient: Sendable {
    public let client: APIClient

    static let aggregatedAccept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
        + "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"

    public init(client: APIClient) {
        self.client = client
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        case request(APIClient.Failure)
        case document(DiscoveryError)

        public var isTransient: Bool {
            if case .request(let failure) = self { return failure.isTransient }
            return false
        }

        public var description: String {
            switch self {
            case .request(let failure): return failure.description
            case .document(let error): return error.description
            }
        }
    }

    public func discover() async throws(Failure) -> ResourceIndex {
        var index = ResourceIndex()
        let core = try await get("/api", accept: Self.aggregatedAccept)
        if core.headers["content-type"]?.contains("as=APIGroupDiscoveryList") == true {
            let groups = try await get("/apis", accept: Self.aggregatedAccept)
            do {
                try index.addAggregated(core.body)
                try index.addAggregated(groups.body)
            } catch { throw .document(error) }
            return index
        }
        // Legacy discovery: the core versions, then each group's preferred version.
        let versions = ((try? JSONSerialization.jsonObject(with: Data(core.body))) as? [String: Any])?["versions"] as? [String] ?? ["v1"]
        var paths = versions.map { "/api/\($0)" }
        let groups = try await get("/apis", accept: "application/json")
        let list = (try? JSONSerialization.jsonObject(with: Data(groups.body))) as? [String: Any]
        for group in list?["groups"] as? [[String: Any]] ?? [] {
            if let preferred = (group["preferredVersion"] as? [String: Any])?["groupVersion"] as? String { paths.append("/apis/\(preferred)") }
        }
        for path in paths {
            let resources = try await get(path, accept: "application/json")
            do { try index.addResourceList(resources.body) } catch { throw .document(error) }
        }
        return index
    }

    private func get(_ path: String, accept: String) async throws(Failure) -> HTTPResponse {
        do { return try await client.send("GET", path, accept: accept) } catch { throw .request(error) }
    }
}
