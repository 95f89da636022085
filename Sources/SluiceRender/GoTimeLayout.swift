/// Go's time layouts (`2006-01-02T15:04:05Z07:00`): the reference time's parts, found as
/// Go's `nextStdChunk` finds them, for `Format` and `Parse`.
enum GoTimeLayout {
    enum Part: Equatable {
        case literal([UInt8])
        case longMonth, month, numMonth, zeroMonth
        case longWeekDay, weekDay
        case day, underDay, zeroDay, underYearDay, zeroYearDay
        case hour, hour12, zeroHour12, minute, zeroMinute, second, zeroSecond
        case longYear, year
        case pm, lowerPM
        /// `-0700` and its kinds; `iso`: `Z` for UTC (`Z0700`).
        case numericZone(iso: Bool, colon: Bool, seconds: Bool, short: Bool)
        case zoneName
        /// `.000` (zeros: always `digits` digits) or `.999` (trailing zeros dropped); the separator.
        case fraction(digits: Int, zeros: Bool, separator: UInt8)
    }

    /// The parts of a layout, in order; consecutive literal bytes are one part.
    static func parts(_ layout: String) -> [Part] {
        let l = Array(layout.utf8)
        var parts: [Part] = []
        var literal: [UInt8] = []
        func has(_ i: Int, _ text: String) -> Bool {
            let t = Array(text.utf8)
            return i + t.count <= l.count && Array(l[i..<(i + t.count)]) == t
        }
        func lowerAt(_ i: Int) -> Bool { i < l.count && l[i] >= UInt8(ascii: "a") && l[i] <= UInt8(ascii: "z") }
        func digitAt(_ i: Int) -> Bool { i < l.count && l[i] >= UInt8(ascii: "0") && l[i] <= UInt8(ascii: "9") }
        var i = 0
        while i < l.count {
            var found: (Part, Int)?
            switch l[i] {
            case UInt8(ascii: "J"):
                if has(i, "January") { found = (.longMonth, 7) } else if has(i, "Jan"), !lowerAt(i + 3) { found = (.month, 3) }
            case UInt8(ascii: "M"):
                if has(i, "Monday") { found = (.longWeekDay, 6) } else if has(i, "Mon"), !lowerAt(i + 3) { found = (.weekDay, 3) } else if has(i, "MST") { found = (.zoneName, 3) }
            case UInt8(ascii: "0"):
                if i + 1 < l.count, l[i + 1] >= UInt8(ascii: "1"), l[i + 1] <= UInt8(ascii: "6") {
                    let zeros: [Part] = [.zeroMonth, .zeroDay, .zeroHour12, .zeroMinute, .zeroSecond, .year]
                    found = (zeros[Int(l[i + 1] - UInt8(ascii: "1"))], 2)
                } else if has(i, "002") { found = (.zeroYearDay, 3) }
            case UInt8(ascii: "1"):
                found = has(i, "15") ? (.hour, 2) : (.numMonth, 1)
            case UInt8(ascii: "2"):
                found = has(i, "2006") ? (.longYear, 4) : (.day, 1)
            case UInt8(ascii: "_"):
                if has(i, "_2") {
                    if has(i, "_2006") { literal.append(l[i]); i += 1; found = (.longYear, 4) } else { found = (.underDay, 2) }
                } else if has(i, "__2") { found = (.underYearDay, 3) }
            case UInt8(ascii: "3"): found = (.hour12, 1)
            case UInt8(ascii: "4"): found = (.minute, 1)
            case UInt8(ascii: "5"): found = (.second, 1)
            case UInt8(ascii: "P"): if has(i, "PM") { found = (.pm, 2) }
            case UInt8(ascii: "p"): if has(i, "pm") { found = (.lowerPM, 2) }
            case UInt8(ascii: "-"), UInt8(ascii: "Z"):
                let iso = l[i] == UInt8(ascii: "Z"), sign = iso ? "Z" : "-"
                if has(i, sign + "070000") { found = (.numericZone(iso: iso, colon: false, seconds: true, short: false), 7) }
                else if has(i, sign + "07:00:00") { found = (.numericZone(iso: iso, colon: true, seconds: true, short: false), 9) }
                else if has(i, sign + "0700") { found = (.numericZone(iso: iso, colon: false, seconds: false, short: false), 5) }
                else if has(i, sign + "07:00") { found = (.numericZone(iso: iso, colon: true, seconds: false, short: false), 6) }
                else if has(i, sign + "07") { found = (.numericZone(iso: iso, colon: false, seconds: false, short: true), 3) }
            case UInt8(ascii: "."), UInt8(ascii: ","):
                if i + 1 < l.count, l[i + 1] == UInt8(ascii: "0") || l[i + 1] == UInt8(ascii: "9") {
                    let digit = l[i + 1]
                    var j = i + 1
                    while j < l.count && l[j] == digit { j += 1 }
                    // Only a run of digits that ends here is a fraction.
                    if !digitAt(j) { found = (.fraction(digits: j - i - 1, zeros: digit == UInt8(ascii: "0"), separator: l[i]), j - i) }
                }
            default:
                break
            }
            if let (part, length) = found {
                if !literal.isEmpty { parts.append(.literal(literal)); literal = [] }
                parts.append(part)
                i += length
            } else {
                literal.append(l[i])
                i += 1
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        return parts
    }
}

extension GoTime {
    /// Go's `Time.Format`.
    func format(_ layout: String) -> String {
        let c = civil
        var out: [UInt8] = []
        func number(_ n: Int64, width: Int, pad: UInt8 = UInt8(ascii: "0")) {
            var digits = Array(String(n.magnitude).utf8)
            if n < 0 { out.append(UInt8(ascii: "-")) }
            while digits.count < width { digits.insert(pad, at: 0) }
            out += digits
        }
        func ascii(_ text: String) { out += Array(text.utf8) }
        for part in GoTimeLayout.parts(layout) {
            switch part {
            case .literal(let bytes): out += bytes
            case .year: number(Int64(c.year.magnitude % 100), width: 2)
            case .longYear: number(c.year, width: 4)
            case .month: ascii(String(Self.monthNames[c.month - 1].prefix(3)))
            case .longMonth: ascii(Self.monthNames[c.month - 1])
            case .numMonth: number(Int64(c.month), width: 0)
            case .zeroMonth: number(Int64(c.month), width: 2)
            case .weekDay: ascii(String(Self.dayNames[c.weekday].prefix(3)))
            case .longWeekDay: ascii(Self.dayNames[c.weekday])
            case .day: number(Int64(c.day), width: 0)
            case .underDay: number(Int64(c.day), width: 2, pad: UInt8(ascii: " "))
            case .zeroDay: number(Int64(c.day), width: 2)
            case .underYearDay: number(Int64(c.yearDay), width: 3, pad: UInt8(ascii: " "))
            case .zeroYearDay: number(Int64(c.yearDay), width: 3)
            case .hour: number(Int64(c.hour), width: 2)
            case .hour12: number(Int64(c.hour % 12 == 0 ? 12 : c.hour % 12), width: 0)
            case .zeroHour12: number(Int64(c.hour % 12 == 0 ? 12 : c.hour % 12), width: 2)
            case .minute: number(Int64(c.minute), width: 0)
            case .zeroMinute: number(Int64(c.minute), width: 2)
            case .second: number(Int64(c.second), width: 0)
            case .zeroSecond: number(Int64(c.second), width: 2)
            case .pm: ascii(c.hour >= 12 ? "PM" : "AM")
            case .lowerPM: ascii(c.hour >= 12 ? "pm" : "am")
            case .numericZone(let iso, let colon, let seconds, let short):
                if iso && offset == 0 { ascii("Z"); break }
                let magnitude = Int64(offset.magnitude)
                out.append(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                number(magnitude / 3600, width: 2)
                if short { break }
                if colon { ascii(":") }
                number(magnitude / 60 % 60, width: 2)
                if seconds {
                    if colon { ascii(":") }
                    number(magnitude % 60, width: 2)
                }
            case .zoneName:
                if !zone.isEmpty { ascii(zone); break }
                let minutes = Int64(offset) / 60
                out.append(minutes < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                number(Int64(minutes.magnitude) / 60, width: 2)
                number(Int64(minutes.magnitude) % 60, width: 2)
            case .fraction(let digits, let zeros, let separator):
                var nine = Array(String(nanoseconds).utf8)
                while nine.count < 9 { nine.insert(UInt8(ascii: "0"), at: 0) }
                var shown = Array(nine.prefix(min(digits, 9)))
                if !zeros {
                    while shown.last == UInt8(ascii: "0") { shown.removeLast() }
                    if shown.isEmpty { break }
                }
                out.append(separator)
                out += shown
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
