import Foundation
import Logging
import Synchronization
import SluiceCore
import SluiceDrivers
import SluiceGit
import SluiceModel
import SluiceYAML
import SluicePlan
import SluiceStore

/// Carries the head commits of one environment's branch through its pipeline: the one
/// loop where the rollout's decisions (`RolloutMachine`) meet I/O. For every batch of
/// events it writes the new state, the records, the pending marks and the history in one
/// store transaction *before* it performs any of the actions they ask for, then performs
/// them and feeds their answers back. A `kill -9` anywhere leaves a state that a restart
/// resumes: what was asked and not answered is asked again, and a pair recorded is never
/// applied again (its plan has nothing to do).
public struct EnvironmentRunner: Sendable {
    public struct Options: Sendable {
        /// Between reads of the branch head and of operator commands.
        public var intervalSeconds: Double = 10
        /// Between status reads of a workload that is rolling out.
        public var pollSeconds: Double = 5
        /// Between tries of an unreachable cluster.
        public var unreachableRetrySeconds: Double = 30
        /// Return once nothing can move without an operator or a new commit.
        public var untilIdle = false
        public var machineAllowedCommands: [String] = []
        /// Told every rollout state the runner has written, with the clock's time (a live
        /// view, metrics; tests that act at a given point of a rollout).
        public var observer: (@Sendable (RolloutState, Date) async -> Void)?
        /// Compare live objects with their recorded commit this often when no rollout is
        /// under way (nil: never).
        public var resyncSeconds: Double?
        /// Wake-ups from outside (webhooks, API commands), shared by the runners of a controller.
        public var nudges = Nudges()
        /// The applied records in memory, shared by the runners of a controller: a plan reads
        /// only what changed since the last one.
        public var records = AppliedRecordsMirror()
        /// Whether the controller runs and reaches the fleet repo (the server's readiness).
        public var pulse = ControllerPulse()
        /// Counters, gauges and durations (swift-metrics; `/metrics` when serving).
        public var metrics = ControllerMetrics()
        /// Told every step's history events once they are written (notifications); must
        /// return at once.
        public var notify: (@Sendable ([HistoryEvent]) -> Void)?

        public init() {}
    }

    public let environment: String
    public let branch: String
    public let watcher: BranchWatcher
    public let store: any StateStore
    public let connector: any ClusterDrivers
    public let clock: any FleetClock
    public let options: Options
    public let logger: Logger
    /// The environment's writer lease: confirmed before every change a cluster is sent, so a
    /// replica that lost it (paused, cut off) sends nothing more, as its writes are fenced.
    public let lease: (any WriterLease)?
    let loader: FleetLoader

    public init(environment: String, branch: String, watcher: BranchWatcher, store: any StateStore, connector: any ClusterDrivers,
                clock: any FleetClock, options: Options, logger: Logger, lease: (any WriterLease)? = nil) {
        self.environment = environment
        self.lease = lease
        self.branch = branch
        self.watcher = watcher
        self.store = store
        self.connector = connector
        self.clock = clock
        self.options = options
        var logger = logger
        logger[metadataKey: "environment"] = .string(environment)
        self.logger = logger
        var loader = FleetLoader()
        loader.cache = ParsedDocumentCache()
        self.loader = loader
    }

    /// How the environment stood when the runner returned.
    public enum Outcome: Sendable, Equatable {
        case converged
        case halted
        case rejected
        case waitingForOperator
        /// The branch the environment follows does not exist.
        case noBranch
        /// The state store is damaged (or holds a rollout this sluice cannot read, or with
        /// `untilIdle` failed 10 times in a row): the environment stopped acting.
        case storeDamaged
        /// The batch waits only for clusters that cannot be reached (they are retried while
        /// sluice runs; `status` names them and since when).
        case waitingForClusters
        case stopped
        /// Another replica took the environment's lease (this one was paused, cut off or too
        /// slow to renew it): nothing more was written, what was in flight was cancelled.
        case leaseLost
    }

    /// Runs until cancelled (then: finishes what is in flight, persists, returns `.stopped`)
    /// or, with `untilIdle`, until nothing can move by itself. `entered`: the caller has
    /// already entered the clock for this runner (and the runner leaves it when done).
    /// `leavesClock: false`: the caller leaves it once it has acted on the outcome.
    /// `abandonment`: when fired, the runner cancels what is in flight and returns `.stopped`
    /// at once, persisting nothing more.
    public func run(entered: Bool = false, leavesClock: Bool = true, abandonment: Abandonment = Abandonment()) async -> Outcome {
        if !entered { await clock.enter() }
        let outcome = await loop(abandonment)
        if leavesClock { await clock.leave() }
        return outcome
    }

    enum Event: Sendable {
        case planned(String, [String: ClusterPlanOutcome], [String: [PlannedPair]])
        case applied(String, cluster: String, addon: String, attempt: Int, StepResult)
        case partitionSet(String, cluster: String, addon: String, attempt: Int, step: Int, StepResult)
        case status(String, cluster: String, addon: String, attempt: Int, step: Int, StatusObservation)
        case hook(String, cluster: String, addon: String, attempt: Int, HookRun.Answer)
        case check(String, CheckID, CheckOutcome)
        case rollbackPlanned(String, cluster: String, ClusterPlanOutcome, [PlannedPair])
        case driftDetected(DriftDetection.Outcome)
        /// An answer to a drift correction's action.
        case drift(DirectApply.Answer)
        /// An action found the lease lost before it changed anything.
        case leaseLost
    }

    /// The rollout in progress and what is needed to perform its actions.
    struct Active {
        var machine: RolloutMachine
        var effects: RolloutEffects
        var checks: CheckRunner
        var context: CheckRunner.Context
        /// The latest plan of each cluster's pairs, by add-on.
        var pairs: [String: [String: PlannedPair]] = [:]
    }

    private func loop(_ abandonment: Abandonment) async -> Outcome {
        let mailbox = Mailbox<Event>()
        let tasks = ActionTasks()
        abandonment.onFire {
            tasks.cancelAll()
            Task { await mailbox.interrupt() }
        }
        // A nudge ends the idle wait at once (virtual time cannot move past it) or a wait for
        // answers as soon as the mailbox hears it.
        let idle = IdleTimer()
        options.nudges.join(environment) {
            idle.cancel()
            Task { await mailbox.wake() }
        }
        defer { options.nudges.leave(environment) }
        var active: Active?
        var polled = PollState(decisions: EnvironmentMachine(environment: environment, untilIdle: options.untilIdle))
        var inFlight = 0
        // When the rollout's gauges were last set, and in which phase: they walk every pair
        // of the batch, so while actions are in flight they are set when the phase changes
        // and at most once a second (real time) between (a batch of hundreds of clusters
        // answers thousands of times); whenever nothing is in flight, always.
        var observed: (at: ContinuousClock.Instant, phase: RolloutPhase)?
        var nextPoll = await clock.now()
        var stopping = false
        var persisted: RolloutState?
        var nextResync = await clock.now()
        // A correction of drift under way (`drift: correct`).
        var correcting: Correcting?
        // Set while the store fails: nothing is polled, started or performed until the
        // rollout under way has been read again.
        var trouble: StoreTrouble?
        // The last trouble until a write succeeds again: a store that reads but cannot be
        // written (a full disk, an immutable file) keeps backing off instead of starting over.
        var recovering: StoreTrouble?

        // A rollout the store says is under way is resumed where it was; what it had asked
        // and not seen answered is asked again.
        var carried = RolloutOutput()
        switch await resumeWithRejection(&polled) {
        case .success(let resumed): (active, carried) = (resumed?.0, resumed?.1 ?? RolloutOutput())
        case .failure(let problem): trouble = note(problem, after: nil, now: await clock.now())
        }

        while true {
            var events: [Event] = []
            if trouble?.leaseLost == true {
                // Not one more step: the new leader reads the store and carries on.
                tasks.cancelAll()
                return .leaseLost
            }
            if Task.isCancelled { stopping = true }
            if abandonment.isFired { return .stopped }
            if inFlight > 0 {
                events = await mailbox.take()
                if abandonment.isFired { return .stopped }
                // Answers that arrive together are written together: let the others in
                // flight finish their step before this one is persisted.
                for _ in 0..<4 where events.count < inFlight {
                    await Task.yield()
                    events += await mailbox.takeAvailable()
                }
                inFlight -= events.count
                if events.contains(where: { if case .leaseLost = $0 { true } else { false } }) {
                    // Not one more step: the new leader reads the store and carries on.
                    tasks.cancelAll()
                    return .leaseLost
                }
            } else if stopping {
                return .stopped
            } else if let current = trouble {
                switch polled.decisions.onTrouble(current) {
                case .giveUp: return .storeDamaged
                case .stopActing:
                    // Wait to be stopped.
                    do { try await clock.sleep(until: await clock.now().addingTimeInterval(3600)) } catch { stopping = true }
                    continue
                case .retry(let at):
                    do { try await clock.sleep(until: at) } catch { stopping = true; continue }
                }
                switch await resumeWithRejection(&polled) {
                case .success(let resumed):
                    (active, carried) = (resumed?.0, resumed?.1 ?? RolloutOutput())
                    recovering = current
                    trouble = nil
                    persisted = nil
                    logger.info("state store answers again: environment \(environment) goes on")
                case .failure(let problem):
                    trouble = note(problem, after: current, now: await clock.now())
                    continue
                }
            } else {
                var wake = min(active?.machine.state.wakeAt ?? .distantFuture, nextPoll)
                // A re-sync waits while a rollout runs (it is pushed on below).
                if options.resyncSeconds != nil, active?.machine.state.phase.isFinal ?? true { wake = min(wake, nextResync) }
                if let due = correcting?.machine.wakeAt { wake = min(wake, due) }
                guard await idle.wait(until: wake, on: clock, unless: { options.nudges.isPending(environment) }) else {
                    stopping = true
                    continue
                }
            }
            let now = await clock.now()
            // Nudged: the branch and the commands are read now, the branch fresh from its remote.
            let nudged = options.nudges.take(environment)
            if nudged { nextPoll = now }
            var output = carried
            carried = RolloutOutput()
            var drift = DriftStep()

            for event in events {
                if let step = handleDrift(event, &correcting, rollout: active?.machine.state, now: now) {
                    drift.merge(step)
                } else if var current = active {
                    output.merge(handle(event, &current, now: now))
                    active = current
                }
            }
            if now >= nextPoll && !stopping && trouble == nil {
                nextPoll = now.addingTimeInterval(options.intervalSeconds)
                do { output.merge(try await poll(&active, &polled, &correcting, now: now, fresh: nudged)) } catch {
                    trouble = note(.store(error), after: nil, now: now)
                    active = nil
                    correcting = nil
                    continue
                }
            }
            if var current = active, let wake = current.machine.state.wakeAt, wake <= now {
                output.merge(current.machine.timerFired(now: now))
                active = current
            }
            let correctionWasUnderWay = correcting != nil
            drift.merge(driftTimers(&correcting, now: now))
            // A correction that gave way to a newer head: the head is started at once.
            if correctionWasUnderWay, correcting == nil { nextPoll = now }
            // Persist before anything is performed (the state only when a restart would
            // not re-create it: a status read changes nothing durable).
            let durable = active?.machine.state.durable
            // What happened, as the history says it (the machine's notes made into text here).
            let happened = output.history + output.notes.map { $0.event(environment: environment) } + drift.history
            do {
                var transition = StoreTransition()
                if let state = active?.machine.state, durable != persisted || !output.isEmpty {
                    transition = try state.transition(after: persisted)
                }
                transition.records = output.records + drift.output.records
                transition.removals = output.removals
                transition.pending = output.pending + drift.output.pending
                transition.history = happened
                transition.consumedCommands = output.consumedCommands
                transition.drift = drift.findings
                let started = ContinuousClock.now
                try await store.commit(transition)
                options.metrics.storeTransactionTook(ContinuousClock.now - started)
                options.metrics.recorded(environment: environment, applied: transition.records.count, removed: transition.removals.count)
                if transition.rollout != nil { persisted = durable }
                if !transition.isEmpty { recovering = nil }
            } catch {
                // Nothing of this step is performed: the store is the truth. The rollout is
                // read again from the store once it answers (with backoff meanwhile).
                let problem: StoreProblem = switch error {
                case let error as StoreError: .store(error)
                default: .unreadable("\(error)")
                }
                trouble = note(problem, after: trouble ?? recovering, now: now)
                active = nil
                correcting = nil
                continue
            }
            for event in happened {
                log(event)
                options.metrics.record(event)
            }
            if !happened.isEmpty { options.notify?(happened) }
            if let observer = options.observer, let state = active?.machine.state { await observer(state, now) }
            if let current = active, !stopping {
                for action in output.actions {
                    inFlight += 1
                    perform(action, current, mailbox, tasks)
                }
            }
            if let current = correcting, !stopping {
                for action in drift.output.actions {
                    inFlight += 1
                    perform(action, current, mailbox, tasks)
                }
            }
            // Answers known already (the first batch's plan) come back like any other.
            for event in polled.prefilled {
                inFlight += 1
                await mailbox.put(event)
            }
            polled.prefilled = []
            // Exact whenever nothing is in flight (the runner waits next, maybe for long).
            if let state = active?.machine.state,
               inFlight == 0 || observed.map({ $0.phase != state.phase || .now - $0.at >= .seconds(1) }) ?? true {
                options.metrics.observe(state)
                observed = (.now, state.phase)
            }
            if let every = options.resyncSeconds, now >= nextResync {
                nextResync = now.addingTimeInterval(every)
                if inFlight == 0, !stopping, correcting == nil, active?.machine.state.phase.isFinal ?? true {
                    inFlight += 1
                    detectDrift(mailbox, tasks)
                }
            }
            // A superseded rollout hands over to the newest commit at once.
            if let current = active, current.machine.state.phase == .superseded, inFlight == 0 {
                active = nil
                nextPoll = now
            }
            if options.untilIdle, inFlight == 0, trouble == nil, correcting == nil, let outcome = await idleOutcome(active, polled.decisions) {
                return outcome
            }
        }
    }
}
