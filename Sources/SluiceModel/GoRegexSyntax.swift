/// A regular expression in Go's syntax (RE2, as Go's `regexp` package reads it with its
/// default Perl flags), parsed into a tree. Helm charts' `regexMatch`, `regexReplaceAll`, ...
/// and a `values.schema.json` `pattern` are written in it. Backreferences and lookaround are
/// not part of the syntax, which is what keeps matching linear.
indirect enum GoRegexNode: Sendable {
    case empty
    case scalar(Unicode.Scalar, foldCase: Bool)
    case set(GoRegexSet)
    /// `.`: any scalar, or any but a newline.
    case any(newline: Bool)
    case assertion(GoRegexAssertion)
    case capture(index: Int, node: GoRegexNode)
    case concat([GoRegexNode])
    case alternate([GoRegexNode])
    case repeating(GoRegexNode, min: Int, max: Int?, greedy: Bool)
}

enum GoRegexAssertion: Sendable {
    case beginText, endText, beginLine, endLine, wordBoundary, notWordBoundary
}

/// A set of scalars: ranges, possibly negated. Case folding is applied when the set is parsed
/// (`folded`), item by item before any negation, as Go's parser does: `(?i)\W` leaves out
/// the Kelvin sign because `\w` folded holds it.
struct GoRegexSet: Sendable {
    var ranges: [ClosedRange<UInt32>] = []
    var negated = false

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        // Binary search: `normalized` ranges are sorted and apart.
        var low = 0, high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].upperBound < scalar.value { low = middle + 1 } else { high = middle }
        }
        let found = low < ranges.count && ranges[low].contains(scalar.value)
        return found != negated
    }

    /// The same set with its ranges sorted and merged, which `contains` needs.
    func normalized() -> GoRegexSet {
        var merged: [ClosedRange<UInt32>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return GoRegexSet(ranges: merged, negated: negated)
    }

    /// The ranges with every scalar's case variants added.
    static func folded(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        let set = GoRegexSet(ranges: ranges).normalized()
        var extra: [ClosedRange<UInt32>] = []
        for (scalar, variants) in foldable where set.contains(scalar) {
            for other in variants { extra.append(other.value...other.value) }
        }
        return ranges + extra
    }

    /// Every scalar that folds with another, and its variants: built once, on first use
    /// (all cased scalars lie in the first two planes).
    private static let foldable: [(Unicode.Scalar, [Unicode.Scalar])] = {
        var table: [(Unicode.Scalar, [Unicode.Scalar])] = []
        for value in UInt32(0)...0x1FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let variants = caseVariants(scalar)
            if !variants.isEmpty { table.append((scalar, variants)) }
        }
        return table
    }()

    /// The scalars one scalar folds together with (Go's simple-folding orbit, without itself).
    static func caseVariants(_ scalar: Unicode.Scalar) -> [Unicode.Scalar] {
        var orbit: [Unicode.Scalar] = [scalar]
        var index = 0
        while index < orbit.count, orbit.count < 8 {
            let current = orbit[index]
            index += 1
            var next: [Unicode.Scalar] = []
            for mapped in [current.properties.lowercaseMapping, current.properties.uppercaseMapping, current.properties.titlecaseMapping] {
                let scalars = mapped.unicodeScalars
                if scalars.count == 1, let first = scalars.first { next.append(first) }
            }
            // K, the Kelvin sign and k fold together in Go; so do S, s and the long s.
            switch current {
            case "k", "K": next.append("\u{212A}")
            case "s", "S": next.append("\u{17F}")
            default: break
            }
            for candidate in next where !orbit.contains(candidate) { orbit.append(candidate) }
        }
        return Array(orbit.dropFirst())
    }

    // Go's Perl classes are ASCII only.
    static let digit: [ClosedRange<UInt32>] = [48...57]
    static let space: [ClosedRange<UInt32>] = [9...10, 12...13, 32...32]
    static let word: [ClosedRange<UInt32>] = [48...57, 65...90, 95...95, 97...122]

    static func posix(_ name: String) -> [ClosedRange<UInt32>]? {
        switch name {
        case "alnum": return [48...57, 65...90, 97...122]
        case "alpha": return [65...90, 97...122]
        case "ascii": return [0...0x7F]
        case "blank": return [9...9, 32...32]
        case "cntrl": return [0...0x1F, 0x7F...0x7F]
        case "digit": return digit
        case "graph": return [0x21...0x7E]
        case "lower": return [97...122]
        case "print": return [0x20...0x7E]
        case "punct": return [0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E]
        case "space": return [9...13, 32...32]
        case "upper": return [65...90]
        case "word": return word
        case "xdigit": return [48...57, 65...70, 97...102]
        default: return nil
        }
    }

    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if range.lowerBound > next { out.append(next...(range.lowerBound - 1)) }
            next = max(next, range.upperBound &+ 1)
        }
        if next <= 0x10FFFF { out.append(next...0x10FFFF) }
        return out
    }
}

/// Why a pattern is not a regular expression, in Go's words ("missing closing )").
public struct GoRegexError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The pattern is not an expression (Go refuses it too).
        case syntax
        /// Matching needed more steps than `GoRegex.stepLimit`: an input and pattern too
        /// large together (Go would go on, linearly; Sluice refuses instead of stalling).
        case workLimit
    }

    public let kind: Kind
    public let message: String
    public let pattern: String

    init(message: String, pattern: String, kind: Kind = .syntax) {
        self.kind = kind
        self.message = message
        self.pattern = pattern
    }

    static let workLimit = GoRegexError(message: "matching needs more than \(GoRegex.stepLimit) steps", pattern: "", kind: .workLimit)

    public var description: String {
        switch kind {
        case .syntax: "error parsing regexp: \(message): `\(pattern)`"
        case .workLimit: "regexp: \(message) (Sluice's limit of one call)"
        }
    }
}
