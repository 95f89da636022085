import Hummingbird
import Logging
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif
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
        // The server's own thread, at the lowest priority, for its I/O and (`EventLoopExecutor`)
        // its tasks: however hard the API is asked, it never takes the CPU the controller
        // needs (and answers are shared for a moment: `ResponseCache`).
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        try await loop.submit { Self.lowerThisThreadsPriority() }.get()
        let executor = EventLoopExecutor(loop)
        let application = Application(
            responder: Responder(handler: handler, settings: settings),
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "sluice"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("serving on \(channel.localAddress?.description ?? "?")")
                await onListening(port)
            },
            eventLoopGroupProvider: .shared(group),
            logger: logger)
        do { try await withTaskExecutorPreference(executor) { try await application.run() } } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try? await group.shutdownGracefully()
    }

    /// The calling thread only (Linux keeps scheduling per thread: sched_setscheduler(2) and
    /// setpriority(2) with 0 name the caller): SCHED_IDLE, which runs it when the controller's
    /// threads leave a core free, and nice 19 where that is refused. A probe still gets its
    /// few microseconds on a saturated machine; a flood of reads does not slow a rollout.
    static func lowerThisThreadsPriority() {
        #if os(Linux)
        var parameters = sched_param()
        parameters.sched_priority = 0
        // SCHED_IDLE is 5 in <sched.h>, behind _GNU_SOURCE, which Swift's Glibc does not see.
        if sched_setscheduler(0, 5, &parameters) != 0 {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        }
        #endif
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
            return Self.response(await handler.handle(apiRequest), gzip: Gzip.accepted(headers["accept-encoding"]))
        }

        static func response(_ answer: APIResponse, gzip: Bool = false) -> Response {
            var fields = HTTPFields()
            for (name, value) in answer.headers.sorted(by: { $0.key < $1.key }) {
                if let name = HTTPFields.Element.Name(name) { fields[name] = value }
            }
            fields[.cacheControl] = "no-store"
            var body = answer.bytes
            if answer.bytes.readableBytes >= Gzip.minimumBytes {
                fields[.vary] = "Accept-Encoding"
                if gzip, let compressed = answer.gzipped ?? Gzip.compress(answer.bytes) {
                    fields[.contentEncoding] = "gzip"
                    body = compressed
                }
            }
            return Response(status: HTTPResponse.Status(code: answer.status), headers: fields, body: ResponseBody(byteBuffer: body))
        }
    }
}
