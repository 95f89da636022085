import SluiceModel
import SluiceYAML

/// Sprig's `urlParse` (a URL's parts, as Go's `net/url` reads them) and `urlJoin` (parts to a
/// URL, as Go writes it).
extension HelmFunctions {
    static func urls(_ call: Call) throws(TemplateError) -> Value? {
        switch call.function {
        case .urlParse:
            try call.count(1...1)
            let url: GoURL
            do { url = try GoURL.parse(call.string(0)) } catch { throw call.fail("unable to parse url: \(error.message)") }
            return .map(["scheme": .string(url.scheme), "host": .string(url.host), "hostname": .string(url.hostname), "path": .string(url.path),
                         "query": .string(url.rawQuery), "opaque": .string(url.opaque), "fragment": .string(url.fragment), "userinfo": .string(url.userinfo)])
        case .urlJoin:
            try call.count(1...1)
            let parts = try call.map(0)
            func part(_ key: String) throws(TemplateError) -> String {
                switch parts[key] {
                case nil: return ""
                case .string(let text)?: return text
                case let other?: throw call.fail("unable to parse \(key) key, must be of type string, but \(GoPrint.typeName(other)) found")
                }
            }
            var url = GoURL(scheme: try part("scheme"), opaque: try part("opaque"), host: try part("host"), path: try part("path"),
                            rawQuery: try part("query"), fragment: try part("fragment"))
            let info = try part("userinfo")
            if !info.isEmpty {
                do { url.user = try GoURL.parse("proto://\(info)@host").user } catch { throw call.fail("unable to parse userinfo in dict: \(error.message)") }
            }
            return .string(url.string)
        default:
            return nil
        }
    }
}
