import Foundation
import SluiceModel
import SluiceYAML

/// Sprig's string and path functions, and Helm's semver checks.
extension HelmFunctions {
    static func strings(_ call: Call) throws(TemplateError) -> Value? {
        let args = call.args
        switch call.function {
        case .repeat:
            try call.count(2...2)
            let times = max(0, try call.int(0)), text = call.string(1)
            // Counted before it is made: `repeat 1000000000` is refused, not attempted.
            let (size, overflow) = times.multipliedReportingOverflow(by: text.utf8.count)
            guard !overflow, size <= RenderLimits.templateOutputBytes else {
                throw call.fail("the string made is larger than \(RenderLimits.templateOutputBytes >> 20) MiB (the limit of one template)", limit: .templateOutputBytes)
            }
            return .string(String(repeating: text, count: times))
        case .substr:
            try call.count(3...3)
            let bytes = Array(call.string(2).utf8)
            var start = try call.int(0), end = try call.int(1)
            // Sprig: a negative start is 0, an end out of range (or negative) is the length.
            if start < 0 { start = 0 }
            if end < 0 || end > bytes.count { end = bytes.count }
            guard start <= end else { return .string("") }
            return .string(String(decoding: bytes[start..<end], as: UTF8.self))
        case .nospace:
            try call.count(1...1)
            return .string(call.string(0).filter { !$0.isWhitespace })
        case .trimAll, .trimall:
            try call.count(2...2)
            let cut = Set(call.string(0).unicodeScalars)
            var scalars = Substring(call.string(1)).unicodeScalars[...]
            while let first = scalars.first, cut.contains(first) { scalars = scalars.dropFirst() }
            while let last = scalars.last, cut.contains(last) { scalars = scalars.dropLast() }
            return .string(String(String.UnicodeScalarView(scalars)))
        case .title:
            try call.count(1...1)
            var out = "", previousIsLetter = false
            for character in call.string(0) {
                out += previousIsLetter ? String(character) : character.uppercased()
                previousIsLetter = character.isLetter || character.isNumber || character == "_" || character == "'"
            }
            return .string(out)
        case .untitle:
            try call.count(1...1)
            var out = "", previousIsLetter = false
            for character in call.string(0) {
                out += previousIsLetter ? String(character) : character.lowercased()
                previousIsLetter = !character.isWhitespace
            }
            return .string(out)
        case .swapcase:
            try call.count(1...1)
            return .string(String(call.string(0).map { $0.isUppercase ? Character($0.lowercased()) : Character($0.uppercased()) }))
        case .snakecase, .kebabcase:
            try call.count(1...1)
            return .string(words(call.string(0)).map { $0.lowercased() }.joined(separator: call.function == .snakecase ? "_" : "-"))
        case .camelcase:
            try call.count(1...1)
            return .string(call.string(0).split(whereSeparator: { $0 == "_" || $0 == "-" || $0 == " " }).map { part in
                part.prefix(1).uppercased() + part.dropFirst()
            }.joined())
        case .cat:
            return try call.made(args.filter { $0 != .null }.map(HelmFunctions.strval).joined(separator: " "))
        case .wrap:
            try call.count(2...2)
            return try call.made(Goutils.wrap(call.string(1), width: try call.int(0), newLine: "", wrapLongWords: false))
        case .wrapWith:
            try call.count(3...3)
            return try call.made(Goutils.wrap(call.string(2), width: try call.int(0), newLine: call.string(1), wrapLongWords: true))
        case .abbrev:
            try call.count(2...2)
            let width = try call.int(0)
            if width < 4 { return .string(call.string(1)) }
            return .string(Goutils.abbreviate(call.string(1), offset: 0, maxWidth: width) ?? "")
        case .abbrevboth:
            try call.count(3...3)
            let left = try call.int(0), right = try call.int(1)
            if right < 4 || left > 0 && right < 7 { return .string(call.string(2)) }
            return .string(Goutils.abbreviate(call.string(2), offset: left, maxWidth: right) ?? "")
        case .initials:
            try call.count(1...1)
            return .string(Goutils.initials(call.string(0)))
        case .splitn:
            // strings.SplitN: at most n parts (all for n < 0, none for 0), as `_0`, `_1`...
            try call.count(3...3)
            let separator = call.string(0), n = try call.int(1), text = call.string(2)
            guard n != 0 else { return .map([:]) }
            var parts: [String] = []
            if separator.isEmpty {
                var characters = Array(text.unicodeScalars).map { String($0) }
                if n > 0, characters.count > n { characters = characters[..<(n - 1)] + [characters[(n - 1)...].joined()] }
                parts = characters
            } else {
                var rest = Substring(text)
                while n < 0 || parts.count < n - 1, let range = rest.range(of: separator) {
                    parts.append(String(rest[..<range.lowerBound]))
                    rest = rest[range.upperBound...]
                }
                parts.append(String(rest))
            }
            var map: [String: Value] = [:]
            for (index, part) in parts.enumerated() { map["_\(index)"] = .string(part) }
            return try call.made(.map(map))
        case .plural:
            try call.count(3...3)
            return .string(try call.int(2) == 1 ? call.string(0) : call.string(1))
        case .indexOf:
            try call.count(2...2)
            guard let range = call.string(0).range(of: call.string(1)) else { return .int(-1) }
            return .int(call.string(0).utf8.distance(from: call.string(0).startIndex, to: range.lowerBound))
        case .base, .dir, .ext, .clean, .isAbs:
            try call.count(1...1)
            return paths(call.function, call.string(0))
        case .osBase, .osDir, .osExt, .osClean, .osIsAbs:
            // Go's filepath on Linux is its path.
            try call.count(1...1)
            let same: [TemplateFunction: TemplateFunction] = [.osBase: .base, .osDir: .dir, .osExt: .ext, .osClean: .clean, .osIsAbs: .isAbs]
            return paths(same[call.function]!, call.string(0))
        case .toDecimal:
            // Sprig's: the text of the value read as an octal number, 0 when it is not one.
            try call.count(1...1)
            return .int(Int(GoPrint.string(args[0]), radix: 8) ?? 0)
        case .semverCompare:
            try call.count(2...2)
            guard let version = SemanticVersion(call.string(1)) else { throw call.fail("\"\(call.string(1))\" is not a semantic version") }
            guard let constraint = SemverRange(call.string(0)) else { throw call.fail("\"\(call.string(0))\" is not a version constraint") }
            return .bool(constraint.isSatisfied(by: version))
        case .semver:
            try call.count(1...1)
            guard let version = SemanticVersion(call.string(0)) else { throw call.fail("\"\(call.string(0))\" is not a semantic version") }
            return .map(["Major": .int(Int(clamping: version.major)), "Minor": .int(Int(clamping: version.minor)), "Patch": .int(Int(clamping: version.patch)),
                         "Prerelease": .string(version.prerelease.joined(separator: ".")), "Metadata": .string(version.build),
                         "Original": .string(call.string(0))])
        default:
            return nil
        }
    }

    /// Words of an identifier: split at non-letters and before an upper-case letter that
    /// follows a lower-case one (`fooBar_baz` -> foo, Bar, baz).
    static func words(_ text: String) -> [String] {
        var words: [String] = [], current = ""
        var previousIsLower = false
        for character in text {
            if !(character.isLetter || character.isNumber) {
                if !current.isEmpty { words.append(current); current = "" }
                previousIsLower = false
                continue
            }
            if character.isUppercase && previousIsLower && !current.isEmpty { words.append(current); current = "" }
            current.append(character)
            previousIsLower = character.isLowercase || character.isNumber
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Go's `path` package on a `/`-separated path.
    static func paths(_ function: TemplateFunction, _ path: String) -> Value {
        switch function {
        case .isAbs: return .bool(path.hasPrefix("/"))
        case .clean: return .string(clean(path))
        case .base:
            if path.isEmpty { return .string(".") }
            var trimmed = Substring(path)
            while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
            if trimmed == "/" { return .string("/") }
            return .string(String(trimmed.split(separator: "/", omittingEmptySubsequences: false).last ?? trimmed))
        case .dir:
            guard let slash = path.lastIndex(of: "/") else { return .string(".") }
            return .string(clean(String(path[...slash])))
        default:
            // ext: from the last dot of the last element.
            let last = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
            guard let dot = last.lastIndex(of: ".") else { return .string("") }
            return .string(String(last[dot...]))
        }
    }

    /// Go's `path.Clean`.
    static func clean(_ path: String) -> String {
        if path.isEmpty { return "." }
        let rooted = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." {
                if let last = parts.last, last != ".." { parts.removeLast() } else if !rooted { parts.append(part) }
            } else {
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        return rooted ? "/" + joined : (joined.isEmpty ? "." : joined)
    }
}
