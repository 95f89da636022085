import Foundation
import SluiceModel
import SluiceYAML

/// Sprig's float arithmetic (`addf`, `subf`, `mulf`, `divf`, `add1f`): each number is taken
/// as the shortest decimal that reads back as it (shopspring/decimal's `NewFromFloat`), the
/// arithmetic is decimal (a quotient rounded half away from zero to 16 places), and the
/// result is the float64 nearest to it: `addf 0.1 0.2` is 0.3, not 0.30000000000000004.
extension HelmFunctions {
    static func decimals(_ call: Call) throws(TemplateError) -> Value? {
        let args = call.args
        switch call.function {
        case .maxf, .minf:
            try call.atLeast(1)
            var best = toFloat64(args[0])
            for value in args.dropFirst() {
                let next = toFloat64(value)
                // Go's math.Max and math.Min: NaN wins.
                if best.isNaN || next.isNaN { best = .nan; continue }
                best = call.function == .maxf ? Swift.max(best, next) : Swift.min(best, next)
            }
            return .double(best)
        case .add1f:
            try call.count(1...1)
            return .double(try decimal(call, [args[0], .int(1)]) { $0 + $1 })
        case .addf:
            return .double(try decimal(call, [.double(0)] + args) { $0 + $1 })
        case .subf:
            try call.atLeast(1)
            return .double(try decimal(call, args) { $0 - $1 })
        case .mulf:
            try call.atLeast(1)
            return .double(try decimal(call, args) { $0 * $1 })
        case .divf:
            try call.atLeast(1)
            for value in args.dropFirst() where toFloat64(value) == 0 { throw call.fail("decimal division by 0") }
            return .double(try decimal(call, args) { dividend, divisor in
                var quotient = dividend / divisor, rounded = Decimal()
                NSDecimalRound(&rounded, &quotient, 16, .plain)
                return rounded
            })
        default:
            return nil
        }
    }

    private static func decimal(_ call: Call, _ values: [Value], _ step: (Decimal, Decimal) -> Decimal) throws(TemplateError) -> Double {
        func exact(_ value: Value) throws(TemplateError) -> Decimal {
            let number = toFloat64(value)
            guard number.isFinite, let decimal = Decimal(string: "\(number)", locale: Locale(identifier: "en_US_POSIX")), !decimal.isNaN else {
                throw call.fail("\(GoPrint.string(.double(number))) has no decimal value Sluice can compute with")
            }
            return decimal
        }
        var result = try exact(values[0])
        for value in values.dropFirst() { result = step(result, try exact(value)) }
        guard !result.isNaN, let double = Double(result.description), double.isFinite else {
            throw call.fail("the result is out of the range Sluice computes decimals in")
        }
        return double
    }
}
