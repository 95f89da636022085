import SluiceModel
import SluiceYAML

/// Where a created hook object is, read from its live status as Helm's `WatchUntilReady`
/// reads it: a Job is done when its `Complete` condition is true and failed when its `Failed`
/// condition is; a Pod when its phase is `Succeeded` (or `Failed`); any other kind is done
/// once it exists.
public enum HookObjectStatus: Sendable, Equatable {
    case done
    case running(String)
    case failed(String)

    public static func of(_ object: Value, key: ObjectKey) -> HookObjectStatus {
        let name = "\(key.kind) \(key.namespace.isEmpty ? "" : key.namespace + "/")\(key.name)"
        switch (key.group, key.kind) {
        case ("batch", "Job"):
            let conditions = object.at(["status", "conditions"])?.listValue ?? []
            func condition(_ type: String) -> Value? {
                conditions.first { $0["type"]?.stringValue == type && $0["status"]?.stringValue == "True" }
            }
            if let failed = condition("Failed") {
                let why = [failed["reason"]?.stringValue, failed["message"]?.stringValue].compactMap { $0 }.filter { !$0.isEmpty }
                return .failed("\(name) failed" + (why.isEmpty ? "" : ": " + why.joined(separator: ": ")))
            }
            if condition("Complete") != nil { return .done }
            let succeeded = object.at(["status", "succeeded"]).flatMap { if case .int(let n) = $0 { n } else { nil } } ?? 0
            let failures = object.at(["status", "failed"]).flatMap { if case .int(let n) = $0 { n } else { nil } } ?? 0
            return .running("\(name): \(succeeded) succeeded, \(failures) failed so far")
        case ("", "Pod"):
            switch object.at(["status", "phase"])?.stringValue {
            case "Succeeded": return .done
            case "Failed":
                let why = object.at(["status", "message"])?.stringValue ?? object.at(["status", "reason"])?.stringValue ?? ""
                return .failed("\(name) failed" + (why.isEmpty ? "" : ": " + why))
            case let phase: return .running("\(name): \(phase ?? "Pending")")
            }
        default:
            return .done
        }
    }
}
