import SluiceDrivers
import Foundation
import SluiceModel
import SluiceYAML
import SluiceCore

/// The embedded simulated cluster (DESIGN §6): its objects are kept in its object store, so it
/// survives restarts like a real cluster; it has nodes; its workloads move pods to a new
/// template over the clock's time, honouring partition and maxUnavailable; pods whose image
/// matches a fault rule never become ready.
public actor SimulatedCluster: ClusterDriver, SimulatedPodReadiness {
    public nonisolated let clusterName: String
    private let store: any SimulatedObjectStore
    /// Writes go through it (group commit, shared by the clusters of a connector).
    private let writer: SimulatedObjectWriter
    private let clock: any FleetClock
    private let nodeCount: Int
    private let faults: [GlobPattern]
    private let podReadySeconds: Double
    private let network: SimulatedNetwork?
    /// Custom workload kinds (`spec.workloads` of the fleet's add-ons), simulated like the built-in ones.
    private nonisolated let workloads: WorkloadKindRegistry
    /// The objects read so far (nil: known absent), written through. Read by key or by
    /// add-on on demand, so that planning one add-on does not read a whole cluster.
    private var cache: [ObjectKey: Value?] = [:]
    /// The keys in `cache` by their `sluice.dev/addon` label, so an add-on's objects are found
    /// without a scan of the cluster (a plan asks once for each of hundreds of add-ons).
    private var keysByAddon: [String: Set<ObjectKey>] = [:]
    /// Add-ons whose objects are all in `cache`.
    private var cachedAddons: Set<String> = []
    /// Every object of the cluster is in `cache`.
    private var complete = false
    /// Reads of one object or one add-on so far; past `narrowReadLimit` the whole cluster is
    /// read once instead (a first plan asks for every object of every add-on).
    private var narrowReads = 0
    private let narrowReadLimit = 64
    /// Counts the times the cache was dropped (a failed write): a read that started before
    /// the drop does not fill the cache after it.
    private var epoch = 0
    /// False when other processes write the same objects (replicas of the controller sharing
    /// one file of simulated clusters): then every read goes to the store, as a real cluster's
    /// reads go to its API server, since what this process cached may be stale.
    private let caches: Bool

    public init(name: String, connection: Cluster.SimulatedConnection, store: any SimulatedObjectStore,
                clock: any FleetClock, podReadySeconds: Double = 10, network: SimulatedNetwork? = nil,
                writer: SimulatedObjectWriter? = nil, workloads: WorkloadKindRegistry = WorkloadKindRegistry(), caches: Bool = true) {
        self.caches = caches
        self.workloads = workloads
        clusterName = name
        self.network = network
        self.store = store
        self.writer = writer ?? SimulatedObjectWriter(store: store)
        self.clock = clock
        nodeCount = connection.nodes
        faults = connection.faultImages.map(GlobPattern.init)
        self.podReadySeconds = podReadySeconds
    }

    public nonisolated var nodes: [String] { (1...max(1, nodeCount)).map { "\(clusterName)-node-\($0)" } }

    public func get(_ key: ObjectKey) async throws(DriverError) -> Value? {
        try await network?.check(clusterName)
        guard let object = try await stored(key) else { return nil }
        return try await advanced(key, object)
    }

    public func list(labels: [String: String]) async throws(DriverError) -> [ObjectKey: Value] {
        try await network?.check(clusterName)
        var result: [ObjectKey: Value] = [:]
        let candidates: [ObjectKey: Value]
        if let addon = labels[SluiceLabels.addon] { candidates = try await loaded(addon: addon) } else { candidates = try await loaded() }
        for (key, object) in candidates where Self.has(labels, object) {
            result[key] = try await advanced(key, object)
        }
        return result
    }

    public func create(_ object: Value, key: ObjectKey) async throws(DriverError) -> Value {
        try await network?.check(clusterName)
        guard try await stored(key) == nil else { throw .conflict(key) }
        if let problem = simulation(for: key)?.problem(with: object) { throw .invalid(key, problem) }
        var created = object
        created.set(["metadata", "generation"], to: .int(1))
        created.set(["metadata", "uid"], to: .string(UUID().uuidString.lowercased()))
        created.set(["status"], to: .null)
        if CompletionSimulation.runs(key) {
            created = completion.created(created, key: key, at: await clock.now().timeIntervalSince1970)
        }
        return try await write(key, created, logging: .create)
    }

    public func patch(_ key: ObjectKey, mergePatch: Value) async throws(DriverError) -> Value {
        try await network?.check(clusterName)
        guard let current = try await stored(key) else { throw .notFound(key) }
        let live = try await advanced(key, current)
        var patched = MergePatch.apply(mergePatch, to: live)
        if let problem = simulation(for: key)?.problem(with: patched) { throw .invalid(key, problem) }
        // The API server owns status and identity; a spec change is a new generation.
        patched.set(["status"], to: live.at("status") ?? .null)
        patched.set(["metadata", "uid"], to: live.at(["metadata", "uid"]) ?? .null)
        let generation = min(Int.max - 1, live.at(["metadata", "generation"]).flatMap(WorkloadSimulation.integer) ?? 1)
        patched.set(["metadata", "generation"], to: .int(patched.at("spec") != live.at("spec") ? generation + 1 : generation))
        return try await write(key, patched, logging: .patch)
    }

    public func delete(_ key: ObjectKey) async throws(DriverError) {
        try await network?.check(clusterName)
        guard let object = try await stored(key) else { return }
        try await commit(key, nil, ObjectChange(.delete(cluster: clusterName, id: key), logging: call(.delete, key, object)))
    }

    public func workloadStatus(_ key: ObjectKey, kinds: WorkloadKinds) async throws(DriverError) -> WorkloadStatus? {
        guard let simulation = simulation(for: key, custom: kinds.kind(of: key)) else { return nil }
        guard let object = try await get(key) else { throw .notFound(key) }
        return simulation.status(of: object)
    }

    public func setPartition(_ key: ObjectKey, to partition: Int, kinds: WorkloadKinds) async throws(DriverError) {
        try await network?.check(clusterName)
        guard let simulation = simulation(for: key, custom: kinds.kind(of: key)) else { throw .invalid(key, "\(key.kind) has no partition") }
        guard partition >= 0 else { throw .invalid(key, "partition must not be negative") }
        guard let live = try await get(key) else { throw .notFound(key) }
        let changed = simulation.setPartition(live, to: partition)
        _ = try await write(key, changed, logging: .partition)
    }

    /// A simulated cluster tells nothing: its chart add-ons see `spec.kubernetesVersion` and
    /// Helm's defaults.
    public func capabilities() async throws(DriverError) -> ClusterCapabilities? { nil }

    public nonisolated func canPartition(_ key: ObjectKey, kinds: WorkloadKinds) -> Bool {
        WorkloadSimulation.kind(of: key, custom: kinds.kind(of: key)) != nil
    }

    /// Pods of the workloads Sluice manages here: how many are wanted and how many are
    /// ready. A simulated cluster answers `http` and `prometheus` checks from this.
    public func podReadiness() async throws(DriverError) -> (ready: Int, desired: Int) {
        var ready = 0, desired = 0
        for (key, object) in try await list(labels: [SluiceLabels.managedBy: "sluice"]) {
            guard let simulation = simulation(for: key) else { continue }
            let status = simulation.status(of: object)
            desired += status.desired
            ready += min(status.desired, status.updatedReady)
        }
        return (ready, desired)
    }

    // MARK: - Internals

    /// An entry of the cluster's audit log of mutating calls, kept in the store with the
    /// object it changed.
    private func call(_ verb: SimulatedCall.Verb, _ key: ObjectKey, _ object: Value) -> SimulatedCall {
        SimulatedCall(cluster: clusterName, verb: verb, key: key, addon: Self.addonLabel(object) ?? "",
                      commit: object.at(["metadata", "annotations", SluiceLabels.commit])?.stringValue ?? "")
    }

    /// One object, from the cache or the store.
    private func stored(_ key: ObjectKey) async throws(DriverError) -> Value? {
        guard caches else {
            do { return try await store.object(cluster: clusterName, id: key)?.body } catch { throw Self.failure(error) }
        }
        if let known = cache[key] { return known }
        if complete { return nil }
        narrowReads += 1
        if narrowReads > narrowReadLimit {
            try await loadAll()
            return cache[key] ?? nil
        }
        let epoch = self.epoch
        let found: Value?
        do { found = try await store.object(cluster: clusterName, id: key)?.body } catch { throw Self.failure(error) }
        if epoch == self.epoch { rememberRead([(key, found)]) }
        return cache[key] ?? found
    }

    /// Reads every object of the cluster into the cache, once.
    private func loadAll() async throws(DriverError) {
        guard !complete else { return }
        let epoch = self.epoch
        let all: [StoredObject]
        do { all = try await store.objects(cluster: clusterName) } catch { throw Self.failure(error) }
        // A failed write dropped the cache meanwhile: this read may predate what it knows.
        guard epoch == self.epoch, !complete else { return }
        rememberRead(all.map { ($0.id, $0.body) })
        complete = true
    }

    /// Every object of the cluster.
    private func loaded() async throws(DriverError) -> [ObjectKey: Value] {
        guard caches else {
            do { return Dictionary(try await store.objects(cluster: clusterName).map { ($0.id, $0.body) }) { _, last in last } } catch {
                throw Self.failure(error)
            }
        }
        try await loadAll()
        return cache.compactMapValues { $0 }
    }

    /// The objects labelled as one add-on's.
    private func loaded(addon: String) async throws(DriverError) -> [ObjectKey: Value] {
        guard caches else {
            do { return Dictionary(try await store.objects(cluster: clusterName, addon: addon).map { ($0.id, $0.body) }) { _, last in last } } catch {
                throw Self.failure(error)
            }
        }
        if !complete && !cachedAddons.contains(addon) {
            narrowReads += 1
            if narrowReads > narrowReadLimit {
                try await loadAll()
            } else {
                let epoch = self.epoch
                let found: [StoredObject]
                do { found = try await store.objects(cluster: clusterName, addon: addon) } catch { throw Self.failure(error) }
                if epoch == self.epoch {
                    rememberRead(found.map { ($0.id, $0.body) })
                    cachedAddons.insert(addon)
                }
            }
        }
        var result: [ObjectKey: Value] = [:]
        for key in keysByAddon[addon] ?? [] {
            if let object = cache[key] ?? nil { result[key] = object }
        }
        return result
    }

    /// Caches what a read returned, but not over what the cluster wrote while the store
    /// answered (the actor was re-entered; it is the only writer of its objects, so what it
    /// wrote is newer).
    private func rememberRead(_ objects: [(ObjectKey, Value?)]) {
        for (key, object) in objects where cache[key] == nil { remember(key, object) }
    }

    /// Caches an object (nil: absent) and keeps `keysByAddon` in step with its label.
    private func remember(_ key: ObjectKey, _ object: Value?) {
        if let old = cache[key] ?? nil, let addon = Self.addonLabel(old) { keysByAddon[addon]?.remove(key) }
        cache[key] = .some(object)
        if let object, let addon = Self.addonLabel(object) { keysByAddon[addon, default: []].insert(key) }
    }

    private static func addonLabel(_ object: Value) -> String? {
        object.at(["metadata", "labels", SluiceLabels.addon])?.stringValue
    }

    /// `custom`: the kind as the caller's commit describes it; by default the one this
    /// cluster's controllers run (moving pods is the cluster's business, not a commit's).
    private func simulation(for key: ObjectKey, custom: WorkloadKind?? = nil) -> WorkloadSimulation? {
        WorkloadSimulation.kind(of: key, custom: custom ?? workloads.kind(of: key)).map {
            WorkloadSimulation(kind: $0, nodes: nodeCount, faults: faults, podReadySeconds: podReadySeconds)
        }
    }

    private var completion: CompletionSimulation { CompletionSimulation(faults: faults, runSeconds: podReadySeconds) }

    /// The object with its workload advanced to now (written back when pods moved).
    private func advanced(_ key: ObjectKey, _ object: Value) async throws(DriverError) -> Value {
        if CompletionSimulation.runs(key) {
            let moved = completion.advance(object, key: key, to: await clock.now().timeIntervalSince1970)
            if moved != object { try await persist(key, moved) }
            return moved
        }
        guard let simulation = simulation(for: key) else { return object }
        let now = await clock.now().timeIntervalSince1970
        // Already advanced to this instant (reads at one virtual time are many): nothing moves.
        if object.at(["status", "simulation", "at"]).flatMap(WorkloadSimulation.number) == now { return object }
        let moved = simulation.advance(object, to: now)
        // Written back only when pods or status changed, not for the replay clock alone
        // (replaying from an older time gives the same pods), so reads stay reads.
        if !WorkloadSimulation.sameState(moved, object) { try await persist(key, moved) }
        return moved
    }

    /// Stores the object as it is now (its pods advanced) and the call that changed it, in
    /// one write.
    private func write(_ key: ObjectKey, _ object: Value, logging verb: SimulatedCall.Verb) async throws(DriverError) -> Value {
        let entry = call(verb, key, object)
        guard let simulation = simulation(for: key) else {
            try await persist(key, object, logging: entry)
            return object
        }
        let moved = simulation.advance(object, to: await clock.now().timeIntervalSince1970)
        try await persist(key, moved, logging: entry)
        return moved
    }

    private func persist(_ key: ObjectKey, _ object: Value, logging call: SimulatedCall? = nil) async throws(DriverError) {
        try await commit(key, object, ObjectChange(.put(StoredObject(cluster: clusterName, id: key, body: object)), logging: call))
    }

    /// Writes one change and returns once it is committed. The cache has it before the
    /// The simulated cluster lives in the state store: a store that fails is an unreachable
    /// cluster for now, but a damaged one is no cluster to wait for (the runner stops on it).
    static func failure(_ error: StoreError) -> DriverError {
        switch error.kind {
        case .damaged, .notAStore: return .refused(error.description)
        default: return .unavailable(error.description)
        }
    }

    /// write is waited for, so that calls made meanwhile (the actor is re-entered) see it;
    /// if the write fails, the cache is dropped and read again from the store, the truth.
    private func commit(_ key: ObjectKey, _ object: Value?, _ change: ObjectChange) async throws(DriverError) {
        if caches { remember(key, object) }
        do { try await writer.write(change) } catch {
            cache = [:]
            keysByAddon = [:]
            cachedAddons = []
            complete = false
            epoch += 1
            throw Self.failure(error)
        }
    }

    private static func has(_ labels: [String: String], _ object: Value) -> Bool {
        let present = object.at(["metadata", "labels"])?.mapValue ?? [:]
        return labels.allSatisfy { present[$0.key]?.stringValue == $0.value }
    }
}
