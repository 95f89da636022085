/// Go's `time.Parse` in UTC (Sprig's `toDate` parses in the local zone, which is UTC for
/// Sluice): the same parts, the same leniencies (a fraction after seconds the layout lacks,
/// one-digit fields where the layout's are not zero-padded), the same range checks.
extension GoTime {
    struct ParseError: Error {
        let message: String
    }

    static func parse(_ layout: String, _ text: String) throws(ParseError) -> GoTime {
        let parts = GoTimeLayout.parts(layout)
        var value = Array(text.utf8)[...]
        func bad(_ element: String) -> ParseError {
            ParseError(message: "parsing time \(GoPrint.quote(text)) as \(GoPrint.quote(layout)): cannot parse \(GoPrint.quote(String(decoding: value, as: UTF8.self))) as \(GoPrint.quote(element))")
        }
        func outOfRange(_ what: String) -> ParseError {
            ParseError(message: "parsing time \(GoPrint.quote(text)): \(what) out of range")
        }
        func isDigit(_ index: Int) -> Bool {
            value.count > index && value[value.startIndex + index] >= UInt8(ascii: "0") && value[value.startIndex + index] <= UInt8(ascii: "9")
        }
        func digit(_ index: Int) -> Int { Int(value[value.startIndex + index] - UInt8(ascii: "0")) }
        /// Go's `getnum`: one or two digits (two when `fixed`).
        func number(_ fixed: Bool, _ element: String) throws(ParseError) -> Int {
            guard isDigit(0) else { throw bad(element) }
            guard isDigit(1) else {
                if fixed { throw bad(element) }
                defer { value = value.dropFirst() }
                return digit(0)
            }
            defer { value = value.dropFirst(2) }
            return digit(0) * 10 + digit(1)
        }
        func number3(_ fixed: Bool, _ element: String) throws(ParseError) -> Int {
            var n = 0, count = 0
            while count < 3 && isDigit(count) { n = n * 10 + digit(count); count += 1 }
            guard count > 0, !fixed || count == 3 else { throw bad(element) }
            value = value.dropFirst(count)
            return n
        }
        func name(_ names: [String], prefix: Int?, _ element: String) throws(ParseError) -> Int {
            for (index, full) in names.enumerated() {
                let candidate = Array((prefix.map { String(full.prefix($0)) } ?? full).lowercased().utf8)
                if value.count >= candidate.count, Array(value.prefix(candidate.count)).map({ $0 | 0x20 }) == candidate.map({ $0 | 0x20 }) {
                    value = value.dropFirst(candidate.count)
                    return index
                }
            }
            throw bad(element)
        }
        /// `.123`: the nanoseconds of `count` bytes, the separator first.
        func nanoseconds(_ count: Int) throws(ParseError) -> Int32 {
            let bytes = Array(value.prefix(min(count, 10)))
            guard let first = bytes.first, first == UInt8(ascii: ".") || first == UInt8(ascii: ",") else { throw bad(".") }
            var n: Int64 = 0
            for byte in bytes.dropFirst() {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw bad(".") }
                n = n * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            for _ in bytes.count..<10 { n *= 10 }
            value = value.dropFirst(count)
            return Int32(n)
        }

        var year: Int64 = 0, month = -1, day = -1, yearDay = -1, hour = 0, minute = 0, second = 0
        var nanos: Int32 = 0
        var pm = false, am = false
        var offset: Int32?, zoneName: String?
        for (index, part) in parts.enumerated() {
            switch part {
            case .literal(let literal):
                var prefix = literal[...]
                while let first = prefix.first {
                    if first == UInt8(ascii: " ") {
                        if let v = value.first, v != UInt8(ascii: " ") { throw bad(String(decoding: literal, as: UTF8.self)) }
                        while prefix.first == UInt8(ascii: " ") { prefix = prefix.dropFirst() }
                        while value.first == UInt8(ascii: " ") { value = value.dropFirst() }
                        continue
                    }
                    guard value.first == first else { throw bad(String(decoding: literal, as: UTF8.self)) }
                    prefix = prefix.dropFirst()
                    value = value.dropFirst()
                }
            case .year:
                guard isDigit(0), isDigit(1) else { throw bad("06") }
                let n = digit(0) * 10 + digit(1)
                value = value.dropFirst(2)
                year = Int64(n >= 69 ? 1900 + n : 2000 + n)
            case .longYear:
                guard value.count >= 4, isDigit(0), isDigit(1), isDigit(2), isDigit(3) else { throw bad("2006") }
                year = Int64(digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3))
                value = value.dropFirst(4)
            case .month: month = try name(Self.monthNames, prefix: 3, "Jan") + 1
            case .longMonth: month = try name(Self.monthNames, prefix: nil, "January") + 1
            case .numMonth, .zeroMonth:
                month = try number(part == .zeroMonth, part == .zeroMonth ? "01" : "1")
                guard (1...12).contains(month) else { throw outOfRange("month") }
            case .weekDay: _ = try name(Self.dayNames, prefix: 3, "Mon")
            case .longWeekDay: _ = try name(Self.dayNames, prefix: nil, "Monday")
            case .day, .underDay, .zeroDay:
                if part == .underDay, value.first == UInt8(ascii: " ") { value = value.dropFirst() }
                day = try number(part == .zeroDay, part == .zeroDay ? "02" : "2")
            case .underYearDay, .zeroYearDay:
                yearDay = try number3(part == .zeroYearDay, "002")
                guard (1...366).contains(yearDay) else { throw outOfRange("day-of-year") }
            case .hour:
                hour = try number(false, "15")
                guard hour < 24 else { throw outOfRange("hour") }
            case .hour12, .zeroHour12:
                hour = try number(part == .zeroHour12, part == .zeroHour12 ? "03" : "3")
                guard hour <= 12 else { throw outOfRange("hour") }
            case .minute, .zeroMinute:
                minute = try number(part == .zeroMinute, part == .zeroMinute ? "04" : "4")
                guard minute < 60 else { throw outOfRange("minute") }
            case .second, .zeroSecond:
                second = try number(part == .zeroSecond, part == .zeroSecond ? "05" : "5")
                guard second < 60 else { throw outOfRange("second") }
                // A fraction the layout does not show is read all the same.
                if value.count >= 2, value.first == UInt8(ascii: ".") || value.first == UInt8(ascii: ","), isDigit(1) {
                    if index + 1 < parts.count, case .fraction = parts[index + 1] { break }
                    var n = 2
                    while isDigit(n) { n += 1 }
                    nanos = try nanoseconds(n)
                }
            case .pm, .lowerPM:
                let upper = part == .pm
                guard value.count >= 2 else { throw bad(upper ? "PM" : "pm") }
                let word = String(decoding: value.prefix(2), as: UTF8.self)
                switch word {
                case upper ? "PM" : "pm": pm = true
                case upper ? "AM" : "am": am = true
                default: throw bad(upper ? "PM" : "pm")
                }
                value = value.dropFirst(2)
            case .numericZone(let iso, let colon, let seconds, let short):
                if iso, value.first == UInt8(ascii: "Z") {
                    value = value.dropFirst()
                    offset = 0
                    zoneName = "UTC"
                    break
                }
                let element = (iso ? "Z" : "-") + (short ? "07" : colon ? (seconds ? "07:00:00" : "07:00") : (seconds ? "070000" : "0700"))
                let width = short ? 3 : colon ? (seconds ? 9 : 6) : (seconds ? 7 : 5)
                guard value.count >= width, let sign = value.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { throw bad(element) }
                var fields: [Int] = []
                var position = 1
                while position < width {
                    if colon && fields.count > 0 {
                        guard value[value.startIndex + position] == UInt8(ascii: ":") else { throw bad(element) }
                        position += 1
                    }
                    guard isDigit(position), isDigit(position + 1) else { throw bad(element) }
                    fields.append(digit(position) * 10 + digit(position + 1))
                    position += 2
                }
                while fields.count < 3 { fields.append(0) }
                guard fields[0] <= 24 else { throw outOfRange("time zone offset hour") }
                guard fields[1] <= 60 else { throw outOfRange("time zone offset minute") }
                guard fields[2] <= 60 else { throw outOfRange("time zone offset second") }
                let total = Int32(fields[0] * 3600 + fields[1] * 60 + fields[2])
                offset = sign == UInt8(ascii: "-") ? -total : total
                value = value.dropFirst(width)
            case .zoneName:
                if value.starts(with: Array("UTC".utf8)) {
                    value = value.dropFirst(3)
                    offset = 0
                    zoneName = "UTC"
                    break
                }
                var n = 0
                while n < value.count, value[value.startIndex + n] >= UInt8(ascii: "A"), value[value.startIndex + n] <= UInt8(ascii: "Z") { n += 1 }
                guard n >= 3, n <= 5 else { throw bad("MST") }
                zoneName = String(decoding: value.prefix(n), as: UTF8.self)
                value = value.dropFirst(n)
            case .fraction(let digits, let zeros, _):
                if zeros {
                    guard value.count >= digits + 1 else { throw bad(".000") }
                    nanos = try nanoseconds(digits + 1)
                } else {
                    guard value.count >= 2, value.first == UInt8(ascii: ".") || value.first == UInt8(ascii: ","), isDigit(1) else { break }
                    var n = 1
                    while isDigit(n) { n += 1 }
                    nanos = try nanoseconds(n)
                }
            }
        }
        guard value.isEmpty else {
            throw ParseError(message: "parsing time \(GoPrint.quote(text)): extra text: \(GoPrint.quote(String(decoding: value, as: UTF8.self)))")
        }
        if pm && hour < 12 { hour += 12 } else if am && hour == 12 { hour = 0 }
        if yearDay >= 0 {
            var remaining = yearDay, m = 1
            while m <= 12 && remaining > GoTime.daysIn(month: m, year: year) { remaining -= GoTime.daysIn(month: m, year: year); m += 1 }
            guard m <= 12 else { throw outOfRange("day-of-year") }
            if month >= 0 && month != m || day >= 0 && day != remaining { throw ParseError(message: "parsing time \(GoPrint.quote(text)): day-of-year does not match month") }
            (month, day) = (m, remaining)
        }
        if month < 0 { month = 1 }
        if day < 0 { day = 1 }
        guard day >= 1, day <= GoTime.daysIn(month: month, year: year) else { throw outOfRange("day") }
        let local = GoTime.days(year: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        var time = GoTime(seconds: local, nanoseconds: nanos)
        if let offset {
            time.seconds -= Int64(offset)
            time.offset = offset
            // Go names an offset the local zone has (UTC's 0) after the local zone, else not at all.
            time.zone = offset == 0 ? "UTC" : ""
            if let zoneName, zoneName == "UTC" { time.zone = "UTC" }
        } else if let zoneName {
            // An abbreviation Go does not know is kept with offset 0 (GMT+h with its hours).
            time.zone = zoneName
            if zoneName.hasPrefix("GMT"), let hours = Int32(zoneName.dropFirst(3)) {
                time.offset = hours * 3600
                time.seconds -= Int64(time.offset)
            }
        }
        return time
    }
}
