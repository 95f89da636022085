/// A line diff in unified format (`-` old, `+` new, ` ` context), for showing a reviewer how
/// an object changes. Common leading and trailing lines are cut first, so the longest
/// common subsequence runs only over the changed middle; a middle too large for that is
/// shown as removed then added. Lines are views into the two texts: only those printed are
/// copied (a plan diffs thousands of objects).
public enum UnifiedDiff {
    public static func lines(old: String, new: String, context: Int = 3) -> [String] {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false)
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        if prefix == a.count && prefix == b.count { return [] }
        // Only the context next to the changed middle can be printed.
        let before = min(prefix, context), after = min(suffix, context)
        var all: [(Character, Substring)] = a[(prefix - before)..<prefix].map { (" ", $0) }
        all += edits(Array(a[prefix..<(a.count - suffix)]), Array(b[prefix..<(b.count - suffix)]))
        all += a[(a.count - suffix)..<(a.count - suffix + after)].map { (" ", $0) }
        // Keep changed lines and `context` lines around them, in hunks headed as `diff -u`
        // heads them (`@@ -old,count +new,count @@`), followed by the YAML path the hunk is in.
        var keep = [Bool](repeating: false, count: all.count)
        for (index, line) in all.enumerated() where line.0 != " " {
            for near in max(0, index - context)...min(all.count - 1, index + context) { keep[near] = true }
        }
        var result: [String] = []
        var oldLine = prefix - before, newLine = prefix - before  // 0-based positions of all[0]
        var index = 0
        while index < all.count {
            guard keep[index] else {
                if all[index].0 != "+" { oldLine += 1 }
                if all[index].0 != "-" { newLine += 1 }
                index += 1
                continue
            }
            var end = index
            while end < all.count, keep[end] { end += 1 }
            let hunk = all[index..<end]
            let oldCount = hunk.filter { $0.0 != "+" }.count, newCount = hunk.filter { $0.0 != "-" }.count
            let path = yamlPath(before: newLine, in: b)
            result.append("@@ -\(oldCount == 0 ? oldLine : oldLine + 1),\(oldCount) +\(newCount == 0 ? newLine : newLine + 1),\(newCount) @@"
                          + (path.isEmpty ? "" : " " + path))
            result += hunk.map { "\($0.0)\($0.1)" }
            oldLine += oldCount
            newLine += newCount
            index = end
        }
        return result
    }

    /// The keys enclosing line `line` of a YAML text (`spec.template.spec.containers[coredns]`),
    /// read upwards by indentation (a list item is named by its `name` when it has one): a
    /// reviewer sees where a hunk is without counting lines.
    static func yamlPath(before line: Int, in lines: [Substring]) -> String {
        func indentation(_ text: Substring) -> (spaces: Int, rest: Substring) {
            let spaces = text.prefix { $0 == " " }.count
            return (spaces, text.dropFirst(spaces))
        }
        guard line < lines.count else { return "" }
        let first = indentation(lines[line])
        var indent = first.spaces + (first.rest.hasPrefix("- ") ? 2 : 0)
        var keys: [String] = []
        var item: String??
        var index = line - 1
        // Bounded: a path is at most as deep as the object, and the text is read once.
        while index >= 0, indent > 0 {
            let (spaces, rest) = indentation(lines[index])
            index -= 1
            guard !rest.isEmpty, !rest.hasPrefix("#"), spaces < indent else { continue }
            if rest.hasPrefix("- ") {
                // The list item the hunk is in: named by its `name: x`, if it starts with one.
                let entry = rest.dropFirst(2)
                item = entry.hasPrefix("name: ") ? String(entry.dropFirst(6)) : nil
                indent = spaces
                continue
            }
            guard let colon = rest.firstIndex(of: ":") else { continue }
            var key = String(rest[..<colon])
            guard !key.isEmpty else { continue }
            if let named = item { key += named.map { "[\($0)]" } ?? "[]" }
            item = nil
            keys.append(key)
            indent = spaces
        }
        return keys.reversed().joined(separator: ".")
    }

    private static func edits(_ a: [Substring], _ b: [Substring]) -> [(Character, Substring)] {
        guard !a.isEmpty, !b.isEmpty, a.count * b.count <= 4_000_000 else {
            return a.map { ("-", $0) } + b.map { ("+", $0) }
        }
        // lengths[i][j]: LCS of a[i...] and b[j...].
        let width = b.count + 1
        var lengths = [Int32](repeating: 0, count: (a.count + 1) * width)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lengths[i * width + j] = a[i] == b[j] ? lengths[(i + 1) * width + j + 1] + 1
                    : max(lengths[(i + 1) * width + j], lengths[i * width + j + 1])
            }
        }
        var result: [(Character, Substring)] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                result.append((" ", a[i])); i += 1; j += 1
            } else if i < a.count, j == b.count || lengths[(i + 1) * width + j] >= lengths[i * width + j + 1] {
                // Removed lines before added ones, as `diff -u` prints them.
                result.append(("-", a[i])); i += 1
            } else {
                result.append(("+", b[j])); j += 1
            }
        }
        return result
    }
}
