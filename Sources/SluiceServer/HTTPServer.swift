import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The API on a socket: Hummingbird 2's HTTP/1.1 server (no TLS in the process: TLS ends at
/// the ingress or the mesh in front of it) handing every request to `APIHandler`. A service
/// of the controller's group: a graceful shutdown stops accepting and lets answers finish.
public struct HTTPServer: Service {
    let handler: APIHandler
    let settings: ServerSettings
    let logger: Logger
    /// Told the bound port once the server listens (port 0 asks for any free one).
    let onListening: @Sendable (Int) async -> Void

    public init(handler: APIHandler, settings: ServerSettings, logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.handler = handler
        self.settings = settings
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let onListening = self.onListening, logger = self.logger
        let application = Application(
            responder: Responder(handler: handler, settings: settings),
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "sluice"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("serving on \(channel.localAddress?.description ?? "?")")
                await onListening(port)
            },
            logger: logger)
        try await application.run()
    }

    /// Hummingbird's side: the request's head and (bounded) body into an `APIRequest`.
    struct Responder: HTTPResponder {
        typealias Context = BasicRequestContext
        let handler: APIHandler
        let settings: ServerSettings

        func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
            let path = request.uri.path
            let limit = path.hasPrefix("/webhooks/") ? settings.maxWebhookBytes : settings.maxRequestBytes
            var headers: [String: String] = [:]
            for field in request.headers {
                let name = field.name.canonicalName
                // Repeated headers are joined, as HTTP allows for lists.
                headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
            }
            if let length = headers["content-length"].flatMap(Int.init), length > limit {
                return Self.response(.error(413, "tooLarge", "the body is over \(limit) bytes"))
            }
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: limit) } catch {
                return Self.response(.error(413, "tooLarge", "the body is over \(limit) bytes"))
            }
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters where query[String(key)] == nil {
                query[String(key)] = String(value)
            }
            let apiRequest = APIRequest(method: request.method.rawValue, path: path.removingPercentEncoding ?? path, query: query,
                                        headers: headers, body: Array(buffer: body))
            return Self.response(await handler.handle(apiRequest))
        }

        static func response(_ answer: APIResponse) -> Response {
            var fields = HTTPFields()
            for (name, value) in answer.headers.sorted(by: { $0.key < $1.key }) {
                if let name = HTTPFields.Element.Name(name) { fields[name] = value }
            }
            fields[.cacheControl] = "no-store"
            return Response(status: HTTPResponse.Status(code: answer.status), headers: fields,
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
    }
}
