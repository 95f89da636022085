import Foundation
import Synchronization

/// A program Sluice runs (a credential plugin, a `command` check) that cannot wedge it: it
/// starts in a process group of its own with default signal handling and an empty signal
/// mask, its standard output and error are read together on a thread of their own (never a
/// cooperative one) and kept up to `maxOutput` bytes each (the rest is read and dropped, so a
/// flood never blocks it), and at its timeout, or when Sluice stops, its whole group is
/// killed, children included.
public enum ChildProcess {
    public struct Output: Sendable, Equatable {
        public var status: Status
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        /// More was printed than was kept.
        public var truncated: Bool
    }

    public enum Status: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
        /// Still running at the timeout: its group was killed.
        case timedOut
        /// Sluice is stopping: its group was killed.
        case stopped
    }

    public struct StartError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Runs `executable` (a path; no shell, no PATH search) to its end or `timeout` seconds.
    /// `supervisor`: whose stop kills it (the process's own, unless a test brings one).
    /// Cancelling the calling task kills it too (it reports `stopped`).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String],
                           directory: String? = nil, timeout: Double, maxOutput: Int = 64 * 1024,
                           supervisor: Supervisor = .shared) async throws(StartError) -> Output {
        let cancellation = Supervisor()
        let result: Result<Output, StartError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    continuation.resume(returning: runBlocking(executable, arguments, environment: environment, directory: directory,
                                                               timeout: timeout, maxOutput: maxOutput, supervisors: [supervisor, cancellation]))
                }
                thread.name = "sluice-child"
                thread.start()
            }
        } onCancel: {
            cancellation.stop()
        }
        return try result.get()
    }

    /// Writes a program to run: through a close-on-exec descriptor, so that no program another
    /// thread starts meanwhile holds it open for writing (which makes running it fail, ETXTBSY).
    public static func writeExecutable(_ bytes: [UInt8], to path: String) throws(StartError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o700)
        guard fd >= 0 else { throw StartError(description: "\(path) cannot be written: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw StartError(description: "\(path) cannot be written: \(String(cString: strerror(errno)))") }
            written += count
        }
    }

    /// Kills the groups of every program the shared supervisor runs (Sluice is stopping).
    public static func stopAll() { Supervisor.shared.stop() }

    /// The programs running under one owner, stopped together.
    public final class Supervisor: Sendable {
        public static let shared = Supervisor()

        private struct Running {
            var groups: Set<pid_t> = []
            var stopping = false
        }

        private let running = Mutex(Running())

        public init() {}

        /// Kills the group of every program running now or started later; they report `stopped`.
        public func stop() {
            let groups = running.withLock { running in
                running.stopping = true
                return Array(running.groups)
            }
            for group in groups { kill(-group, SIGKILL) }
        }

        var isStopping: Bool { running.withLock { $0.stopping } }

        /// False when stopping already.
        func add(_ group: pid_t) -> Bool {
            running.withLock { running in
                running.groups.insert(group)
                return !running.stopping
            }
        }

        func remove(_ group: pid_t) { running.withLock { _ = $0.groups.remove(group) } }
    }

    private static func runBlocking(_ executable: String, _ arguments: [String], environment: [String: String], directory: String?,
                                    timeout: Double, maxOutput: Int, supervisors: [Supervisor]) -> Result<Output, StartError> {
        var out: [Int32] = [0, 0], err: [Int32] = [0, 0]
        guard sluice_pipe2(&out, O_CLOEXEC) == 0 else { return .failure(StartError(description: "pipe: \(String(cString: strerror(errno)))")) }
        guard sluice_pipe2(&err, O_CLOEXEC) == 0 else {
            close(out[0]); close(out[1])
            return .failure(StartError(description: "pipe: \(String(cString: strerror(errno)))"))
        }
        let pid: pid_t
        switch spawn(executable, arguments, environment: environment, directory: directory, stdout: out[1], stderr: err[1]) {
        case .success(let started): pid = started
        case .failure(let error):
            for fd in out + err { close(fd) }
            return .failure(error)
        }
        close(out[1]); close(err[1])
        // Added to all (no short circuit): each removes it below.
        if !supervisors.map({ $0.add(pid) }).allSatisfy({ $0 }) { kill(-pid, SIGKILL) }
        defer { for supervisor in supervisors { supervisor.remove(pid) } }
        var isStopping: Bool { supervisors.contains { $0.isStopping } }

        var stdout = BoundedBuffer(limit: maxOutput), stderr = BoundedBuffer(limit: maxOutput)
        let deadline = ContinuousClock.now + .milliseconds(Int64(max(0, min(timeout, 86_400)) * 1000))
        var open = [out[0], err[0]]
        var timedOut = false
        while !open.isEmpty {
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero {
                timedOut = true
                break
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let milliseconds = Int32(min(1000, max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
            let ready = poll(&fds, nfds_t(fds.count), milliseconds)
            if ready < 0 && errno != EINTR { break }
            if isStopping { kill(-pid, SIGKILL) }
            for entry in fds where entry.revents != 0 {
                let ended = entry.fd == out[0] ? drain(entry.fd, into: &stdout) : drain(entry.fd, into: &stderr)
                if ended {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        if timedOut { kill(-pid, SIGKILL) }
        for fd in open { close(fd) }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        // Whatever the program left running in its group goes with it.
        kill(-pid, SIGKILL)
        let stopped = isStopping
        let status: Status
        if timedOut { status = .timedOut } else if raw & 0x7f == 0 {
            status = .exited((raw >> 8) & 0xff)
        } else {
            status = stopped ? .stopped : .signaled(raw & 0x7f)
        }
        return .success(Output(status: status, stdout: stdout.bytes, stderr: stderr.bytes, truncated: stdout.dropped || stderr.dropped))
    }

    /// Reads what is there; true at the end of the stream.
    private static func drain(_ fd: Int32, into buffer: inout BoundedBuffer) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 { return errno != EINTR && errno != EAGAIN }
        if count == 0 { return true }
        buffer.append(chunk[..<count])
        return false
    }

    /// Starts `executable` in a process group of its own, standard input from /dev/null,
    /// output to `stdout` and `stderr`, no other descriptor, signals as a fresh program has
    /// them; the caller waits for it. (Tests start replicas of sluice through it too.)
    public static func spawn(_ executable: String, _ arguments: [String], environment: [String: String], directory: String? = nil,
                             stdout: Int32, stderr: Int32) -> Result<pid_t, StartError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        if let directory { sluice_posix_spawn_file_actions_addchdir_np(&actions, directory) }
        // Nothing but the three standard files: descriptors other threads opened without
        // CLOEXEC (a store's, a socket's) would otherwise live on in a program that outlives
        // us (a daemon a check starts), holding them open.
        sluice_posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A group of its own (killed as one); signals as a fresh program has them, whatever
        // Sluice ignores or blocks (it ignores SIGINT and SIGTERM to stop gracefully).
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        var code = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        // ETXTBSY: a program written a moment ago (a check copied out of the fleet repo) is
        // still open for writing in a child another thread is starting; it closes at its exec.
        for _ in 0..<50 where code == ETXTBSY {
            usleep(10_000)
            code = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        }
        guard code == 0 else { return .failure(StartError(description: "\(executable) cannot be started: \(String(cString: strerror(code)))")) }
        return .success(pid)
    }
}

/// The first `limit` bytes of a stream; the rest is counted as dropped.
struct BoundedBuffer {
    let limit: Int
    private(set) var bytes: [UInt8] = []
    private(set) var dropped = false

    init(limit: Int) { self.limit = max(0, limit) }

    mutating func append(_ chunk: ArraySlice<UInt8>) {
        let room = limit - bytes.count
        if chunk.count > room { dropped = true }
        bytes += chunk.prefix(max(0, room))
    }
}

// glibc's, not exported by Swift's Glibc module (they need _GNU_SOURCE). Close-on-exec pipes
// from the start, so a program started by another thread at the same moment never inherits
// (and holds open) this one's pipe.
@_silgen_name("pipe2")
private func sluice_pipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func sluice_posix_spawn_file_actions_addclosefrom_np(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32

@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func sluice_posix_spawn_file_actions_addchdir_np(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>,
                                                         _ path: UnsafePointer<CChar>) -> Int32
