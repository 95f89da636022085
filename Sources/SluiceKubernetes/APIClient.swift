import Foundation
import SluiceCore
import SluiceDrivers

/// Requests to one API server: the credentials' `Authorization` header on each, transient
/// failures (429, 5xx, dropped connections, timeouts) tried again with `RetryPolicy`'s backoff
/// on the fleet's clock, a 401 answered by asking the credentials again once (an exec
/// plugin's token may have expired early). Answers other than 2xx come back as `APIStatus`.
public struct APIClient: Sendable {
    public let server: String
    public let transport: CurlTransport
    public let credentials: ClientCredentials
    public var retry = RetryPolicy()
    let clock: any FleetClock
    /// In 0..<1, drawn per retry (a test fixes it).
    var jitter: @Sendable () -> Double = { Double.random(in: 0..<1) }

    public init(server: String, transport: CurlTransport, credentials: ClientCredentials, clock: any FleetClock) {
        var server = server
        while server.hasSuffix("/") { server.removeLast() }
        self.server = server
        self.transport = transport
        self.credentials = credentials
        self.clock = clock
    }

    /// Why a request failed after its retries. `isTransient`: the cluster may answer later.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case transport(TransportError)
        case status(APIStatus)
        case credentials(KubeconfigError)

        public var isTransient: Bool {
            switch self {
            case .transport(let error): return error.isTransient
            case .status(let status): return status.isTransient
            case .credentials: return false
            }
        }

        public var description: String {
            switch self {
            case .transport(let error): return error.description
            case .status(let status): return status.description
            case .credentials(let error): return error.description
            }
        }
    }

    /// Sends `method path` (path with its query) and returns a 2xx answer.
    public func send(_ method: String, _ path: String, contentType: String? = nil, body: [UInt8] = [],
                     accept: String = "application/json") async throws(Failure) -> HTTPResponse {
        var attempt = 1
        var reauthorized = false
        while true {
            var headers = ["Accept": accept, "User-Agent": "sluice"]
            if let contentType { headers["Content-Type"] = contentType }
            do {
                if let authorization = try await credentials.authorization() { headers["Authorization"] = authorization }
            } catch { throw .credentials(error) }
            let delay: Double?
            let failure: Failure
            do {
                let response = try await transport.perform(HTTPRequest(method: method, url: server + path, headers: headers, body: body))
                if (200..<300).contains(response.status) { return response }
                let status = APIStatus(response: response)
                if status.isUnauthorized && !reauthorized {
                    reauthorized = true
                    await credentials.invalidate()
                    continue
                }
                delay = retry.delay(after: attempt, status: status, jitter: jitter())
                failure = .status(status)
            } catch {
                delay = retry.delay(after: attempt, error: error, jitter: jitter())
                failure = .transport(error)
            }
            guard let delay else { throw failure }
            // Cancelled while waiting: the last answer is the one to report.
            do { try await clock.sleep(seconds: delay) } catch { throw failure }
            attempt += 1
        }
    }
}
