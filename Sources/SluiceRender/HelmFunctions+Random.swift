import SluiceModel
import SluiceYAML

/// Sprig's random functions on `ChartRandom`: the same characters, lengths and formats as
/// Sprig's (goutils' alphabets, a version-4 UUID), drawn from the pair's stream.
extension HelmFunctions {
    static let alphabets: [TemplateFunction: [Character]] = [
        .randAlphaNum: Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
        .randAlpha: Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        .randNumeric: Array("0123456789"),
        // goutils' CryptoRandomAscii: the printable characters, space to tilde.
        .randAscii: (32...126).map { Character(Unicode.Scalar(UInt8($0))) },
    ]

    static func random(_ call: Call) throws(TemplateError) -> Value? {
        switch call.function {
        case .randAlphaNum, .randAlpha, .randNumeric, .randAscii:
            try call.count(1...1)
            let count = try call.int(0)
            // Sprig drops goutils' error for a negative length: the text is empty.
            guard count > 0 else { return .string("") }
            guard count <= RenderLimits.templateOutputBytes else {
                throw call.fail("the string made is larger than \(RenderLimits.templateOutputBytes >> 20) MiB (the limit of one template)", limit: .templateOutputBytes)
            }
            return .string(call.evaluator.random.string(count, from: alphabets[call.function]!))
        case .uuidv4:
            try call.count(0...0)
            var b = call.evaluator.random.bytes(16)
            b[6] = (b[6] & 0x0F) | 0x40
            b[8] = (b[8] & 0x3F) | 0x80
            let hex = b.map { String($0 >> 4, radix: 16) + String($0 & 0x0F, radix: 16) }
            return .string([hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-"))
        case .randInt:
            try call.count(2...2)
            let low = try call.int(0), high = try call.int(1)
            // Go's rand.Intn panics for a bound that is not positive.
            let (span, overflow) = high.subtractingReportingOverflow(low)
            guard !overflow, span > 0 else { throw call.fail("invalid argument to Intn") }
            return .int(low + Int(call.evaluator.random.below(UInt64(span))))
        case .shuffle:
            try call.count(1...1)
            var scalars = Array(call.string(0).unicodeScalars)
            // Go's rand.Shuffle: Fisher-Yates from the end.
            if scalars.count > 1 {
                for i in stride(from: scalars.count - 1, to: 0, by: -1) {
                    scalars.swapAt(i, Int(call.evaluator.random.below(UInt64(i + 1))))
                }
            }
            return .string(String(String.UnicodeScalarView(scalars)))
        default:
            return nil
        }
    }
}
