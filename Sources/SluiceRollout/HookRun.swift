import Foundation
import SluiceModel

/// A pair's chart hooks of one moment (`pre`: before its objects are applied; `post`: once
/// they are healthy), run as Helm's `execHook` runs them: one after the other in their order,
/// each created (the old one deleted first under `before-hook-creation`) and read until it is
/// done; once every one is, those with `hook-succeeded` are deleted, the last first (a later
/// hook may use an earlier one's ServiceAccount). A hook that fails ends the run (deleted
/// first under `hook-failed`, by the effect that saw it fail). Each hook has `timeout`
/// seconds, Helm's `--timeout` per hook; a transient error is tried again on the next poll
/// until then. A value inside the pair's machine, which performs its actions.
public struct HookRun: Codable, Equatable, Sendable {
    public enum Stage: String, Codable, Equatable, Sendable {
        /// Hook `index` is being created.
        case creating
        /// Hook `index` exists; its status is read until it is done.
        case watching
        /// Every hook is done; the `hook-succeeded` ones are being deleted.
        case cleaningUp
    }

    /// What the machine asks its caller to do (the hook is the `index`-th of the pair's
    /// hooks of `moment`).
    public enum Action: Equatable, Hashable, Sendable {
        case create(HookMoment, index: Int)
        case read(HookMoment, index: Int)
        case cleanUp(HookMoment)
    }

    public enum Answer: Equatable, Sendable {
        case created(StepResult)
        case observed(HookObservation)
        case cleanedUp(StepResult)
    }

    /// What the pair's machine does next.
    enum Move: Equatable, Sendable {
        /// Perform it now.
        case send(Action)
        /// Perform it at the next poll.
        case poll(Action)
        case done
        case failed(ActionFailure)
    }

    public var moment: HookMoment
    public var count: Int
    public var index = 0
    public var stage = Stage.creating
    /// When the current hook (or the clean-up) must be done.
    public var deadline: Date
    public var timeout: Double

    /// The run of `count` hooks; nil with `.done` when there is none.
    static func start(_ moment: HookMoment, count: Int, timeout: Double, now: Date) -> (HookRun?, Move) {
        guard count > 0 else { return (nil, .done) }
        let run = HookRun(moment: moment, count: count, deadline: now.addingTimeInterval(timeout), timeout: timeout)
        return (run, .send(.create(moment, index: 0)))
    }

    /// The action to try again after a restart or a poll.
    var pending: Action {
        switch stage {
        case .creating: return .create(moment, index: index)
        case .watching: return .read(moment, index: index)
        case .cleaningUp: return .cleanUp(moment)
        }
    }

    mutating func answered(_ answer: Answer, now: Date) -> Move {
        switch (stage, answer) {
        case (.creating, .created(.ok)):
            stage = .watching
            return .poll(.read(moment, index: index))
        case (.creating, .created(.failed(let failure))), (.cleaningUp, .cleanedUp(.failed(let failure))):
            return retryOrFail(failure, now)
        case (.watching, .observed(.done)):
            index += 1
            deadline = now.addingTimeInterval(timeout)
            if index == count {
                stage = .cleaningUp
                return .send(.cleanUp(moment))
            }
            stage = .creating
            return .send(.create(moment, index: index))
        case (.watching, .observed(.running(let detail))):
            guard now < deadline else {
                return .failed(ActionFailure(.rejected, "\(detail): not done within \(GoDuration.format(.seconds(timeout))) (the add-on's health.timeout)"))
            }
            return .poll(.read(moment, index: index))
        case (.watching, .observed(.failed(let detail))):
            return .failed(ActionFailure(.rejected, detail))
        case (.watching, .observed(.unreadable(let failure))):
            return retryOrFail(failure, now)
        case (.cleaningUp, .cleanedUp(.ok)):
            return .done
        default:
            // An answer to an action of another stage (a restart re-sent it): the current one again.
            return .poll(pending)
        }
    }

    /// The answer of `action` when it could not be performed.
    static func answer(_ action: Action, failed failure: ActionFailure) -> Answer {
        switch action {
        case .create: return .created(.failed(failure))
        case .read: return .observed(.unreadable(failure))
        case .cleanUp: return .cleanedUp(.failed(failure))
        }
    }

    /// The answer of `action` for a pair a new plan finds settled (after a restart): nothing
    /// is left to run, so every step is done.
    static func answerNothingLeft(_ action: Action) -> Answer {
        switch action {
        case .create: return .created(.ok)
        case .read: return .observed(.done)
        case .cleanUp: return .cleanedUp(.ok)
        }
    }

    private func retryOrFail(_ failure: ActionFailure, _ now: Date) -> Move {
        failure.isTransient && now < deadline ? .poll(pending) : .failed(failure)
    }
}

/// A created hook as its status says (`HookObjectStatus`), or why it could not be read.
public enum HookObservation: Equatable, Sendable {
    case done
    case running(String)
    case failed(String)
    case unreadable(ActionFailure)
}
