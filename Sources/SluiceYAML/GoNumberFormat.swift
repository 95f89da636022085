/// Number formatting as Go prints it, so templates give Helm's output byte for byte.
public enum GoNumberFormat {
    /// `fmt.Sprint(float64)` / `strconv.FormatFloat(f, 'g', -1, 64)`: shortest digits,
    /// exponent form when the decimal exponent is < -4 or >= 6 (so 1e6 prints `1e+06`).
    public static func g(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        let (negative, digits, pointPosition) = decompose(value)
        let exponent = pointPosition - 1
        let sign = negative ? "-" : ""
        if exponent < -4 || exponent >= 6 {
            return sign + exponential(digits, exponent: exponent, minimumExponentDigits: 2)
        }
        return sign + fixed(digits, pointPosition: pointPosition)
    }

    /// `encoding/json`'s float form: fixed notation for 1e-6 <= |f| < 1e21, else `1e-07`-style
    /// exponent with the leading zero of the exponent removed (`1e-7`).
    public static func json(_ value: Double) -> String {
        if value == 0 { return "0" }
        // The common cases without taking the digits apart: whole numbers (timestamps,
        // counts), and Swift's shortest form when it has no exponent (the same digits).
        // (Swift writes a whole number below 2^53 with a `.0`: those take the general path.)
        if value == value.rounded() {
            if abs(value) < 1e15 { return String(Int64(value)) }
        } else if abs(value) >= 1e-4 {
            let shortest = value.description
            if !shortest.utf8.contains(UInt8(ascii: "e")) { return shortest }
        }
        let (negative, digits, pointPosition) = decompose(value)
        let magnitude = abs(value)
        let sign = negative ? "-" : ""
        if magnitude < 1e-6 || magnitude >= 1e21 {
            return sign + exponential(digits, exponent: pointPosition - 1, minimumExponentDigits: 1)
        }
        return sign + fixed(digits, pointPosition: pointPosition)
    }

    /// The shortest round-trip digits of `value` and where the decimal point goes.
    static func decompose(_ value: Double) -> (negative: Bool, digits: [Character], pointPosition: Int) {
        var text = "\(abs(value))"  // Swift prints the shortest round-trip representation
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = Array(parts[0])
        let fractionPart = parts.count > 1 ? Array(parts[1]) : []
        var digits = integerPart + fractionPart
        var pointPosition = integerPart.count + exponent
        while let first = digits.first, first == "0", digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while let last = digits.last, last == "0", digits.count > 1 { digits.removeLast() }
        return (value < 0, digits, pointPosition)
    }

    private static func fixed(_ digits: [Character], pointPosition: Int) -> String {
        if pointPosition <= 0 {
            return "0." + String(repeating: "0", count: -pointPosition) + String(digits)
        }
        if pointPosition >= digits.count {
            return String(digits) + String(repeating: "0", count: pointPosition - digits.count)
        }
        return String(digits[..<pointPosition]) + "." + String(digits[pointPosition...])
    }

    private static func exponential(_ digits: [Character], exponent: Int, minimumExponentDigits: Int) -> String {
        var mantissa = String(digits[0])
        if digits.count > 1 { mantissa += "." + String(digits[1...]) }
        var exponentDigits = String(abs(exponent))
        while exponentDigits.count < minimumExponentDigits { exponentDigits = "0" + exponentDigits }
        return mantissa + "e" + (exponent < 0 ? "-" : "+") + exponentDigits
    }
}
