import Foundation
import SluiceModel
import SluicePlan

/// The JSON shapes the read commands print (documented in the README).
enum JSONOutput {
    struct DiagnosticEntry: Codable {
        var file: String
        var line: Int
        var column: Int
        var message: String
        init(_ d: Diagnostic) {
            file = d.file
            line = d.mark.line
            column = d.mark.column
            message = d.message
        }
    }

    struct Errors: Codable {
        var valid: Bool
        var errors: [DiagnosticEntry]
    }

    struct Valid: Codable {
        var valid: Bool
        var commit: String?
        var pairs: Int
        var objects: Int
        var rollout: RolloutOutline?
    }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
