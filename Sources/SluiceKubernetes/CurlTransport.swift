import CCurl
import Dispatch
import Foundation

/// An HTTP request to an API server.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String = "GET", url: String, headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// How to reach one API server over TLS: certificates from memory, never from the fleet repo.
public struct TLSSettings: Sendable, Equatable {
    public var certificateAuthority: [UInt8]?
    public var clientCertificate: [UInt8]?
    public var clientKey: [UInt8]?
    public var insecureSkipVerify = false
    public var proxyURL: String?
    /// The name the server's certificate is checked against (and sent as SNI) instead of the
    /// URL's host: kubeconfig's `tls-server-name`.
    public var serverName: String?

    public init() {}
}

/// Why a request got no HTTP answer. `isTransient`: worth retrying with backoff (the
/// controller counts the cluster unreachable, not failed); TLS and usage errors are not.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    case connection(String)
    case timeout(String)
    case tls(String)
    case invalid(String)
    /// The answer was larger than the transport takes (`maxResponseBytes`): not read further.
    case tooLarge(Int)

    public var isTransient: Bool {
        switch self {
        case .connection, .timeout: return true
        case .tls, .invalid, .tooLarge: return false
        }
    }

    public var description: String {
        switch self {
        case .connection(let why): return "cannot reach the API server: \(why)"
        case .timeout(let why): return "the API server did not answer in time: \(why)"
        case .tls(let why): return "TLS with the API server failed: \(why)"
        case .invalid(let why): return "the request could not be made: \(why)"
        case .tooLarge(let limit): return "the API server's answer is larger than \(limit >> 20) MiB; it was not read"
        }
    }
}

/// One libcurl easy handle for one API server: connections are kept and reused between
/// requests, HTTP/2 is used where the server offers it. Requests run one at a time on the
/// transport's own queue, off Swift's cooperative pool (libcurl blocks).
public final class CurlTransport: @unchecked Sendable {
    // The handle is touched only on `queue`: that is what makes @unchecked Sendable true.
    private let handle: UnsafeMutableRawPointer
    private let queue: DispatchQueue
    private let tls: TLSSettings
    public var timeoutMilliseconds = 30_000
    public var connectTimeoutMilliseconds = 10_000
    /// The largest answer read (a page of 500 large CRDs fits); a larger one, or one that never
    /// ends, fails its request instead of filling memory. Header bytes are bounded too.
    public var maxResponseBytes = 128 << 20
    static let maxHeaderBytes = 1 << 20

    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    public init(tls: TLSSettings, label: String) throws(TransportError) {
        guard Self.initialized, let handle = curl_easy_init() else { throw .invalid("libcurl could not be initialised") }
        self.handle = handle
        self.tls = tls
        queue = DispatchQueue(label: "sluice.curl.\(label)")
    }

    deinit { curl_easy_cleanup(handle) }

    public func perform(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        let result: Result<HTTPResponse, TransportError> = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: self.performBlocking(request)) }
        }
        return try result.get()
    }

    /// What a response is gathered into while libcurl writes it (passed to the C callbacks).
    private final class Sink {
        var body: [UInt8] = []
        var headers: [String: String] = [:]
        var headerBytes = 0
        let limit: Int
        var tooLarge = false

        init(limit: Int) { self.limit = limit }
    }

    private func performBlocking(_ request: HTTPRequest) -> Result<HTTPResponse, TransportError> {
        curl_easy_reset(handle)  // keeps the connection cache, clears the options
        let sink = Sink(limit: maxResponseBytes)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        // An empty Expect stops curl from waiting for `100 Continue` on bodies.
        headerList = curl_slist_append(headerList, "Expect:")
        var status: CURLcode = CURLE_OK
        func set(_ code: CURLcode) { if status == CURLE_OK { status = code } }
        var url = request.url
        var connectTo: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(connectTo) }
        // tls-server-name: the URL names the certificate's host (SNI and verification use it),
        // and CONNECT_TO sends the connection to the real address.
        if let serverName = tls.serverName, !serverName.isEmpty, var parts = URLComponents(string: request.url), let host = parts.host {
            let port = parts.port ?? (parts.scheme == "http" ? 80 : 443)
            parts.host = serverName
            parts.port = port
            url = parts.string ?? url
            let target = host.contains(":") ? "[\(host)]" : host
            connectTo = curl_slist_append(connectTo, "\(serverName):\(port):\(target):\(port)")
            set(sluice_curl_setopt_slist(handle, CURLOPT_CONNECT_TO, connectTo))
        }
        set(sluice_curl_setopt_string(handle, CURLOPT_URL, url))
        set(sluice_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method))
        set(sluice_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        set(sluice_curl_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)))
        set(sluice_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeoutMilliseconds))
        set(sluice_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, connectTimeoutMilliseconds))
        set(sluice_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
        // A Content-Length past the limit is refused before any of the body is read.
        set(sluice_curl_setopt_long(handle, CURLOPT_MAXFILESIZE, maxResponseBytes))
        set(sluice_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))
        if let ca = tls.certificateAuthority { set(ca.withUnsafeBytes { sluice_curl_setopt_blob(handle, CURLOPT_CAINFO_BLOB, $0.baseAddress, $0.count) }) }
        if let cert = tls.clientCertificate { set(cert.withUnsafeBytes { sluice_curl_setopt_blob(handle, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count) }) }
        if let key = tls.clientKey { set(key.withUnsafeBytes { sluice_curl_setopt_blob(handle, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count) }) }
        if tls.insecureSkipVerify {
            set(sluice_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0))
            set(sluice_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0))
        }
        if let proxy = tls.proxyURL { set(sluice_curl_setopt_string(handle, CURLOPT_PROXY, proxy)) }
        let context = Unmanaged.passUnretained(sink).toOpaque()
        set(sluice_curl_setopt_write_function(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            guard let data, let context else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            guard sink.body.count + size * count <= sink.limit else {
                sink.tooLarge = true
                return 0  // libcurl stops the transfer (CURLE_WRITE_ERROR)
            }
            sink.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        })
        set(sluice_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        set(sluice_curl_setopt_write_function(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            guard let data, let context else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            sink.headerBytes += size * count
            guard sink.headerBytes <= CurlTransport.maxHeaderBytes else {
                sink.tooLarge = true
                return 0
            }
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
            if let colon = line.firstIndex(of: ":") {
                sink.headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return size * count
        })
        set(sluice_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
        guard status == CURLE_OK else { return .failure(.invalid(String(cString: curl_easy_strerror(status)))) }
        let code: CURLcode = withExtendedLifetime(sink) {
            // Never a NULL body: curl would read one from standard input.
            let bytes = request.body.isEmpty ? [0] : request.body
            return bytes.withUnsafeBytes { body in
                if !request.body.isEmpty || request.method != "GET" {
                    _ = sluice_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: body.baseAddress))
                    _ = sluice_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, request.body.count)
                }
                return curl_easy_perform(handle)
            }
        }
        if sink.tooLarge || code == CURLE_FILESIZE_EXCEEDED { return .failure(.tooLarge(maxResponseBytes)) }
        guard code == CURLE_OK else { return .failure(Self.error(code)) }
        var httpStatus = 0
        _ = sluice_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &httpStatus)
        return .success(HTTPResponse(status: httpStatus, headers: sink.headers, body: sink.body))
    }

    private static func error(_ code: CURLcode) -> TransportError {
        let text = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OPERATION_TIMEDOUT: return .timeout(text)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_SEND_ERROR, CURLE_RECV_ERROR,
             CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return .connection(text)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE,
             CURLE_SSL_CIPHER, CURLE_SSL_ENGINE_NOTFOUND:
            return .tls(text)
        default: return .invalid(text)
        }
    }
}
