import Foundation

/// A real server a test starts on 127.0.0.1 (Prometheus, an HTTP server) and stops by pid
/// with SIGKILL. Readiness is read from its output, line by line, never waited for by time.
public final class LocalServer: @unchecked Sendable {
    private let process = Process()
    private let output = Pipe()
    private var buffer = Data()
    public private(set) var lines: [String] = []

    public init(_ program: String, _ arguments: [String], directory: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit { stop() }

    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// How long a server may stay silent before a test gives up on it: a net against a hang
    /// (a server that never prints the line), not a timing assertion; real servers print
    /// within a second or two.
    public static let silenceLimit: Duration = .seconds(120)

    /// Reads the server's output until a line contains `text` (at most `limit` lines);
    /// returns that line. A server silent for `silenceLimit` fails the test instead of
    /// hanging the whole run.
    @discardableResult
    public func waitForLine(containing text: String, limit: Int = 10_000) throws -> String {
        var read = 0
        while read < limit {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                lines.append(line)
                read += 1
                if line.contains(text) { return line }
                continue
            }
            var ready = pollfd(fd: output.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(Self.silenceLimit.components.seconds * 1_000)
            guard poll(&ready, 1, milliseconds) > 0 else {
                throw TestFailure("server silent for \(Self.silenceLimit) while waiting for \"\(text)\"; its last lines: \(lines.suffix(5).joined(separator: "\n"))")
            }
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { throw TestFailure("server exited before printing \"\(text)\": \(lines.suffix(5).joined(separator: "\n"))") }
            buffer.append(data)
        }
        throw TestFailure("no line with \"\(text)\" in \(limit) lines")
    }

}

/// A port on 127.0.0.1 that refuses connections for as long as this object lives: bound and
/// never listened on, so nothing else can take it meanwhile (a port picked free and released
/// could be taken by another test before it is used).
public final class RefusingPort: @unchecked Sendable {
    public let port: Int
    private let fd: Int32

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else {
            close(fd)
            throw TestFailure("bind")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
