import Foundation
import Synchronization
import SluiceCore
import SluiceStore

/// One writer per environment: `sluice apply` and `sluice run` hold this while they change an
/// environment's clusters and records, so that a second one refuses at once, naming the
/// holder, instead of both applying (different environments proceed together). It is an OS
/// lock (`flock`) on a file beside the store, so a process that dies, even by `kill -9`,
/// lets it go. The lock belongs to the store, not to the path it was named by: the file is
/// found through every symlink, and a store with a second name (a hard link) is refused, since
/// no file beside one name is beside the other. (The database file itself is not locked:
/// SQLite's own POSIX locks on it are dropped by any close of the file in this process.)
public final class EnvironmentLock: WriterLease {
    /// The locked file's descriptor; -1 once released.
    private let descriptor: Mutex<Int32>
    private let environment: String
    public let path: String
    public let holder: String

    /// Takes the lock of `environment` for the store at `storePath`; `holder` says who takes
    /// it (shown to whoever is refused).
    public init(storePath: String, environment: String, holder: String) throws(StoreError) {
        let safe = environment.unicodeScalars.map { scalar -> String in
            CharacterSet.alphanumerics.contains(scalar) || "-_.".unicodeScalars.contains(scalar) ? String(scalar) : "%\(scalar.value)"
        }.joined()
        let real = try Self.resolve(storePath)
        path = "\(real).\(safe).lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StoreError("cannot open the lock file \(path) of environment \(environment): \(String(cString: strerror(errno)))",
                             kind: errno == EACCES || errno == EROFS ? .readOnly : .other)
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let held = errno == EWOULDBLOCK
            let who = Self.holder(fd)
            close(fd)
            guard held else { throw StoreError("cannot lock \(path): \(String(cString: strerror(errno)))") }
            throw StoreError("environment \(environment) is being changed by another sluice (\(who)); wait for it to finish, or stop it",
                             kind: .environmentLocked(holder: who))
        }
        descriptor = Mutex(fd)
        self.environment = environment
        self.holder = holder
        let text = "\(holder), pid \(getpid()), since \(Date().formatted(.iso8601))\n"
        ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit { releaseNow() }

    /// An OS lock is never taken back while the process lives: held until released.
    public func confirm() async throws(StoreError) {
        guard descriptor.withLock({ $0 }) >= 0 else {
            throw StoreError("the lock of environment \(environment) was released", kind: .leaseLost(environment: environment))
        }
    }

    public func release() async { releaseNow() }

    private func releaseNow() {
        // Closing the descriptor releases the lock; the file stays (removing it would race
        // with a process that has just opened it).
        descriptor.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    /// The store's one real path.
    private static func resolve(_ storePath: String) throws(StoreError) -> String {
        guard let resolved = realpath(storePath, nil) else {
            throw StoreError("cannot resolve the state store path \(storePath): \(String(cString: strerror(errno)))")
        }
        defer { free(resolved) }
        let real = String(cString: resolved)
        var info = stat()
        guard stat(real, &info) == 0 else { throw StoreError("cannot stat the state store \(real): \(String(cString: strerror(errno)))") }
        guard info.st_nlink <= 1 else {
            throw StoreError("state store \(real) has \(info.st_nlink) names (hard links): two sluices could each lock one; keep one name and use a symlink for others",
                             kind: .linked(names: Int(info.st_nlink)))
        }
        return real
    }

    private static func holder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = pread(fd, &buffer, buffer.count, 0)
        let text = count > 0 ? String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
        return text.isEmpty ? "holder unknown" : text
    }
}
