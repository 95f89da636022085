import ArgumentParser
import Foundation
import SluiceServer
import SluiceYAML

/// `sluice run`'s HTTP side: where it listens, who may act, the webhooks' secret. Secrets
/// come from files or the environment of the machine, never from the fleet repo.
struct ServerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Serve the API, webhooks and probes on HOST:PORT (:PORT every interface, PORT loopback only).", valueName: "address"))
    var listen: String?
    @Option(help: ArgumentHelp("Identities: a YAML file of tokens' SHA-256, names and roles (see README).", valueName: "file"))
    var tokensFile: String?
    @Option(help: ArgumentHelp("One bare token with every role, named admin (as SLUICE_API_TOKEN).", valueName: "file"))
    var apiTokenFile: String?
    @Option(help: ArgumentHelp("The webhooks' shared secret (as SLUICE_WEBHOOK_SECRET); without one, webhooks are off.", valueName: "file"))
    var webhookSecretFile: String?
    @Flag(help: "Reads need a token too (any role); otherwise they are open.") var readsNeedToken = false

    func validate() throws {
        if let listen, ServerSettings.listenAddress(listen) == nil { throw ValidationError("--listen \(listen) is not HOST:PORT, :PORT or PORT") }
        if listen == nil, tokensFile != nil || apiTokenFile != nil || webhookSecretFile != nil || readsNeedToken {
            throw ValidationError("--tokens-file, --api-token-file, --webhook-secret-file and --reads-need-token need --listen")
        }
    }

    /// Nil without `--listen`; a file that cannot be used exits 1 with `file:line:column: why`.
    func settings() throws -> ServerSettings? {
        guard let listen, let address = ServerSettings.listenAddress(listen) else { return nil }
        let environment = ProcessInfo.processInfo.environment
        var identities = Identities.none
        if let tokensFile { identities = identities.adding(try parsed(tokensFile, TokensFile.parse)) }
        if let apiTokenFile { identities = identities.adding(try parsed(apiTokenFile, TokensFile.singleToken)) }
        if let token = environment["SLUICE_API_TOKEN"], !token.isEmpty {
            identities = identities.adding(try parsed(Array(token.utf8), "SLUICE_API_TOKEN", TokensFile.singleToken))
        }
        var secret: [UInt8]?
        if let webhookSecretFile {
            secret = try read(webhookSecretFile)
            while let last = secret?.last, last == 10 || last == 13 { secret?.removeLast() }
        } else if let value = environment["SLUICE_WEBHOOK_SECRET"], !value.isEmpty {
            secret = Array(value.utf8)
        }
        if let given = secret, given.count < 16 {
            try fail([Diagnostic(file: webhookSecretFile ?? "", message: "the webhook secret is shorter than 16 bytes: too easy to guess")], output: .text)
        }
        return ServerSettings(host: address.host, port: address.port, identities: identities, readsNeedToken: readsNeedToken, webhookSecret: secret)
    }

    private func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            try fail([Diagnostic(file: path, message: "cannot be read")], output: .text)
        }
        return Array(data)
    }

    private func parsed(_ path: String, _ parse: ([UInt8], String) throws(ValidationFailure) -> Identities) throws -> Identities {
        try parsed(try read(path), path, parse)
    }

    private func parsed(_ bytes: [UInt8], _ name: String, _ parse: ([UInt8], String) throws(ValidationFailure) -> Identities) throws -> Identities {
        do { return try parse(bytes, name) } catch {
            // The token itself is never printed: only where it came from and what is wrong.
            try fail(error.diagnostics, output: .text)
        }
    }
}
