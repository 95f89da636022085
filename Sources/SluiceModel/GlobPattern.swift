/// A shell-style pattern where `*` matches any run of characters and `?` one character;
/// everything else matches itself. Used for the simulated fault rules (`*-broken*`).
public struct GlobPattern: Sendable, Hashable, CustomStringConvertible {
    public let description: String
    private let pattern: [Character]

    public init(_ pattern: String) {
        description = pattern
        self.pattern = Array(pattern)
    }

    /// Iterative matching with one backtrack point: linear for patterns with one `*`, never
    /// exponential (a pattern comes from a cluster file).
    public func matches(_ text: String) -> Bool {
        let text = Array(text)
        var p = 0, t = 0
        var star: Int? = nil, resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == "?" || pattern[p] == text[t] {
                p += 1; t += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p; resume = t; p += 1
            } else if let star {
                p = star + 1; resume += 1; t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
