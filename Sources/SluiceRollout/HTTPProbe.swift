import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// GET requests of `http` and `prometheus` checks, bounded by a real-time timeout (a
/// network answer takes real time, virtual or not) and by the size of the body kept.
public struct HTTPProbe: Sendable {
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var body: String
    }

    /// Bodies beyond this are cut: a check reads a status and a pattern, not a download.
    public var maxBodyBytes = 1 << 20

    public init() {}

    public func get(_ url: String, timeout: Double) async -> Result<Response, ProbeError> {
        guard let target = URL(string: url), target.scheme == "http" || target.scheme == "https" else {
            return .failure(ProbeError("not an http(s) URL"))
        }
        var request = URLRequest(url: target, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: max(0.1, timeout))
        request.httpMethod = "GET"
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = max(0.1, timeout)
        configuration.timeoutIntervalForResource = max(0.1, timeout)
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        do {
            let (data, response) = try await session.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            return .success(Response(status: status, body: String(decoding: data.prefix(maxBodyBytes), as: UTF8.self)))
        } catch {
            return .failure(ProbeError((error as NSError).localizedDescription))
        }
    }
}

public struct ProbeError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// An instant query against a Prometheus HTTP API (`/api/v1/query`): the one number a
/// threshold is compared with (a scalar, or a vector of exactly one sample).
public struct PrometheusQuery: Sendable {
    public var http: HTTPProbe

    public init(http: HTTPProbe = HTTPProbe()) { self.http = http }

    public func instant(url: String, query: String, timeout: Double) async -> Result<Double, ProbeError> {
        var components = URLComponents(string: url.hasSuffix("/") ? String(url.dropLast()) : url)
        components?.path += "/api/v1/query"
        components?.queryItems = [URLQueryItem(name: "query", value: query)]
        // `+` is a space to Prometheus' form decoding: escape it.
        let encoded = components?.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        components?.percentEncodedQuery = encoded
        guard let target = components?.string else { return .failure(ProbeError("not a valid URL: \(url)")) }
        switch await http.get(target, timeout: timeout) {
        case .failure(let error): return .failure(error)
        case .success(let response):
            guard response.status == 200 else {
                return .failure(ProbeError("Prometheus answered \(response.status): \(response.body.prefix(200))"))
            }
            return Self.value(of: response.body)
        }
    }

    /// `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"0.5"]}]}}`
    static func value(of body: String) -> Result<Double, ProbeError> {
        // A body that is not JSON fails the check with the body quoted, which says more than the parser would.
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              json["status"] as? String == "success", let data = json["data"] as? [String: Any] else {
            return .failure(ProbeError("not a successful Prometheus answer: \(body.prefix(200))"))
        }
        let sample: [Any]?
        switch data["resultType"] as? String {
        case "scalar": sample = data["result"] as? [Any]
        case "vector":
            let result = data["result"] as? [[String: Any]] ?? []
            guard result.count == 1 else {
                return .failure(ProbeError("the query gave \(result.count) series; a threshold needs exactly one"))
            }
            sample = result[0]["value"] as? [Any]
        default:
            return .failure(ProbeError("the query gave a \(data["resultType"] as? String ?? "?"); a threshold needs a scalar or one series"))
        }
        guard let text = sample?.last as? String, let value = Double(text) else {
            return .failure(ProbeError("no sample value in the answer"))
        }
        return .success(value)
    }
}
