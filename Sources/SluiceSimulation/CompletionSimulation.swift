import Foundation
import SluiceCore
import SluiceModel
import SluiceYAML

/// Jobs and bare Pods in the simulated cluster run to completion (a chart hook is one): one
/// pod starts when the object is created and ends `podReadySeconds` later, succeeded, unless
/// an image matches a fault rule, in which case it fails (a Job then has Kubernetes's
/// `Failed` condition, reason `BackoffLimitExceeded`). The start time lives in
/// `status.simulation`, so it survives restarts with the object.
struct CompletionSimulation {
    let faults: [GlobPattern]
    let runSeconds: Double

    static func runs(_ key: ObjectKey) -> Bool {
        (key.group == "batch" && key.kind == "Job") || (key.group == "" && key.kind == "Pod")
    }

    /// The status of an object just created at `now`.
    func created(_ object: Value, key: ObjectKey, at now: Double) -> Value {
        var object = object
        if key.kind == "Job" {
            object.set(["status"], to: .map(["active": .int(1), "startTime": .string(Self.rfc3339(now)),
                                             "simulation": .map(["startedAt": .double(now)])]))
        } else {
            object.set(["status"], to: .map(["phase": .string("Running"), "simulation": .map(["startedAt": .double(now)])]))
        }
        return object
    }

    /// The object as it is at `now`; unchanged until its pod ends.
    func advance(_ object: Value, key: ObjectKey, to now: Double) -> Value {
        guard let started = object.at(["status", "simulation", "startedAt"]).flatMap(WorkloadSimulation.number),
              object.at(["status", "simulation", "endedAt"]) == nil, now >= started + runSeconds else { return object }
        let ended = started + runSeconds
        let podSpec = key.kind == "Job" ? object.at(["spec", "template", "spec"]) : object.at("spec")
        let failed = WorkloadSimulation.images(inPodSpec: podSpec).contains { image in faults.contains { $0.matches(image) } }
        let simulation: Value = .map(["startedAt": .double(started), "endedAt": .double(ended)])
        var result = object
        if key.kind == "Job" {
            let time = Self.rfc3339(ended)
            let condition: Value = failed
                ? .map(["type": .string("Failed"), "status": .string("True"), "reason": .string("BackoffLimitExceeded"),
                        "message": .string("Job has reached the specified backoff limit"), "lastTransitionTime": .string(time)])
                : .map(["type": .string("Complete"), "status": .string("True"), "lastTransitionTime": .string(time)])
            var status: [String: Value] = ["startTime": object.at(["status", "startTime"]) ?? .null, "conditions": .list([condition]),
                                           "simulation": simulation]
            if failed { status["failed"] = .int(1) } else {
                status["succeeded"] = .int(1)
                status["completionTime"] = .string(time)
            }
            result.set(["status"], to: .map(status))
        } else {
            result.set(["status"], to: .map(["phase": .string(failed ? "Failed" : "Succeeded"), "simulation": simulation]))
        }
        return result
    }
}

extension CompletionSimulation {
    /// RFC 3339 in UTC, as Kubernetes writes times.
    static func rfc3339(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds.rounded(.down)).formatted(.iso8601)
    }
}
