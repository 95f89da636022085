/// The Unicode general categories for `\pL`, `\p{Lu}`, `\PN`, as Go's tables name them.
/// Scripts (`\p{Greek}`) are not available from Swift's standard library and are refused.
enum GoRegexUnicode {
    static func ranges(_ name: String) -> [ClosedRange<UInt32>]? {
        if name == "Any" { return [0...0x10FFFF] }
        return table[name]
    }

    /// Built once, on first use: the ranges of every category and of its one-letter group.
    private static let table: [String: [ClosedRange<UInt32>]] = {
        var table: [String: [ClosedRange<UInt32>]] = [:]
        func add(_ name: String, _ value: UInt32) {
            var ranges = table[name, default: []]
            if let last = ranges.last, last.upperBound &+ 1 == value {
                ranges[ranges.count - 1] = last.lowerBound...value
            } else {
                ranges.append(value...value)
            }
            table[name] = ranges
        }
        var value: UInt32 = 0
        while value <= 0x10FFFF {
            if let scalar = Unicode.Scalar(value) {
                let code = abbreviation(scalar.properties.generalCategory)
                // Go has no table of unassigned code points: `\p{Cn}` is refused, `\pC` leaves them out.
                guard code != "Cn" else { value += 1; continue }
                add(code, value)
                add(String(code.prefix(1)), value)
            }
            value += 1
        }
        return table
    }()

    private static func abbreviation(_ category: Unicode.GeneralCategory) -> String {
        switch category {
        case .uppercaseLetter: "Lu"
        case .lowercaseLetter: "Ll"
        case .titlecaseLetter: "Lt"
        case .modifierLetter: "Lm"
        case .otherLetter: "Lo"
        case .nonspacingMark: "Mn"
        case .spacingMark: "Mc"
        case .enclosingMark: "Me"
        case .decimalNumber: "Nd"
        case .letterNumber: "Nl"
        case .otherNumber: "No"
        case .connectorPunctuation: "Pc"
        case .dashPunctuation: "Pd"
        case .openPunctuation: "Ps"
        case .closePunctuation: "Pe"
        case .initialPunctuation: "Pi"
        case .finalPunctuation: "Pf"
        case .otherPunctuation: "Po"
        case .mathSymbol: "Sm"
        case .currencySymbol: "Sc"
        case .modifierSymbol: "Sk"
        case .otherSymbol: "So"
        case .spaceSeparator: "Zs"
        case .lineSeparator: "Zl"
        case .paragraphSeparator: "Zp"
        case .control: "Cc"
        case .format: "Cf"
        case .surrogate: "Cs"
        case .privateUse: "Co"
        case .unassigned: "Cn"
        @unknown default: "Cn"
        }
    }
}
