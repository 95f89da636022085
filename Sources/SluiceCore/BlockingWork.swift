import Dispatch

/// Work that blocks its thread (libgit2 reading a repository or fetching a remote, parsing a
/// whole commit) runs here, never on Swift's cooperative pool: that pool has one thread per
/// core (two on our CI), and a fetch that waits for the network there would stop every
/// runner, the live view and the store's callers with it.
///
/// Each call gets a serial queue of its own: on Linux the cooperative pool *is* Dispatch's
/// global default queue, and a concurrent queue would share its threads (and starve them);
/// a private serial queue runs on Dispatch's overcommit threads, which are added while others
/// block. Callers bound how many run at once (a runner's actions, the planner's parallelism).
public enum BlockingWork {
    /// Runs `body` on a Dispatch thread; its result (a repository handle, say) is handed over
    /// to the caller, which alone uses it from then on.
    public static func run<T, E: Error>(_ body: @escaping @Sendable () throws(E) -> sending T) async throws(E) -> sending T {
        let result: Result<T, E> = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, E>, Never>) in
            DispatchQueue(label: "sluice.blocking-work").async {
                let result: Result<T, E>
                do throws(E) { result = .success(try body()) } catch { result = .failure(error) }
                continuation.resume(returning: result)
            }
        }
        return try result.get()
    }
}
