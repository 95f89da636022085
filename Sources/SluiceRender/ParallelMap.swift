import Dispatch
import Synchronization

/// Runs `transform` for every index on `parallelism` threads and returns the results in
/// index order. Work is dealt round-robin, so neighbouring (similar-sized) items spread out.
public enum ParallelMap {
    public static func map<T: Sendable>(_ count: Int, parallelism: Int, _ transform: @Sendable (Int) -> T) -> [T] {
        let workers = max(1, min(parallelism, count))
        let results = Mutex<[Int: T]>([:])
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var local: [Int: T] = [:]
            for index in stride(from: worker, to: count, by: workers) { local[index] = transform(index) }
            results.withLock { $0.merge(local) { first, _ in first } }
        }
        return results.withLock { all in (0..<count).compactMap { all[$0] } }
    }
}
