import Foundation

/// How `sluice run --listen` serves: where, who may do what, the webhooks' secret.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    public var identities: Identities
    /// Reads need a token too (any role); otherwise they are open.
    public var readsNeedToken: Bool
    /// The webhooks' shared secret; nil: the webhook routes answer 404.
    public var webhookSecret: [UInt8]?
    /// A body longer than this is refused (413) before it is read whole.
    public var maxWebhookBytes: Int = 5 << 20
    public var maxRequestBytes: Int = 64 << 10
    /// `/readyz` fails when the fleet repo was last reached longer ago than this (seconds).
    public var readinessMaxAge: Double = 300
    /// Reads share answers for a moment (`ResponseCache`); tests that read right after a
    /// change turn this off.
    public var cachesReads = true

    public init(host: String, port: Int, identities: Identities = .none, readsNeedToken: Bool = false, webhookSecret: [UInt8]? = nil) {
        self.host = host
        self.port = port
        self.identities = identities
        self.readsNeedToken = readsNeedToken
        self.webhookSecret = webhookSecret
    }

    /// `HOST:PORT`, `:PORT` (every interface) or `PORT` (loopback); nil when it is none.
    public static func listenAddress(_ text: String) -> (host: String, port: Int)? {
        let host: String, portText: Substring
        if let colon = text.lastIndex(of: ":") {
            host = text[..<colon].isEmpty ? "0.0.0.0" : String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            portText = text[text.index(after: colon)...]
        } else {
            host = "127.0.0.1"
            portText = Substring(text)
        }
        guard let port = Int(portText), (0...65_535).contains(port), !host.isEmpty, !host.contains(where: \.isWhitespace) else { return nil }
        return (host, port)
    }
}
