import Foundation
import SluiceKubernetes
import SluiceServer
import SluiceYAML

/// `sluice run --notifications FILE`: the targets, read from the machine (files bounded), and
/// how a delivery is sent (libcurl, the system's CA bundle, 10 s per try).
enum NotificationOptions {
    static func targets(_ path: String) throws -> NotificationTargets {
        guard let bytes = read(path) else { try fail([Diagnostic(file: path, message: "cannot be read")], output: .text) }
        do { return try NotificationTargets.parse(bytes, file: path, readFile: read) } catch {
            try fail(error.diagnostics, output: .text)
        }
    }

    /// A file of at most 1 MiB.
    static func read(_ path: String) -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 1 << 20 + 1), data.count <= 1 << 20 else { return nil }
        return Array(data)
    }

    static let send: Notifier.Send = { delivery in
        do throws(TransportError) {
            let transport = try CurlTransport(tls: TLSSettings(), label: "sluice-notify")
            transport.timeoutMilliseconds = 10_000
            transport.maxResponseBytes = 64 << 10
            let response = try await transport.perform(HTTPRequest(method: "POST", url: delivery.url, headers: delivery.headers, body: delivery.body))
            return .success(response.status)
        } catch {
            // curl's own words (a host, never the URL's path, which is Slack's secret).
            let why = switch error {
            case .connection(let why): "cannot connect: \(why)"
            case .timeout(let why): "no answer in time: \(why)"
            case .tls(let why): "TLS failed: \(why)"
            case .invalid(let why): "the request could not be made: \(why)"
            case .tooLarge: "the answer was too large"
            }
            return .failure(Notifier.NotifierError(why))
        }
    }
}
