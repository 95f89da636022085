import Foundation

/// A chart's `.helmignore`, read and applied as Helm's `pkg/ignore` does: one pattern per
/// line (blank lines and `#` comments skipped), Go `filepath.Match` patterns; a pattern
/// without `/` matches a path's last element, one with `/` the whole path relative to the
/// chart (a leading `/` anchors nothing more); a trailing `/` matches only folders; `**` is
/// refused. The first rule that decides wins. Helm's negation is kept as Helm has it: a `!p`
/// rule ignores every path that does *not* match `p` and stops at the first that does. The
/// default rule `templates/.?*` (dotfiles in templates/) comes last.
public struct HelmIgnore: Sendable {
    struct Rule: Sendable {
        var raw: String
        var match: GoPathMatch
        var negated: Bool
        var foldersOnly: Bool
        /// Without `/`: only the last element of a path is matched.
        var baseNameOnly: Bool
    }

    public struct BadRule: Error, Sendable {
        public var line: Int
        public var message: String
    }

    private var rules: [Rule] = []

    /// Only the default rule.
    public init() {
        rules.append(Self.rule("templates/.?*")!)
    }

    /// The rules of a `.helmignore` text, then the default rule; the first bad line is an
    /// error (Helm refuses the whole chart).
    public init(text: String) throws(BadRule) {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if trimmed.contains("**") {
                throw BadRule(line: index + 1, message: "double-star (**) syntax is not supported in .helmignore")
            }
            guard let rule = Self.rule(trimmed) else {
                throw BadRule(line: index + 1, message: "\"\(trimmed)\" is not a valid pattern (Go's filepath.Match syntax)")
            }
            rules.append(rule)
        }
        rules.append(Self.rule("templates/.?*")!)
    }

    private static func rule(_ text: String) -> Rule? {
        guard GoPathMatch(text) != nil else { return nil }
        var body = Substring(text)
        let negated = body.hasPrefix("!")
        if negated { body = body.dropFirst() }
        let foldersOnly = body.hasSuffix("/")
        if foldersOnly { body = body.dropLast() }
        let baseNameOnly = !body.contains("/")
        if body.hasPrefix("/") { body = body.dropFirst() }
        guard let match = GoPathMatch(String(body)) else { return nil }
        return Rule(raw: text, match: match, negated: negated, foldersOnly: foldersOnly, baseNameOnly: baseNameOnly)
    }

    /// Whether the path (relative to the chart, `/`-separated) is ignored.
    public func ignores(_ path: String, isFolder: Bool) -> Bool {
        guard !path.isEmpty, path != ".", path != "./" else { return false }
        for rule in rules {
            let name = rule.baseNameOnly ? Self.lastElement(path) : path
            if rule.negated {
                if rule.foldersOnly && !isFolder { return true }
                if !rule.match.matches(name) { return true }
                continue
            }
            if rule.foldersOnly && !isFolder { continue }
            if rule.match.matches(name) { return true }
        }
        return false
    }

    /// Go's `filepath.Base`: trailing slashes dropped, then the last element.
    static func lastElement(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        if let slash = trimmed.lastIndex(of: "/"), trimmed != "/" { return String(trimmed[trimmed.index(after: slash)...]) }
        return String(trimmed)
    }

    /// Whether a file is left out: it, or a folder above it, is ignored (Helm's loader does
    /// not walk into an ignored folder).
    public func excludes(file path: String) -> Bool {
        var folder = ""
        for part in path.split(separator: "/").dropLast() {
            folder += folder.isEmpty ? String(part) : "/" + part
            if ignores(folder, isFolder: true) { return true }
        }
        return ignores(path, isFolder: false)
    }
}
