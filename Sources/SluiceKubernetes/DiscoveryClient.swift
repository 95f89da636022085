import Foundation

/// Fetches an API server's discovery into a `ResourceIndex`: aggregated discovery (two
/// requests) where the server serves it, else `/api`, `/apis` and every preferred
/// group-version's resource list. Cached by the caller; `refresh` again when a kind is not
/// found, so that CRDs installed by an earlier add-on of the same rollout are seen.
public struct DiscoveryClient: Sendable {
    public let server: String
    public let transport: CurlTransport
    public let credentials: ClientCredentials

    static let aggregatedAccept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
        + "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"

    public init(server: String, transport: CurlTransport, credentials: ClientCredentials) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.transport = transport
        self.credentials = credentials
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        case transport(TransportError)
        case status(APIStatus)
        case credentials(KubeconfigError)
        case document(DiscoveryError)

        public var isTransient: Bool {
            switch self {
            case .transport(let error): return error.isTransient
            case .status(let status): return status.isTransient
            case .credentials, .document: return false
            }
        }

        public var description: String {
            switch self {
            case .transport(let error): return error.description
            case .status(let status): return status.description
            case .credentials(let error): return error.description
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
        var retried = false
        while true {
            var headers = ["Accept": accept]
            do {
                if let authorization = try await credentials.authorization() { headers["Authorization"] = authorization }
            } catch { throw .credentials(error) }
            let response: HTTPResponse
            do { response = try await transport.perform(HTTPRequest(url: server + path, headers: headers)) } catch { throw .transport(error) }
            if response.status == 200 { return response }
            let status = APIStatus(response: response)
            // A 401 may be an expired plugin credential: asked for again, once.
            guard status.isUnauthorized, !retried else { throw .status(status) }
            retried = true
            await credentials.invalidate()
        }
    }
}
