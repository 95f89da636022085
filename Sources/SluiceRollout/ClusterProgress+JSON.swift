import Foundation
import SluiceModel
import SluiceYAML

/// The JSON of a cluster row, written by hand: a batch's rows are written after every step
/// (tens of thousands of times in a rollout of a large fleet), and through `Encodable` and a
/// `Value` tree they cost most of the controller's own time. It reads back with the
/// `Decodable` conformances in `RolloutProgress.swift`; a test holds the two together.
extension ClusterProgress {
    public func json() -> [UInt8] {
        var writer = JSONWriter(capacity: 128 + pairs.count * 160)
        write(into: &writer)
        return writer.bytes
    }

    func write(into w: inout JSONWriter) {
        w.beginObject()
        w.key("name"); w.string(name)
        w.key("phase"); phase.write(into: &w)
        if !pairs.isEmpty {
            w.key("pairs")
            w.beginArray()
            for pair in pairs { pair.write(into: &w) }
            w.endArray()
        }
        if !settled.isEmpty { w.key("settled"); w.strings(settled) }
        if noop { w.key("noop"); w.bool(true) }
        if touched { w.key("touched"); w.bool(true) }
        if rollbackRequested { w.key("rollbackRequested"); w.bool(true) }
        w.endObject()
    }
}

extension ClusterProgress.Phase {
    // As the synthesised Codable of an enum: {"case": {labels...}}, `_0` for an unlabelled value.
    func write(into w: inout JSONWriter) {
        w.beginObject()
        switch self {
        case .queued: w.key("queued"); w.emptyObject()
        case .applying: w.key("applying"); w.emptyObject()
        case .done: w.key("done"); w.emptyObject()
        case .failed(let why):
            w.key("failed"); w.beginObject(); w.key("_0"); why.write(into: &w); w.endObject()
        case .unreachable(let since, let reason, let retryAt):
            w.key("unreachable"); w.beginObject()
            w.key("since"); w.date(since)
            w.key("reason"); w.string(reason)
            w.key("retryAt"); w.date(retryAt)
            w.endObject()
        case .skipped: w.key("skipped"); w.emptyObject()
        case .rollingBack: w.key("rollingBack"); w.emptyObject()
        case .rolledBack: w.key("rolledBack"); w.emptyObject()
        }
        w.endObject()
    }
}

extension PairProgress {
    func write(into w: inout JSONWriter) {
        w.beginObject()
        w.key("addon"); w.string(addon)
        if !dependsOn.isEmpty { w.key("dependsOn"); w.strings(dependsOn) }
        w.key("digest"); w.string(digest)
        if settled { w.key("settled"); w.bool(true) }
        if removed { w.key("removed"); w.bool(true) }
        if steps != 1 { w.key("steps"); w.int(steps) }
        if let stepBakeSeconds { w.key("stepBakeSeconds"); w.double(stepBakeSeconds) }
        w.key("healthTimeoutSeconds"); w.double(healthTimeoutSeconds)
        if let healthDeadlineSeconds { w.key("healthDeadlineSeconds"); w.double(healthDeadlineSeconds) }
        if let stepDeadline { w.key("stepDeadline"); w.date(stepDeadline) }
        if let pods {
            w.key("pods"); w.beginObject(); w.key("ready"); w.int(pods.ready); w.key("desired"); w.int(pods.desired); w.endObject()
        }
        if mostReady != 0 { w.key("mostReady"); w.int(mostReady) }
        w.key("phase"); phase.write(into: &w)
        if attempt != 0 { w.key("attempt"); w.int(attempt) }
        if retries != 0 { w.key("retries"); w.int(retries) }
        if inFlight { w.key("inFlight"); w.bool(true) }
        if let nextPoll { w.key("nextPoll"); w.date(nextPoll) }
        if let progress { w.key("progress"); w.string(progress) }
        if preHooks != 0 { w.key("preHooks"); w.int(preHooks) }
        if postHooks != 0 { w.key("postHooks"); w.int(postHooks) }
        if revision != 1 { w.key("revision"); w.int(revision) }
        w.endObject()
    }
}

extension PairProgress.Phase {
    func write(into w: inout JSONWriter) {
        w.beginObject()
        switch self {
        case .waiting: w.key("waiting"); w.emptyObject()
        case .applying: w.key("applying"); w.emptyObject()
        case .stepping(let step, let deadline):
            w.key("stepping"); w.beginObject(); w.key("step"); w.int(step); w.key("deadline"); w.date(deadline); w.endObject()
        case .baking(let step, let until):
            w.key("baking"); w.beginObject(); w.key("step"); w.int(step); w.key("until"); w.date(until); w.endObject()
        case .retrying(let at):
            w.key("retrying"); w.beginObject(); w.key("at"); w.date(at); w.endObject()
        case .recorded: w.key("recorded"); w.emptyObject()
        case .failed(let why):
            w.key("failed"); w.beginObject(); w.key("_0"); why.write(into: &w); w.endObject()
        case .hooks(let run):
            w.key("hooks"); w.beginObject(); w.key("_0")
            w.beginObject()
            w.key("moment"); w.string(run.moment.rawValue)
            w.key("count"); w.int(run.count)
            w.key("index"); w.int(run.index)
            w.key("stage"); w.string(run.stage.rawValue)
            w.key("deadline"); w.date(run.deadline)
            w.key("timeout"); w.double(run.timeout)
            w.endObject()
            w.endObject()
        }
        w.endObject()
    }
}
