/// Runs async work for a range of indices with at most `parallelism` tasks at a time
/// (structured: every task ends before `map` returns); results come back in index order.
public enum BoundedConcurrency {
    public static func map<T: Sendable>(_ count: Int, parallelism: Int,
                                        _ body: @escaping @Sendable (Int) async -> T) async -> [T] {
        await withTaskGroup(of: (Int, T).self) { group in
            var results = [T?](repeating: nil, count: count)
            var next = 0
            func start() {
                let index = next
                group.addTask { (index, await body(index)) }
                next += 1
            }
            while next < min(max(1, parallelism), count) { start() }
            while let (index, result) = await group.next() {
                results[index] = result
                if next < count { start() }
            }
            return results.compactMap { $0 }
        }
    }
}
