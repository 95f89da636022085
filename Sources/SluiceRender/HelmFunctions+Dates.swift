import SluiceModel
import SluiceYAML

/// Sprig's date functions. `now` is not the clock: it is `ChartContext.now`, the time of the
/// commit being rendered, so that two plans of one commit agree and a chart that stamps
/// `now` into an annotation does not show a change on every plan. Dates are in UTC (Go's
/// `Local` zone is UTC here); a named zone other than UTC is refused, since Swift's
/// Foundation has no zone abbreviations that match Go's.
extension HelmFunctions {
    static func dates(_ call: Call) throws(TemplateError) -> Datum? {
        let args = call.args
        /// Sprig's `formatDate`: a time, or seconds since 1970 as an integer; anything else is now.
        func time(_ index: Int) -> GoTime {
            if let time = call.time(index) { return time }
            if case .int(let seconds) = args[index] { return GoTime(seconds: Int64(seconds)) }
            return call.evaluator.now
        }
        func zoned(_ time: GoTime, _ zone: String) throws(TemplateError) -> GoTime {
            switch zone {
            case "", "UTC", "Local": return GoTime(seconds: time.seconds, nanoseconds: time.nanoseconds)
            default: throw call.fail("time zone \(GoPrint.quote(zone)) is not supported: Sluice renders dates in UTC only")
            }
        }
        switch call.function {
        case .now:
            try call.count(0...0)
            return .goStruct(.time(call.evaluator.now))
        case .date:
            try call.count(2...2)
            return .value(try call.made(try zoned(time(1), "Local").format(call.string(0))))
        case .dateInZone, .date_in_zone:
            try call.count(3...3)
            return .value(try call.made(try zoned(time(1), call.string(2)).format(call.string(0))))
        case .htmlDate:
            try call.count(1...1)
            return .value(.string(try zoned(time(0), "Local").format("2006-01-02")))
        case .htmlDateInZone:
            try call.count(2...2)
            return .value(.string(try zoned(time(0), call.string(1)).format("2006-01-02")))
        case .toDate, .mustToDate:
            try call.count(2...2)
            do { return .goStruct(.time(try GoTime.parse(call.string(0), call.string(1)))) } catch {
                // Sprig's `toDate` drops the error: the zero time.
                guard call.function == .mustToDate else { return .goStruct(.time(.zero)) }
                throw call.fail(error.message)
            }
        case .unixEpoch:
            try call.count(1...1)
            return .value(.string(String(time(0).seconds)))
        case .dateModify, .date_modify, .mustDateModify, .must_date_modify:
            try call.count(2...2)
            let start = time(1)
            let change: Int64
            do { change = try GoDurationText.parse(call.string(0)) } catch {
                // Sprig's `dateModify` returns the time unchanged.
                guard call.function == .mustDateModify || call.function == .must_date_modify else { return .goStruct(.time(start)) }
                throw call.fail(error.message)
            }
            guard let moved = start.adding(nanoseconds: change) else { throw call.fail("the date is out of range") }
            return .goStruct(.time(moved))
        case .ago:
            try call.count(1...1)
            return .value(.string(GoDurationText.string(rounded(call.evaluator.now.since(time(0))))))
        case .duration:
            try call.count(1...1)
            // Seconds, as an integer or its text (Sprig reads anything else as 0).
            var seconds: Int64 = 0
            switch args[0] {
            case .int(let n): seconds = Int64(n)
            case .string(let text): seconds = Int64(text) ?? 0
            default: break
            }
            let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            return .value(.string(GoDurationText.string(overflow ? (seconds < 0 ? .min : .max) : nanoseconds)))
        case .durationRound:
            try call.count(1...1)
            var nanoseconds: Int64 = 0
            if let time = call.time(0) {
                nanoseconds = call.evaluator.now.since(time)
            } else {
                switch args[0] {
                case .int(let n): nanoseconds = Int64(n)
                case .string(let text): nanoseconds = (try? GoDurationText.parse(text)) ?? 0
                default: break
                }
            }
            return .value(.string(roundedText(nanoseconds)))
        default:
            return nil
        }
    }

    /// Go's `Duration.Round(time.Second)`: halves away from zero, clamped.
    private static func rounded(_ nanoseconds: Int64) -> Int64 {
        let second: Int64 = 1_000_000_000
        let remainder = nanoseconds % second
        if remainder == 0 { return nanoseconds }
        if nanoseconds < 0 {
            let down = nanoseconds - remainder
            return -remainder * 2 >= second ? (down.subtractingReportingOverflow(second).overflow ? .min : down - second) : down
        }
        let down = nanoseconds - remainder
        return remainder * 2 >= second ? (down.addingReportingOverflow(second).overflow ? .max : down + second) : down
    }

    /// Sprig's `durationRound`: the largest whole unit (years of 365 days, months of 30).
    private static func roundedText(_ nanoseconds: Int64) -> String {
        let u = nanoseconds.magnitude
        let second: UInt64 = 1_000_000_000, minute = 60 * second, hour = 60 * minute, day = 24 * hour
        let units: [(UInt64, String)] = [(365 * day, "y"), (30 * day, "mo"), (day, "d"), (hour, "h"), (minute, "m"), (second, "s")]
        for (size, name) in units where u > size { return String(u / size) + name }
        return "0s"
    }
}
