import ArgumentParser
import Foundation
import SluiceKubernetes

/// Operator commands through a running controller's API (`--server URL`), for an operator
/// without a shell on its machine: the token comes from `SLUICE_TOKEN`, the answer's typed
/// error is printed, and the exit code is the local command's (1 refused or unavailable, 2
/// usage such as an unknown environment).
struct RemoteRequests {
    let server: String
    let token: String?

    init(server: String) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        token = ProcessInfo.processInfo.environment["SLUICE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    struct Acted: Decodable {
        var environment: String
        var action: String
        var by: String
        var commit: String?
        var stage: String?
    }

    private struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var code: String
            var message: String
        }
        var error: Detail
    }

    /// POSTs the action; returns what the server did, or exits with why not.
    func act(_ action: String, environment: String, reason: String, commit: String? = nil, stage: String? = nil) async throws -> Acted {
        guard let token else {
            FileHandle.standardError.write(Data("error: --server needs a token in SLUICE_TOKEN\n".utf8))
            throw ExitCode(2)
        }
        var body: [String: String] = [:]
        if !reason.isEmpty { body["reason"] = reason }
        if let commit { body["commit"] = commit }
        if let stage { body["stage"] = stage }
        let path = environment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? environment
        let request = HTTPRequest(method: "POST", url: "\(server)/api/v1/environments/\(path)/\(action)",
                                  headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"],
                                  body: Array(try JSONEncoder().encode(body)))
        let response: HTTPResponse
        do {
            let transport = try CurlTransport(tls: TLSSettings(), label: "sluice-cli")
            response = try await transport.perform(request)
        } catch {
            FileHandle.standardError.write(Data("error: \(server) cannot be reached: \(error)\n".utf8))
            throw ExitCode(1)
        }
        if response.status == 202, let acted = try? JSONDecoder().decode(Acted.self, from: Data(response.body)) { return acted }
        let detail = (try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body))).map { "\($0.error.message) (\($0.error.code))" }
            ?? "HTTP \(response.status)"
        FileHandle.standardError.write(Data("error: \(server): \(detail)\n".utf8))
        // Usage as locally: an environment or a stage that does not exist, a malformed request.
        throw ExitCode([400, 404].contains(response.status) ? 2 : 1)
    }
}
