import Foundation

/// When a time window is open: deny wins over allow, and no allow rule means always allowed.
extension TimeWindow {
    public var timeZone: TimeZone? { TimeZone(identifier: timezone) }

    public func isOpen(at date: Date) -> Bool {
        guard let zone = timeZone else { return false }
        let (day, minute) = Self.local(date, zone)
        return isOpen(day: day, minute: minute)
    }

    /// The first minute at or after `date` when the window is open; nil when it never opens
    /// within two weeks (a window that denies every day).
    public func nextOpening(after date: Date) -> Date? {
        guard let zone = timeZone else { return nil }
        if isOpen(at: date) { return date }
        // Walk minute by minute from the next whole minute, in local time; re-anchor on the
        // calendar every hour so that a daylight-saving change is followed.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        guard var candidate = calendar.dateInterval(of: .minute, for: date)?.end else { return nil }
        for _ in 0..<(14 * 24) {
            let (day, start) = Self.local(candidate, zone)
            for offset in 0..<60 {
                let minute = start + offset
                let (d, m) = minute >= 24 * 60 ? (day % 7 + 1, minute - 24 * 60) : (day, minute)
                if isOpen(day: d, minute: m) { return candidate.addingTimeInterval(Double(offset) * 60) }
            }
            candidate = candidate.addingTimeInterval(3600)
        }
        return nil
    }

    private func isOpen(day: Int, minute: Int) -> Bool {
        func matches(_ rule: Rule) -> Bool { rule.days.contains(day) && (rule.minutes?.contains(minute) ?? true) }
        if deny.contains(where: matches) { return false }
        return allow.isEmpty || allow.contains(where: matches)
    }

    /// ISO weekday (1 = Monday) and minute of the day in `zone`.
    static func local(_ date: Date, _ zone: TimeZone) -> (day: Int, minute: Int) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        let weekday = parts.weekday ?? 1  // 1 = Sunday in Foundation
        return ((weekday + 5) % 7 + 1, (parts.hour ?? 0) * 60 + (parts.minute ?? 0))
    }
}
