import Foundation
import SluiceModel
import SluiceYAML
import SluicePlan
import SluiceQueries
import SluiceCore
import SluiceStore

/// The JSON shapes the read commands print (documented in the README).
enum JSONOutput {
    /// The location only where there is one: a bot annotates what has a file and line.
    struct DiagnosticEntry: Codable {
        var file: String?
        var line: Int?
        var column: Int?
        var message: String
        /// What kind of problem, for programs (`limit.rangeIterations`); absent for most.
        var code: String?
        init(_ d: Diagnostic) {
            file = d.file.isEmpty ? nil : d.file
            line = d.hasLocation ? d.mark?.line : nil
            column = d.hasLocation ? d.mark?.column : nil
            message = d.message
            code = d.code
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

    /// One event of `sluice history --output json` (shared with the API).
    typealias HistoryEntry = SluiceQueries.HistoryEntry

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
