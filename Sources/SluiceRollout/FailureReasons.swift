import Foundation
import SluiceYAML

/// Why a pair failed, typed: what the cluster said about what was sent, or its health clock.
/// Its text for people is `description`.
public enum PairFailure: Sendable, Equatable, CustomStringConvertible {
    case action(ActionFailure)
    case health(HealthDeadline.Expiry, detail: String)
    /// Written by a sluice before reasons were typed: its text only.
    case recorded(String)

    public var description: String {
        switch self {
        case .action(let failure): return failure.detail
        case .health(let expiry, let detail): return "\(expiry.description): \(detail)"
        case .recorded(let text): return text
        }
    }
}

/// Why a cluster failed in a rollout, typed.
public enum ClusterFailure: Sendable, Equatable, CustomStringConvertible {
    case addon(String, PairFailure)
    /// Its plan could not be made, or it refused Sluice.
    case plan(ActionFailure)
    case check(CheckID, detail: String)
    /// Written by a sluice before reasons were typed: its text only.
    case recorded(String)

    public var description: String {
        switch self {
        case .addon(let addon, let failure): return "add-on \(addon): \(failure)"
        case .plan(let failure): return failure.detail
        case .check(let id, let detail): return "check \(id.name) (\(id.phase.rawValue)) failed: \(detail)"
        case .recorded(let text): return text
        }
    }
}

// MARK: - JSON
// A flat object with `why`; a plain string is a reason written before they were typed. The
// cluster rows' writer (`ClusterProgress+JSON.swift`) writes the same.

private enum ReasonKey: String, CodingKey { case why, kind, detail, seconds, addon, pair, check }

/// An action's failure inside a reason: `{"why": <case>, "kind": ..., "detail": ...}`.
private extension ActionFailure {
    init(_ c: KeyedDecodingContainer<ReasonKey>) throws {
        let kind = try c.decode(String.self, forKey: .kind)
        guard let known = Kind(rawValue: kind) else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown failure kind \(kind)")
        }
        self.init(known, try c.decode(String.self, forKey: .detail))
    }

    func encode(as why: String, into c: inout KeyedEncodingContainer<ReasonKey>) throws {
        try c.encode(why, forKey: .why)
        try c.encode(kind.rawValue, forKey: .kind)
        try c.encode(detail, forKey: .detail)
    }

    func write(as why: String, into w: inout JSONWriter) {
        w.beginObject()
        w.key("why"); w.string(why); w.key("kind"); w.string(kind.rawValue); w.key("detail"); w.string(detail)
        w.endObject()
    }
}

extension PairFailure: Codable {
    public init(from decoder: any Decoder) throws {
        if let text = decoder.recordedText {
            self = .recorded(text)
            return
        }
        let c = try decoder.container(keyedBy: ReasonKey.self)
        let detail = try c.decode(String.self, forKey: .detail)
        switch try c.decode(String.self, forKey: .why) {
        case "action": self = .action(try ActionFailure(c))
        case "noProgress": self = .health(.noProgress(seconds: try c.decode(Double.self, forKey: .seconds)), detail: detail)
        case "deadline": self = .health(.deadline(seconds: try c.decode(Double.self, forKey: .seconds)), detail: detail)
        case let why: throw DecodingError.dataCorruptedError(forKey: .why, in: c, debugDescription: "unknown pair failure \(why)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if case .recorded(let text) = self { return try encoder.encodeRecorded(text) }
        var c = encoder.container(keyedBy: ReasonKey.self)
        switch self {
        case .action(let failure): try failure.encode(as: "action", into: &c)
        case .health(let expiry, let detail):
            switch expiry {
            case .noProgress(let seconds): try c.encode("noProgress", forKey: .why); try c.encode(seconds, forKey: .seconds)
            case .deadline(let seconds): try c.encode("deadline", forKey: .why); try c.encode(seconds, forKey: .seconds)
            }
            try c.encode(detail, forKey: .detail)
        case .recorded: break
        }
    }

    func write(into w: inout JSONWriter) {
        switch self {
        case .recorded(let text): w.string(text)
        case .action(let failure): failure.write(as: "action", into: &w)
        case .health(let expiry, let detail):
            w.beginObject()
            switch expiry {
            case .noProgress(let seconds): w.key("why"); w.string("noProgress"); w.key("seconds"); w.double(seconds)
            case .deadline(let seconds): w.key("why"); w.string("deadline"); w.key("seconds"); w.double(seconds)
            }
            w.key("detail"); w.string(detail)
            w.endObject()
        }
    }
}

extension ClusterFailure: Codable {
    public init(from decoder: any Decoder) throws {
        if let text = decoder.recordedText {
            self = .recorded(text)
            return
        }
        let c = try decoder.container(keyedBy: ReasonKey.self)
        switch try c.decode(String.self, forKey: .why) {
        case "addon": self = .addon(try c.decode(String.self, forKey: .addon), try c.decode(PairFailure.self, forKey: .pair))
        case "plan": self = .plan(try ActionFailure(c))
        case "check": self = .check(try c.decode(CheckID.self, forKey: .check), detail: try c.decode(String.self, forKey: .detail))
        case let why: throw DecodingError.dataCorruptedError(forKey: .why, in: c, debugDescription: "unknown cluster failure \(why)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if case .recorded(let text) = self { return try encoder.encodeRecorded(text) }
        var c = encoder.container(keyedBy: ReasonKey.self)
        switch self {
        case .addon(let addon, let failure):
            try c.encode("addon", forKey: .why)
            try c.encode(addon, forKey: .addon)
            try c.encode(failure, forKey: .pair)
        case .plan(let failure): try failure.encode(as: "plan", into: &c)
        case .check(let id, let detail):
            try c.encode("check", forKey: .why)
            try c.encode(id, forKey: .check)
            try c.encode(detail, forKey: .detail)
        case .recorded: break
        }
    }

    func write(into w: inout JSONWriter) {
        switch self {
        case .recorded(let text): w.string(text)
        case .addon(let addon, let failure):
            w.beginObject()
            w.key("why"); w.string("addon"); w.key("addon"); w.string(addon); w.key("pair"); failure.write(into: &w)
            w.endObject()
        case .plan(let failure): failure.write(as: "plan", into: &w)
        case .check(let id, let detail):
            w.beginObject()
            w.key("why"); w.string("check")
            w.key("check"); w.beginObject()
            w.key("name"); w.string(id.name); w.key("phase"); w.string(id.phase.rawValue)
            if let cluster = id.cluster { w.key("cluster"); w.string(cluster) }
            w.endObject()
            w.key("detail"); w.string(detail)
            w.endObject()
        }
    }
}
