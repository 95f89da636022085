/// Go's `time.Time` as Sprig's date functions see it: an instant (seconds and nanoseconds
/// since 1970 UTC) in a zone of a fixed offset and name. Sluice renders dates in UTC only
/// (see `HelmFunctions.dates`), so no zone database is read.
struct GoTime: Sendable, Hashable {
    var seconds: Int64
    var nanoseconds: Int32 = 0
    /// Seconds east of UTC, and the zone's name (`UTC`; empty for an offset without one).
    var offset: Int32 = 0
    var zone = "UTC"

    /// Go's zero time, January 1 of year 1, 00:00:00 UTC (what `toDate` gives for text it
    /// cannot read).
    static let zero = GoTime(seconds: -62_135_596_800)

    static let rfc3339Nano = "2006-01-02T15:04:05.999999999Z07:00"

    /// Go's `Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`.
    var description: String { format("2006-01-02 15:04:05.999999999 -0700 MST") }

    /// The time `delta` nanoseconds later; nil past what an Int64 of seconds holds.
    func adding(nanoseconds delta: Int64) -> GoTime? {
        var nanos = Int64(nanoseconds) + delta % 1_000_000_000
        var carry: Int64 = 0
        if nanos >= 1_000_000_000 { nanos -= 1_000_000_000; carry = 1 } else if nanos < 0 { nanos += 1_000_000_000; carry = -1 }
        let (whole, overflow) = seconds.addingReportingOverflow(delta / 1_000_000_000)
        let (total, carried) = whole.addingReportingOverflow(carry)
        guard !overflow, !carried else { return nil }
        var out = self
        out.seconds = total
        out.nanoseconds = Int32(nanos)
        return out
    }

    /// Nanoseconds from `other` to this time, clamped to Int64 as Go's `Sub` clamps.
    func since(_ other: GoTime) -> Int64 {
        let clamped: Int64 = seconds > other.seconds ? .max : .min
        let (difference, overflow) = seconds.subtractingReportingOverflow(other.seconds)
        let (whole, tooBig) = difference.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow, !tooBig else { return clamped }
        let (sum, outside) = whole.addingReportingOverflow(Int64(nanoseconds) - Int64(other.nanoseconds))
        return outside ? clamped : sum
    }

    // MARK: The calendar

    struct Civil {
        var year: Int64, month: Int, day: Int, hour: Int, minute: Int, second: Int
        var weekday: Int  // 0 = Sunday
        var yearDay: Int  // 1...366
    }

    /// The date and time on the zone's clock.
    var civil: Civil {
        let local = seconds + Int64(offset)
        let days = local.floorDivided(by: 86_400)
        let secondOfDay = Int(local.floorModulo(86_400))
        let (year, month, day) = Self.date(fromDays: days)
        let yearDay = Int(days - Self.days(year: year, month: 1, day: 1)) + 1
        return Civil(year: year, month: month, day: day, hour: secondOfDay / 3600, minute: secondOfDay / 60 % 60, second: secondOfDay % 60,
                     weekday: Int((days + 4).floorModulo(7)), yearDay: yearDay)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm);
    /// months and days out of range roll over as Go's `time.Date` rolls them.
    static func days(year: Int64, month: Int, day: Int) -> Int64 {
        let monthIndex = Int64(month - 1)
        let year = year + monthIndex.floorDivided(by: 12)
        let month = monthIndex.floorModulo(12) + 1
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468 + Int64(day - 1)
    }

    static func date(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int64) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    static let dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    func floorModulo(_ divisor: Int64) -> Int64 { self - floorDivided(by: divisor) * divisor }
}
