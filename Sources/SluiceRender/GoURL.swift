/// Go's `net/url` as Sprig's `urlParse` and `urlJoin` use it: `Parse` into its parts (path
/// and fragment unescaped, query raw) and `String` back, with Go's escaping rules.
struct GoURL {
    var scheme = "", opaque = "", host = "", path = "", rawQuery = "", fragment = ""
    var user: (name: String, password: String?)?
    var forceQuery = false
    var omitHost = false

    struct ParseError: Error {
        let message: String
    }

    enum Mode { case path, host, userPassword, queryComponent, fragment }

    /// Go's `url.Parse`.
    static func parse(_ raw: String) throws(ParseError) -> GoURL {
        func fail(_ why: String) -> ParseError { ParseError(message: "parse \(GoPrint.quote(raw)): \(why)") }
        let bytes = Array(raw.utf8)
        let hash = bytes.firstIndex(of: UInt8(ascii: "#"))
        var url = try parseWithoutFragment(Array(bytes[..<(hash ?? bytes.count)]), fail)
        if let hash, hash + 1 < bytes.count {
            do { url.fragment = try unescape(Array(bytes[(hash + 1)...]), .fragment) } catch { throw fail(error.message) }
        }
        return url
    }

    private static func parseWithoutFragment(_ raw: [UInt8], _ fail: (String) -> ParseError) throws(ParseError) -> GoURL {
        guard !raw.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { throw fail("net/url: invalid control character in URL") }
        var url = GoURL()
        if raw == Array("*".utf8) { url.path = "*"; return url }
        // The scheme: letters, then letters, digits, `+`, `-`, `.`, up to a colon.
        var rest = raw[...]
        for (index, byte) in raw.enumerated() {
            let letter = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            if letter { continue }
            if (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") {
                if index == 0 { break }
                continue
            }
            if byte == UInt8(ascii: ":") {
                guard index > 0 else { throw fail("missing protocol scheme") }
                url.scheme = String(decoding: raw[..<index], as: UTF8.self).lowercased()
                rest = raw[(index + 1)...]
            }
            break
        }
        let questions = rest.filter { $0 == UInt8(ascii: "?") }.count
        if rest.last == UInt8(ascii: "?") && questions == 1 {
            url.forceQuery = true
            rest = rest.dropLast()
        } else if let question = rest.firstIndex(of: UInt8(ascii: "?")) {
            url.rawQuery = String(decoding: rest[(question + 1)...], as: UTF8.self)
            rest = rest[..<question]
        }
        if rest.first != UInt8(ascii: "/") {
            if !url.scheme.isEmpty {
                url.opaque = String(decoding: rest, as: UTF8.self)
                return url
            }
            let segment = rest.prefix { $0 != UInt8(ascii: "/") }
            if segment.contains(UInt8(ascii: ":")) { throw fail("first path segment in URL cannot contain colon") }
        }
        if (!url.scheme.isEmpty || !rest.starts(with: Array("///".utf8))) && rest.starts(with: Array("//".utf8)) {
            var authority = rest.dropFirst(2)
            rest = []
            if let slash = authority.firstIndex(of: UInt8(ascii: "/")) {
                rest = authority[slash...]
                authority = authority[..<slash]
            }
            do { try url.parseAuthority(Array(authority)) } catch { throw fail(error.message) }
        } else if !url.scheme.isEmpty && rest.first == UInt8(ascii: "/") {
            url.omitHost = true
        }
        do { url.path = try unescape(Array(rest), .path) } catch { throw fail(error.message) }
        return url
    }

    private mutating func parseAuthority(_ authority: [UInt8]) throws(ParseError) {
        let at = authority.lastIndex(of: UInt8(ascii: "@"))
        host = try Self.parseHost(Array(authority[((at ?? -1) + 1)...]))
        guard let at else { return }
        let info = Array(authority[..<at])
        let allowed = Set("-._:~!$&'()*+,;=%@".utf8)
        for byte in info where !(byte.isASCIIAlphanumeric || allowed.contains(byte)) { throw ParseError(message: "net/url: invalid userinfo") }
        if let colon = info.firstIndex(of: UInt8(ascii: ":")) {
            user = (try Self.unescape(Array(info[..<colon]), .userPassword), try Self.unescape(Array(info[(colon + 1)...]), .userPassword))
        } else {
            user = (try Self.unescape(info, .userPassword), nil)
        }
    }

    private static func parseHost(_ host: [UInt8]) throws(ParseError) -> String {
        func validPort(_ port: ArraySlice<UInt8>) -> Bool {
            port.isEmpty || (port.first == UInt8(ascii: ":") && port.dropFirst().allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        }
        if host.first == UInt8(ascii: "[") {
            guard let close = host.lastIndex(of: UInt8(ascii: "]")) else { throw ParseError(message: "missing ']' in host") }
            let port = host[(close + 1)...]
            guard validPort(port) else { throw ParseError(message: "invalid port \(GoPrint.quote(String(decoding: port, as: UTF8.self))) after host") }
        } else if let colon = host.lastIndex(of: UInt8(ascii: ":")) {
            let port = host[colon...]
            guard validPort(port) else { throw ParseError(message: "invalid port \(GoPrint.quote(String(decoding: port, as: UTF8.self))) after host") }
        }
        return try unescape(host, .host)
    }

    /// `Hostname()`: the host without its port and an IPv6 literal's brackets.
    var hostname: String {
        var name = Substring(host)
        if let colon = name.lastIndex(of: ":") {
            let port = name[name.index(after: colon)...]
            if port.allSatisfy({ $0.isASCII && $0.isNumber }) { name = name[..<colon] }
        }
        if name.hasPrefix("[") && name.hasSuffix("]") { name = name.dropFirst().dropLast() }
        return String(name)
    }

    /// `Userinfo.String()`.
    var userinfo: String {
        guard let user else { return "" }
        return Self.escape(user.name, .userPassword) + (user.password.map { ":" + Self.escape($0, .userPassword) } ?? "")
    }

    /// Go's `URL.String()`.
    var string: String {
        var out = ""
        if !scheme.isEmpty { out += scheme + ":" }
        if !opaque.isEmpty {
            out += opaque
        } else {
            if !scheme.isEmpty || !host.isEmpty || user != nil {
                if !(omitHost && host.isEmpty && user == nil) {
                    if !host.isEmpty || !path.isEmpty || user != nil { out += "//" }
                    if user != nil { out += userinfo + "@" }
                    if !host.isEmpty { out += Self.escape(host, .host) }
                }
            }
            let escapedPath = Self.escape(path, .path)
            if let first = escapedPath.first, first != "/", !host.isEmpty { out += "/" }
            if out.isEmpty, (escapedPath.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? "").contains(":") {
                out += "./"
            }
            out += escapedPath
        }
        if forceQuery || !rawQuery.isEmpty { out += "?" + rawQuery }
        if !fragment.isEmpty { out += "#" + Self.escape(fragment, .fragment) }
        return out
    }

    /// Go's `shouldEscape`.
    static func shouldEscape(_ c: UInt8, _ mode: Mode) -> Bool {
        if c.isASCIIAlphanumeric { return false }
        if mode == .host, Array("!$&'()*+,;=:[]<>\"".utf8).contains(c) { return false }
        switch c {
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"): return false
        case UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: ";"),
             UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "@"):
            switch mode {
            case .path: return c == UInt8(ascii: "?")
            case .userPassword: return c == UInt8(ascii: "@") || c == UInt8(ascii: "/") || c == UInt8(ascii: "?") || c == UInt8(ascii: ":")
            case .queryComponent: return true
            case .fragment: return false
            case .host: break
            }
        default: break
        }
        if mode == .fragment, Array("!()*".utf8).contains(c) { return false }
        return true
    }

    static func escape(_ text: String, _ mode: Mode) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for c in text.utf8 {
            if !shouldEscape(c, mode) { out.append(c) } else if c == UInt8(ascii: " ") && mode == .queryComponent { out.append(UInt8(ascii: "+")) } else {
                out += [UInt8(ascii: "%"), hex[Int(c >> 4)], hex[Int(c & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func unescape(_ s: [UInt8], _ mode: Mode) throws(ParseError) -> String {
        func hexValue(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        var i = 0
        while i < s.count {
            switch s[i] {
            case UInt8(ascii: "%"):
                guard i + 2 < s.count, let high = hexValue(s[i + 1]), let low = hexValue(s[i + 2]) else {
                    throw ParseError(message: "invalid URL escape \(GoPrint.quote(String(decoding: s[i..<min(i + 3, s.count)], as: UTF8.self)))")
                }
                // A host may hold %-escapes of UTF-8 (and %25) only.
                if mode == .host, high < 8, !(high == 2 && low == 5) {
                    throw ParseError(message: "invalid URL escape \(GoPrint.quote(String(decoding: s[i..<(i + 3)], as: UTF8.self)))")
                }
                out.append(high << 4 | low)
                i += 3
            case UInt8(ascii: "+"):
                out.append(mode == .queryComponent ? UInt8(ascii: " ") : UInt8(ascii: "+"))
                i += 1
            default:
                if mode == .host, s[i] < 0x80, shouldEscape(s[i], mode) {
                    throw ParseError(message: "invalid character \(GoPrint.quote(String(decoding: [s[i]], as: UTF8.self))) in host name")
                }
                out.append(s[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension UInt8 {
    /// An ASCII letter or digit (URLs' unreserved alphanumerics, TOML's bare keys).
    var isASCIIAlphanumeric: Bool {
        (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z")) || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z"))
            || (self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9"))
    }
}
