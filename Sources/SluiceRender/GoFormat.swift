import Foundation
import SluiceModel
import SluiceYAML

/// Go's `fmt.Sprintf` for the verbs templates use: `%s %v %d %q %f %e %g %x %X %o %t %c %%`,
/// with the flags `-`, `+`, `0`, space, a width and a precision.
enum GoFormat {
    /// A width or precision above the caller's maximum (the text would be that large).
    struct WidthError: Error {
        /// As written: the digits may not fit in an integer.
        var width: String
    }

    static func sprintf(_ format: String, _ args: [Value], maximumWidth: Int) throws(WidthError) -> String {
        /// A run of digits as a width, at most `maximumWidth`.
        func number(_ chars: inout ArraySlice<Character>) throws(WidthError) -> Int {
            var digits = ""
            while let d = chars.first, d.isASCIIDigit { digits.append(d); chars.removeFirst() }
            guard let value = Int(digits), value <= maximumWidth else { throw WidthError(width: digits) }
            return value
        }
        var out = ""
        var chars = Array(format)[...]
        var next = 0
        while let c = chars.popFirst() {
            guard c == "%" else { out.append(c); continue }
            var minus = false, plus = false, zero = false, space = false
            while let flag = chars.first, "-+0 #".contains(flag) {
                switch flag {
                case "-": minus = true
                case "+": plus = true
                case "0": zero = true
                case " ": space = true
                default: break
                }
                chars.removeFirst()
            }
            var width: Int?
            if chars.first?.isASCIIDigit == true { width = try number(&chars) }
            var precision: Int?
            if chars.first == "." {
                chars.removeFirst()
                precision = chars.first?.isASCIIDigit == true ? try number(&chars) : 0
            }
            guard let verb = chars.popFirst() else { out += "%!(NOVERB)"; break }
            if verb == "%" { out += "%"; continue }
            guard next < args.count else { out += "%!\(verb)(MISSING)"; continue }
            let arg = args[next]
            next += 1
            var text: String
            switch verb {
            case "v", "s":
                text = GoPrint.string(arg)
                if verb == "s", let precision { text = String(text.prefix(precision)) }
            case "q": text = GoPrint.quote(GoPrint.string(arg))
            case "t":
                if case .bool(let b) = arg { text = b ? "true" : "false" } else { text = bad(verb, arg) }
            case "d", "x", "X", "o", "b", "c":
                if case .string(let s) = arg, verb == "x" || verb == "X" {
                    text = s.utf8.map { String(format: verb == "x" ? "%02x" : "%02X", $0) }.joined()
                    break
                }
                guard let n = integer(arg) else { text = bad(verb, arg); break }
                switch verb {
                case "d": text = String(n.magnitude)
                case "x": text = String(n.magnitude, radix: 16)
                case "X": text = String(n.magnitude, radix: 16, uppercase: true)
                case "o": text = String(n.magnitude, radix: 8)
                case "b": text = String(n.magnitude, radix: 2)
                default: text = Unicode.Scalar(UInt32(clamping: n)).map { String(Character($0)) } ?? "\u{FFFD}"
                }
                if verb != "c" { text = sign(n < 0, plus: plus, space: space) + text }
            case "f", "F", "e", "E", "g", "G":
                guard let d = double(arg) else { text = bad(verb, arg); break }
                if (verb == "g" || verb == "G") && precision == nil {
                    text = GoNumberFormat.g(d)
                    if plus && d >= 0 { text = "+" + text }
                } else {
                    let spec = "%" + (plus ? "+" : "") + (space ? " " : "") + ".\(precision ?? 6)" + String(verb)
                    text = String(format: spec, d)
                }
            default:
                text = "%!\(verb)(\(GoPrint.typeName(arg))=\(GoPrint.string(arg)))"
            }
            if let width, text.count < width {
                let padding = width - text.count
                if minus {
                    text += String(repeating: " ", count: padding)
                } else if zero && "dxXofFeEgGb".contains(verb) {
                    let signed = text.first == "-" || text.first == "+"
                    let head = signed ? String(text.removeFirst()) : ""
                    text = head + String(repeating: "0", count: padding) + text
                } else {
                    text = String(repeating: " ", count: padding) + text
                }
            }
            out += text
        }
        if next < args.count {
            out += "%!(EXTRA " + args[next...].map { "\(GoPrint.typeName($0))=\(GoPrint.string($0))" }.joined(separator: ", ") + ")"
        }
        return out
    }

    private static func sign(_ negative: Bool, plus: Bool, space: Bool) -> String {
        negative ? "-" : (plus ? "+" : (space ? " " : ""))
    }

    private static func bad(_ verb: Character, _ arg: Value) -> String {
        "%!\(verb)(\(GoPrint.typeName(arg))=\(GoPrint.string(arg)))"
    }

    private static func integer(_ v: Value) -> Int? {
        switch v {
        case .int(let n): return n
        default: return nil
        }
    }

    private static func double(_ v: Value) -> Double? {
        switch v {
        case .double(let d): return d
        case .int(let n): return Double(n)
        default: return nil
        }
    }
}
