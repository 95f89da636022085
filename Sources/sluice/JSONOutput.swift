import Foundation
import SluiceModel
import SluiceYAML
import SluicePlan
import SluiceQueries
import SluiceCore
import SluiceStore

/// The JSON shapes the read commands print (documented in the README).
enum JSONOutput {
    typealias DiagnosticEntry = SluiceQueries.DiagnosticEntry

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
