/// Go-style durations (`90s`, `10m`, `1h30m`, `500ms`), as Kubernetes users write them.
public enum GoDuration {
    public static func parse(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        var total: Duration = .zero
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCIIDigit || $0 == "." }
            guard !digits.isEmpty, let number = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { !$0.isASCIIDigit && $0 != "." }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ms": scale = 0.001
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            case "d": scale = 86400
            default: return nil
            }
            total += .milliseconds(Int64((number * scale * 1000).rounded()))
        }
        return total
    }

    /// The duration in seconds, for clocks and timeouts that count in `Double`.
    public static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    public static func format(_ duration: Duration) -> String {
        var seconds = Int(duration.components.seconds)
        if seconds == 0 { return "0s" }
        var out = ""
        if seconds >= 3600 { out += "\(seconds / 3600)h"; seconds %= 3600 }
        if seconds >= 60 { out += "\(seconds / 60)m"; seconds %= 60 }
        if seconds > 0 { out += "\(seconds)s" }
        return out
    }
}
