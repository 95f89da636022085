/// Collects diagnostics while a file is read, so one pass reports every problem.
public final class DiagnosticSink {
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    public func error(_ file: String, _ mark: Mark, _ message: String) {
        diagnostics.append(Diagnostic(file: file, mark: mark, message: message))
    }

    /// A problem about `file` as a whole, at no line of it.
    public func error(_ file: String, _ message: String) {
        diagnostics.append(Diagnostic(file: file, message: message))
    }

    public func append(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }
    public func append(contentsOf more: [Diagnostic]) { diagnostics.append(contentsOf: more) }

    public var isEmpty: Bool { diagnostics.isEmpty }
}

/// Suggests the closest known word for a misspelt one ("did you mean `dependsOn`?").
public enum Suggestion {
    public static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let lower = word.lowercased()
        var best: (String, Int)?
        // In name order, so that of equally close names the same one is offered every time.
        for candidate in candidates.sorted() {
            let distance = editDistance(lower, candidate.lowercased())
            if distance <= max(1, min(3, candidate.count / 3)), distance < (best?.1 ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.0
    }

    /// " (did you mean "x"?)" or "".
    public static func hint(for word: String, in candidates: some Sequence<String>) -> String {
        closest(to: word, in: candidates).map { "; did you mean \"\($0)\"?" } ?? ""
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
