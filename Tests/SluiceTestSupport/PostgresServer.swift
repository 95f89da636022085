import Foundation
import SluiceDrivers

/// A real PostgreSQL (Debian's package) for a test: a new cluster in a temporary folder,
/// listening on 127.0.0.1 only, on a free port, with trust authentication for one user;
/// stopped and removed by `stop()` (and at deinit). PostgreSQL refuses to run as root, so as
/// root (CI) its programs run as the `postgres` user, who owns the folder. Programs run
/// through `ChildProcess` (Foundation's `Process` did not return from `waitUntilExit` after
/// `runuser pg_ctl start` here, though pg_ctl had exited).
public final class PostgresServer: @unchecked Sendable {
    public let folder: String
    public let port: Int
    public let user = "sluice"
    private let binaries: String
    private var running = false

    public var url: String { "postgresql://\(user)@127.0.0.1:\(port)/postgres?connect_timeout=5" }

    private init(binaries: String, folder: String, port: Int) {
        self.binaries = binaries
        self.folder = folder
        self.port = port
    }

    /// A new cluster, started; pg_ctl -w returns once it accepts connections.
    public static func start() async throws -> PostgresServer {
        guard let binaries = binaries() else { throw TestFailure("PostgreSQL's programs (initdb, pg_ctl) are not installed: make deps installs them") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let server = PostgresServer(binaries: binaries, folder: folder, port: try freePort())
        if getuid() == 0 { try await server.run("/bin/chown", ["postgres:postgres", folder]) }
        try await server.runAsServerUser("initdb", ["-D", folder + "/data", "-U", server.user, "--auth=trust", "--no-sync", "-E", "UTF8"])
        try await server.start()
        return server
    }

    /// A new, empty database on the server; the URL of it.
    public func createDatabase() async throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await run(binaries + "/createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", user, name])
        return "postgresql://\(user)@127.0.0.1:\(port)/\(name)?connect_timeout=5"
    }

    /// Stops it at once (`immediate`: a crash, as far as clients can tell).
    public func stop() async {
        guard running else { return }
        running = false
        try? await runAsServerUser("pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"])
    }

    /// Starts it (again) on the same port and data.
    public func start() async throws {
        guard !running else { return }
        try await runAsServerUser("pg_ctl", ["-D", folder + "/data", "-l", folder + "/server.log", "-w", "-t", "60", "start",
                                             "-o", "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off"])
        running = true
    }

    /// A server still running is shut down at once (SIGQUIT to the postmaster, its immediate
    /// shutdown), not waited for.
    deinit {
        if running, let text = try? String(contentsOfFile: folder + "/data/postmaster.pid", encoding: .utf8),
           let pid = text.split(separator: "\n").first.flatMap({ Int32($0) }) {
            kill(pid, SIGQUIT)
            // The folder goes once the server is gone (it writes there as it stops): at most 5 s.
            for _ in 0..<500 where kill(pid, 0) == 0 { usleep(10_000) }
        }
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func runAsServerUser(_ program: String, _ arguments: [String]) async throws {
        let path = binaries + "/" + program
        if getuid() == 0 {
            try await run("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments)
        } else {
            try await run(path, arguments)
        }
    }

    private func run(_ program: String, _ arguments: [String]) async throws {
        let output = try await ChildProcess.run(program, arguments, environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"], timeout: 120)
        guard output.status == .exited(0) else {
            let log = (try? String(contentsOfFile: folder + "/server.log", encoding: .utf8)) ?? ""
            throw TestFailure("\(program) \(arguments.first ?? "") failed (\(output.status)): \(String(decoding: output.stderr, as: UTF8.self))\(log.suffix(2_000))")
        }
    }

    /// Debian keeps the server's programs in /usr/lib/postgresql/VERSION/bin (the newest wins).
    private static func binaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        for version in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/pg_ctl") {
            return "\(root)/\(version)/bin"
        }
        return nil
    }

    /// A port the kernel has just handed out (bound, read, released).
    private static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestFailure("no socket for a free port") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw TestFailure("no free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
