import Foundation

/// A version constraint as Helm's semver library (Masterminds v3) reads it, for
/// `semverCompare` and a chart's `kubeVersion`: `||` between alternatives, `,` or spaces
/// between terms that must all hold; `=`, `!=`, `>`, `>=`, `<`, `<=`, `~` (patch-level),
/// `^` (compatible), `x`/`*` wildcards and `a - b` ranges. A version with a prerelease
/// satisfies only terms that name a prerelease themselves (`>= 1.21-0` lets them in).
public struct SemverRange: Sendable {
    private struct Term {
        var operation: String
        var version: SemanticVersion
        /// How many of major, minor, patch were written as numbers (the rest are wildcards).
        var fixed: Int
        var hasPrerelease: Bool
    }

    private let alternatives: [[Term]]

    public init?(_ text: String) {
        var alternatives: [[Term]] = []
        for alternative in text.components(separatedBy: "||") {
            var words = alternative.replacingOccurrences(of: ",", with: " ").split(separator: " ").map(String.init)
            var terms: [Term] = []
            // Operators written apart from their version (`>= 1.2`) join it first.
            var index = 0
            var joined: [String] = []
            while index < words.count {
                if ["=", "!=", ">", ">=", "=>", "<", "<=", "=<", "~", "~>", "^"].contains(words[index]), index + 1 < words.count {
                    joined.append(words[index] + words[index + 1])
                    index += 2
                } else {
                    joined.append(words[index])
                    index += 1
                }
            }
            words = joined
            index = 0
            while index < words.count {
                if index + 2 < words.count, words[index + 1] == "-" {
                    guard let low = Self.term(">=" + words[index]), let high = Self.term("<=" + words[index + 2]) else { return nil }
                    terms += [low, high]
                    index += 3
                    continue
                }
                guard let term = Self.term(words[index]) else { return nil }
                terms.append(term)
                index += 1
            }
            guard !terms.isEmpty else { return nil }
            alternatives.append(terms)
        }
        guard !alternatives.isEmpty else { return nil }
        self.alternatives = alternatives
    }

    private static func term(_ text: String) -> Term? {
        var operation = ""
        var rest = Substring(text)
        for candidate in ["!=", ">=", "=>", "<=", "=<", "~>", "=", ">", "<", "~", "^"] where rest.hasPrefix(candidate) {
            operation = candidate
            rest = rest.dropFirst(candidate.count)
            break
        }
        if operation == "=>" { operation = ">=" }
        if operation == "=<" { operation = "<=" }
        if operation == "~>" { operation = "~" }
        var body = String(rest)
        if body.hasPrefix("v") { body.removeFirst() }
        var suffix = ""
        if let cut = body.firstIndex(where: { $0 == "-" || $0 == "+" }) {
            suffix = String(body[cut...])
            body = String(body[..<cut])
        }
        var numbers: [String] = []
        for part in body.split(separator: ".", omittingEmptySubsequences: false) {
            if part == "x" || part == "X" || part == "*" { break }
            numbers.append(String(part))
        }
        let fixed = numbers.count
        guard fixed <= 3 else { return nil }
        let padded = (numbers + ["0", "0", "0"]).prefix(3).joined(separator: ".")
        guard let version = SemanticVersion((fixed == 0 ? "0.0.0" : padded) + suffix) else { return nil }
        return Term(operation: operation, version: version, fixed: fixed, hasPrerelease: !version.prerelease.isEmpty)
    }

    public func isSatisfied(by version: SemanticVersion) -> Bool {
        alternatives.contains { terms in terms.allSatisfy { Self.check($0, version) } }
    }

    private static func check(_ term: Term, _ version: SemanticVersion) -> Bool {
        if !version.prerelease.isEmpty && !term.hasPrerelease { return false }
        let v = term.version
        func bump(_ level: Int) -> SemanticVersion {
            var next = v
            next.prerelease = []
            switch level {
            case 0: (next.major, next.minor, next.patch) = (v.major + 1, 0, 0)
            case 1: (next.minor, next.patch) = (v.minor + 1, 0)
            default: next.patch = v.patch + 1
            }
            return next
        }
        // A wildcard or short version is a range: `1.2` and `1.2.x` are >= 1.2.0, < 1.3.0.
        let upper: SemanticVersion? = term.fixed == 0 ? nil : (term.fixed < 3 ? bump(term.fixed - 1) : nil)
        switch term.operation {
        case "", "=":
            if let upper { return version >= v && version < upper }
            return term.fixed == 0 || version == v
        case "!=":
            if let upper { return version < v || version >= upper }
            return version != v
        case ">": return upper.map { version >= $0 } ?? (version > v)
        case ">=": return version >= v
        case "<": return version < v
        case "<=": return upper.map { version < $0 } ?? (version <= v)
        case "~": return version >= v && version < bump(term.fixed <= 1 ? 0 : 1)
        case "^":
            if v.major > 0 || term.fixed == 1 { return version >= v && version < bump(0) }
            if v.minor > 0 || term.fixed == 2 { return version >= v && version < bump(1) }
            return version >= v && version < bump(2)
        default: return false
        }
    }
}
