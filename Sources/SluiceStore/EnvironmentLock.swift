import Foundation

/// One writer per environment: `sluice apply` and `sluice run` hold this while they change an
/// environment's clusters and records, so that a second one refuses at once, naming the
/// holder, instead of both applying (different environments proceed together). It is an OS
/// lock (`flock`) on a file beside the store, so a process that dies, even by `kill -9`,
/// lets it go.
public final class EnvironmentLock: Sendable {
    private let descriptor: Int32
    public let path: String

    /// Takes the lock of `environment` for the store at `storePath`; `holder` says who takes
    /// it (shown to whoever is refused).
    public init(storePath: String, environment: String, holder: String) throws(StoreError) {
        let safe = environment.unicodeScalars.map { scalar -> String in
            CharacterSet.alphanumerics.contains(scalar) || "-_.".unicodeScalars.contains(scalar) ? String(scalar) : "%\(scalar.value)"
        }.joined()
        path = "\(storePath).\(safe).lock"
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
        descriptor = fd
        let text = "\(holder), pid \(getpid()), since \(Date().formatted(.iso8601))\n"
        ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        // Closing the descriptor releases the lock; the file stays (removing it would race
        // with a process that has just opened it).
        close(descriptor)
    }

    private static func holder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = pread(fd, &buffer, buffer.count, 0)
        let text = count > 0 ? String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
        return text.isEmpty ? "holder unknown" : text
    }
}
