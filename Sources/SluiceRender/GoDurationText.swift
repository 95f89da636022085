/// Go's `time.Duration` as text: `ParseDuration` and `String`, exactly (Sprig's
/// `dateModify`, `duration`, `durationRound` and `ago` print and read them).
enum GoDurationText {
    struct ParseError: Error {
        let message: String
    }

    private static let units: [String: UInt64] = [
        "ns": 1, "us": 1_000, "\u{00B5}s": 1_000, "\u{03BC}s": 1_000, "ms": 1_000_000,
        "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]

    /// `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` in nanoseconds.
    static func parse(_ text: String) throws(ParseError) -> Int64 {
        let invalid = ParseError(message: "time: invalid duration \(GoPrint.quote(text))")
        var s = Array(text.utf8)[...]
        var negative = false
        if let first = s.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            s = s.dropFirst()
        }
        if s.elementsEqual([UInt8(ascii: "0")]) { return 0 }
        guard !s.isEmpty else { throw invalid }
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        let limit: UInt64 = 1 << 63
        var total: UInt64 = 0
        while let first = s.first {
            guard first == UInt8(ascii: ".") || isDigit(first) else { throw invalid }
            var whole: UInt64 = 0
            var consumed = false
            while let byte = s.first, isDigit(byte) {
                guard whole <= limit / 10 else { throw invalid }
                whole = whole * 10 + UInt64(byte - UInt8(ascii: "0"))
                guard whole <= limit else { throw invalid }
                s = s.dropFirst()
                consumed = true
            }
            var fraction: UInt64 = 0, scale = 1.0, fractionConsumed = false, overflow = false
            if s.first == UInt8(ascii: ".") {
                s = s.dropFirst()
                while let byte = s.first, isDigit(byte) {
                    s = s.dropFirst()
                    fractionConsumed = true
                    if overflow { continue }
                    if fraction > (limit - 1) / 10 { overflow = true; continue }
                    let next = fraction * 10 + UInt64(byte - UInt8(ascii: "0"))
                    if next > limit { overflow = true; continue }
                    fraction = next
                    scale *= 10
                }
            }
            guard consumed || fractionConsumed else { throw invalid }
            let unitBytes = s.prefix { $0 != UInt8(ascii: ".") && !isDigit($0) }
            guard !unitBytes.isEmpty else { throw ParseError(message: "time: missing unit in duration \(GoPrint.quote(text))") }
            s = s.dropFirst(unitBytes.count)
            let unitName = String(decoding: unitBytes, as: UTF8.self)
            guard let unit = units[unitName] else {
                throw ParseError(message: "time: unknown unit \(GoPrint.quote(unitName)) in duration \(GoPrint.quote(text))")
            }
            guard whole <= limit / unit else { throw invalid }
            var value = whole * unit
            if fraction > 0 {
                value += UInt64(Double(fraction) * (Double(unit) / scale))
                guard value <= limit else { throw invalid }
            }
            total += value
            guard total <= limit else { throw invalid }
        }
        if negative { return total == limit ? .min : -Int64(total) }
        guard total < limit else { throw invalid }
        return Int64(total)
    }

    /// Go's `Duration.String`: `1h2m3.5s`, `1.5ms`, `0s`.
    static func string(_ nanoseconds: Int64) -> String {
        var u = nanoseconds.magnitude
        var out = ""
        /// `v / 10^precision` with the fraction's trailing zeros (and a bare point) left out.
        func fraction(_ value: UInt64, _ precision: Int) -> (text: String, whole: UInt64) {
            var v = value, digits = "", printed = false
            for _ in 0..<precision {
                let digit = v % 10
                printed = printed || digit != 0
                if printed { digits = String(digit) + digits }
                v /= 10
            }
            return (printed ? "." + digits : "", v)
        }
        if u < 1_000_000_000 {
            let unit: String, precision: Int
            switch u {
            case 0: return "0s"
            case ..<1_000: (unit, precision) = ("ns", 0)
            case ..<1_000_000: (unit, precision) = ("\u{00B5}s", 3)
            default: (unit, precision) = ("ms", 6)
            }
            let (text, whole) = fraction(u, precision)
            out = String(whole) + text + unit
        } else {
            let (text, seconds) = fraction(u, 9)
            u = seconds
            out = String(u % 60) + text + "s"
            u /= 60
            if u > 0 {
                out = String(u % 60) + "m" + out
                u /= 60
                if u > 0 { out = String(u) + "h" + out }
            }
        }
        return nanoseconds < 0 ? "-" + out : out
    }
}
