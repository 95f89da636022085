import Foundation
import NIOCore

/// A request as the handlers see it: no Hummingbird type, so that tests and the fuzz target
/// call them without a socket. Header names are in lower case.
public struct APIRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }
}

public struct APIResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    /// The body as the server sends it: an answer shared by `ResponseCache` goes to every
    /// caller from these same bytes, not from a copy made per request (a 1,000-cluster
    /// matrix is megabytes).
    public var bytes: ByteBuffer
    public var body: [UInt8] { Array(buffer: bytes) }
    /// `bytes` compressed ahead, for callers that accept gzip (`withGzip()`).
    var gzipped: ByteBuffer?

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.bytes = ByteBuffer(bytes: body)
    }

    /// The answer with its body compressed once, to be sent to many (`ResponseCache`).
    func withGzip() -> APIResponse {
        guard gzipped == nil, bytes.readableBytes >= Gzip.minimumBytes else { return self }
        var copy = self
        copy.gzipped = Gzip.compress(bytes)
        return copy
    }

    /// The JSON of `value`, with `schemaVersion` when it is an object that lacks one.
    public static func json(_ value: some Encodable, status: Int = 200) -> APIResponse {
        APIResponse(status: status, headers: ["Content-Type": "application/json"], body: APIJSON.encode(value))
    }

    /// `{"schemaVersion": 1, "error": {"code": ..., "message": ...}}`: `code` is for programs
    /// (`unauthorized`, `forbidden`, `notFound`, `refused`, ...), `message` for people.
    public static func error(_ status: Int, _ code: String, _ message: String, headers: [String: String] = [:]) -> APIResponse {
        var response = json(ErrorBody(error: .init(code: code, message: message)), status: status)
        response.headers.merge(headers) { _, new in new }
        return response
    }

    struct ErrorBody: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
        }
        var schemaVersion = 1
        var error: Detail
    }
}

/// The API's JSON: RFC 3339 times, keys sorted (stable for diffs and caches).
public enum APIJSON {
    public static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every value the API encodes is one of its own types: this cannot fail.
        return (try? Array(encoder.encode(value))) ?? Array(#"{"schemaVersion":1,"error":{"code":"encoding","message":"the answer could not be encoded"}}"#.utf8)
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// Wraps a read model's answer with the API's `schemaVersion`.
struct Versioned<Value: Encodable>: Encodable {
    var schemaVersion = 1
    var value: Value
    var key: String

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(schemaVersion, forKey: Key(stringValue: "schemaVersion"))
        try container.encode(value, forKey: Key(stringValue: key))
    }
}
