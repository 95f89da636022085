/// Text from outside Sluice (an API server's message, a check program's output) on its way
/// into errors, plans, the history and a terminal: control characters (escape sequences
/// included) become spaces, and it is cut at `limit` characters with how much was left out.
public enum UntrustedText {
    public static let defaultLimit = 2000

    public static func clean(_ text: String, limit: Int = defaultLimit) -> String {
        var out = ""
        var kept = 0
        var dropped = 0
        var lastWasSpace = false
        for scalar in text.unicodeScalars {
            if kept >= limit {
                dropped += 1
                continue
            }
            let control = scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
            if control || scalar == " " {
                // Runs of whitespace and control characters become one space.
                if !lastWasSpace { out.unicodeScalars.append(" "); kept += 1 }
                lastWasSpace = true
            } else {
                out.unicodeScalars.append(scalar)
                kept += 1
                lastWasSpace = false
            }
        }
        if dropped > 0 { out += "… (\(dropped) more characters)" }
        return out
    }
}
