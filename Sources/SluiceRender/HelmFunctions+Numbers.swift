import Foundation
import SluiceModel
import SluiceYAML

/// Sprig's arithmetic (integers as Go's int64, overflow refused, division by zero refused)
/// and conversions between values and text.
extension HelmFunctions {
    static func numbers(_ call: Call) throws(TemplateError) -> Value? {
        let args = call.args
        func checked(_ result: (partialValue: Int, overflow: Bool)) throws(TemplateError) -> Value {
            guard !result.overflow else { throw call.fail("the result overflows a 64-bit integer", limit: .integerRange) }
            return .int(result.partialValue)
        }
        switch call.function {
        case .add, .mul:
            var total = call.function == .add ? 0 : 1
            for index in args.indices {
                let n = try call.int(index)
                let step = call.function == .add ? total.addingReportingOverflow(n) : total.multipliedReportingOverflow(by: n)
                guard case .int(let next) = try checked(step) else { return nil }
                total = next
            }
            return .int(total)
        case .add1:
            try call.count(1...1)
            return try checked(try call.int(0).addingReportingOverflow(1))
        case .sub:
            try call.count(2...2)
            return try checked(try call.int(0).subtractingReportingOverflow(try call.int(1)))
        case .div, .mod:
            try call.count(2...2)
            let (a, b) = (try call.int(0), try call.int(1))
            guard b != 0 else { throw call.fail("integer divide by zero") }
            return try checked(call.function == .div ? a.dividedReportingOverflow(by: b) : a.remainderReportingOverflow(dividingBy: b))
        case .max, .min, .biggest:
            try call.atLeast(1)
            var best = try call.int(0)
            for index in args.indices.dropFirst() {
                let n = try call.int(index)
                best = call.function == .min ? Swift.min(best, n) : Swift.max(best, n)
            }
            return .int(best)
        case .atoi:
            try call.count(1...1)
            return .int(Int(call.string(0)) ?? 0)
        case .int64:
            try call.count(1...1)
            return .int(try call.int(0))
        case .float64:
            try call.count(1...1)
            return .double(HelmFunctions.toFloat64(args[0]))
        case .floor, .ceil:
            try call.count(1...1)
            let d = HelmFunctions.toFloat64(args[0])
            return .double(call.function == .floor ? d.rounded(.down) : d.rounded(.up))
        case .round:
            try call.count(2...3)
            let d = HelmFunctions.toFloat64(args[0]), places = Swift.max(0, Swift.min(15, try call.int(1)))
            let scale = pow(10, Double(places))
            return .double((d * scale).rounded(.toNearestOrAwayFromZero) / scale)
        default:
            return nil
        }
    }

    static func conversions(_ call: Call) throws(TemplateError) -> Value? {
        let args = call.args
        switch call.function {
        case .kindOf:
            try call.count(1...1)
            return .string(call.kind(0))
        case .kindIs:
            try call.count(2...2)
            return .bool(call.kind(1) == call.string(0))
        case .typeOf:
            try call.count(1...1)
            return .string(call.typeName(0))
        case .typeIs:
            try call.count(2...2)
            return .bool(call.typeName(1) == call.string(0))
        case .fromYaml, .fromJson:
            // Helm's: a map, or a map whose "Error" says why the text is not one.
            try call.count(1...1)
            let documents: [YAMLNode]
            do { documents = try YAMLParser().parse(Array(call.string(0).utf8), file: "fromYaml") } catch {
                return .map(["Error": .string(error.message)])
            }
            guard let first = documents.first else { return .map([:]) }
            guard case .map(let map) = Value(first) else { return .map(["Error": .string("the text is not a mapping")]) }
            return try call.made(.map(map))
        case .fromYamlArray, .fromJsonArray:
            try call.count(1...1)
            let documents: [YAMLNode]
            do { documents = try YAMLParser().parse(Array(call.string(0).utf8), file: "fromYamlArray") } catch {
                return .list([.string(error.message)])
            }
            guard let first = documents.first else { return .list([]) }
            guard case .list(let list) = Value(first) else { return .list([.string("the text is not a list")]) }
            return try call.made(.list(list))
        case .toRawJson, .toPrettyJson, .mustToRawJson, .mustToPrettyJson:
            try call.count(1...1)
            let raw = call.function == .toRawJson || call.function == .mustToRawJson
            let compact = JSONEmitter.emit(args[0], escapingHTML: !raw)
            return try call.made(raw ? compact : JSONPretty.indent(compact))
        case .fromToml:
            // Helm's: a map, or one whose "Error" says why the text is not TOML.
            try call.count(1...1)
            let read: [String: Value]
            do { read = try TOMLReader.read(call.string(0)) } catch { return .map(["Error": .string(error.message)]) }
            return try call.made(.map(read))
        case .toYamlPretty:
            try call.count(1...1)
            var text = YAMLEmitter.emitIndented(try call.made(args[0]))
            if text.hasSuffix("\n") { text.removeLast() }
            return try call.made(text)
        case .toToml:
            // Helm's: the encoder's error is the text.
            try call.count(1...1)
            if case .null = args[0] { throw call.fail("reflect: call of reflect.Value.Type on zero Value") }
            let value = try call.made(args[0])
            let text: String
            do { text = try TOMLEncoder.encode(value) } catch { return .string(error.message) }
            return try call.made(text)
        case .mustFromJson:
            // Sprig's: any JSON value, and an error for text that is not JSON.
            try call.count(1...1)
            let value: Value
            do { value = try JSONReader.read(call.string(0)) } catch { throw call.fail(error.description) }
            return try call.made(HelmYAML.goTyped(value))
        case .b32enc, .b32dec, .sha1sum, .adler32sum:
            return try digests(call)
        case .lookup:
            // As `helm template`: no cluster is read while rendering, so nothing is found.
            try call.count(4...4)
            return .map([:])
        case .fail:
            try call.count(1...1)
            throw call.evaluator.error(call.mark, call.string(0))
        default:
            return nil
        }
    }

    /// Go's type name, as `typeOf` prints it.
    static func typeName(_ value: Value) -> String {
        switch value {
        case .null: return "<nil>"
        default: return GoPrint.typeName(value)
        }
    }

    private static func digests(_ call: Call) throws(TemplateError) -> Value {
        try call.count(1...1)
        let bytes = Array(call.string(0).utf8)
        switch call.function {
        case .sha1sum:
            return .string(SHA1Digest.hex(bytes))
        case .adler32sum:
            var a: UInt32 = 1, b: UInt32 = 0
            for byte in bytes {
                a = (a + UInt32(byte)) % 65_521
                b = (b + a) % 65_521
            }
            return .string(String((b << 16) | a))
        case .b32enc:
            return .string(Base32.encode(bytes))
        default:
            guard let decoded = Base32.decode(call.string(0)) else { throw call.fail("input is not valid base32") }
            return .string(String(decoding: decoded, as: UTF8.self))
        }
    }
}
