import Foundation

/// Why a rollout halts, typed (the machine decides and records it; `description` is the text
/// for people, made where it is shown).
public enum HaltReason: Sendable, Equatable, CustomStringConvertible {
    /// More clusters of a stage failed than its `maxFailures` allows; `first` is the first of them.
    case failureBudget(stage: String, failed: Int, allowed: Int, first: String, why: ClusterFailure)
    /// Written by a sluice before reasons were typed: its text only.
    case recorded(String)

    public var description: String {
        switch self {
        case .failureBudget(let stage, let failed, let allowed, let first, let why):
            return "stage \(stage): \(failed) failed cluster\(failed == 1 ? "" : "s"), more than maxFailures \(allowed); first: \(first): \(why)"
        case .recorded(let text): return text
        }
    }
}

/// Why a rollout pauses: an operator asked (`sluice pause`).
public enum PauseReason: Sendable, Equatable, CustomStringConvertible {
    case asked(user: String, reason: String)
    /// Written by a sluice before reasons were typed: its text only.
    case recorded(String)

    public var description: String {
        switch self {
        case .asked(let user, let reason): return reason.isEmpty ? "paused by \(user)" : "paused by \(user): \(reason)"
        case .recorded(let text): return text
        }
    }
}

// MARK: - JSON
// A flat object with `why`; a plain string is a reason written before they were typed.

private enum ReasonKey: String, CodingKey { case why, stage, failed, allowed, first, cluster, user, reason }

extension HaltReason: Codable {
    public init(from decoder: any Decoder) throws {
        if let text = decoder.recordedText {
            self = .recorded(text)
            return
        }
        let c = try decoder.container(keyedBy: ReasonKey.self)
        switch try c.decode(String.self, forKey: .why) {
        case "failureBudget":
            self = .failureBudget(stage: try c.decode(String.self, forKey: .stage), failed: try c.decode(Int.self, forKey: .failed),
                                  allowed: try c.decode(Int.self, forKey: .allowed), first: try c.decode(String.self, forKey: .first),
                                  why: try c.decode(ClusterFailure.self, forKey: .cluster))
        case let why: throw DecodingError.dataCorruptedError(forKey: .why, in: c, debugDescription: "unknown halt reason \(why)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .recorded(let text):
            try encoder.encodeRecorded(text)
        case .failureBudget(let stage, let failed, let allowed, let first, let why):
            var c = encoder.container(keyedBy: ReasonKey.self)
            try c.encode("failureBudget", forKey: .why)
            try c.encode(stage, forKey: .stage)
            try c.encode(failed, forKey: .failed)
            try c.encode(allowed, forKey: .allowed)
            try c.encode(first, forKey: .first)
            try c.encode(why, forKey: .cluster)
        }
    }
}

extension PauseReason: Codable {
    public init(from decoder: any Decoder) throws {
        if let text = decoder.recordedText {
            self = .recorded(text)
            return
        }
        let c = try decoder.container(keyedBy: ReasonKey.self)
        switch try c.decode(String.self, forKey: .why) {
        case "asked": self = .asked(user: try c.decode(String.self, forKey: .user), reason: try c.decode(String.self, forKey: .reason))
        case let why: throw DecodingError.dataCorruptedError(forKey: .why, in: c, debugDescription: "unknown pause reason \(why)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .recorded(let text):
            try encoder.encodeRecorded(text)
        case .asked(let user, let reason):
            var c = encoder.container(keyedBy: ReasonKey.self)
            try c.encode("asked", forKey: .why)
            try c.encode(user, forKey: .user)
            try c.encode(reason, forKey: .reason)
        }
    }
}

/// A reason written before reasons were typed is a plain string: it reads, and is written
/// again, as `recorded` text.
extension Decoder {
    var recordedText: String? { try? singleValueContainer().decode(String.self) }
}

extension Encoder {
    func encodeRecorded(_ text: String) throws {
        var single = singleValueContainer()
        try single.encode(text)
    }
}
