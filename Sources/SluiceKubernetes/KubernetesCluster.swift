import Foundation
import SluiceCore
import SluiceDrivers
import SluiceModel
import SluiceYAML

/// A real cluster behind its API server (DESIGN §6 `kubernetes`): kinds are found through
/// discovery (cached, read again when a kind is missing, so a CRD an earlier add-on installed
/// is found), objects are created with POST, changed with a JSON merge patch, pruned with a
/// background DELETE, and read with GET and paginated LISTs by label. Workloads are judged as
/// `kubectl rollout status` judges them (`RolloutStatusReader`).
public actor KubernetesCluster: ClusterDriver {
    public nonisolated let clusterName: String
    private let client: APIClient
    private let clock: any FleetClock
    private var index: ResourceIndex?
    private var discoveredAt: Date?
    /// A CRD or an APIService changed since discovery: a missing kind is looked up again at once.
    private var discoveryStale = false
    /// Otherwise a missing kind rereads discovery at most this often.
    package var discoverySeconds = 30.0
    /// `/version`'s answer, read again with discovery (an upgraded API server is rediscovered).
    private var serverVersion: String?
    /// Every object Sluice applied here, by add-on, from one LIST per kind; kept in step with
    /// this driver's own writes and read again when older than `inventorySeconds`.
    private var inventory: [String: [ObjectKey: Value]]?
    private var inventoryAt: Date?
    package var inventorySeconds = 30.0
    package var pageSize = 500

    static let fieldManager = "sluice"
    /// Kinds never listed for the inventory: events come and go by the thousand, and
    /// aggregated metrics are not objects Sluice applies.
    static let unlisted: Set<String> = ["/events", "events.k8s.io/events", "metrics.k8s.io/pods", "metrics.k8s.io/nodes"]


    public init(name: String, client: APIClient, clock: any FleetClock) {
        clusterName = name
        self.client = client
        self.clock = clock
    }

    // MARK: - ClusterDriver

    public func get(_ key: ObjectKey) async throws(DriverError) -> Value? {
        // A kind the server does not serve (its CRD not installed yet) has no objects.
        guard let resource = try await resource(for: key) else { return nil }
        do {
            return Self.cleaned(try await read(client.send("GET", objectPath(resource, key))))
        } catch {
            if case .status(let status) = error, status.isNotFound { return nil }
            throw Self.driverError(error, key: key)
        }
    }

    public func list(labels: [String: String]) async throws(DriverError) -> [ObjectKey: Value] {
        let now = await clock.now()
        if inventory == nil || inventoryAt.map({ now.timeIntervalSince($0) >= inventorySeconds }) ?? true {
            inventory = try await listManaged()
            inventoryAt = now
        }
        let candidates: [ObjectKey: Value]
        if let addon = labels[SluiceLabels.addon] { candidates = inventory?[addon] ?? [:] } else {
            candidates = (inventory ?? [:]).values.reduce(into: [:]) { $0.merge($1) { a, _ in a } }
        }
        return candidates.filter { _, object in
            labels.allSatisfy { object.at(["metadata", "labels", $0.key])?.stringValue == $0.value }
        }
    }

    public func create(_ object: Value, key: ObjectKey) async throws(DriverError) -> Value {
        let created = try await post(object, key: key, dryRun: false)
        remember(key, created)
        return created
    }

    public func patch(_ key: ObjectKey, mergePatch: Value) async throws(DriverError) -> Value {
        let patched = try await sendPatch(key, mergePatch: mergePatch, dryRun: false)
        remember(key, patched)
        return patched
    }

    /// Only an object that carries Sluice's label is deleted, and only the very object that was
    /// checked (preconditions on its uid and resourceVersion: a replacement made meanwhile is
    /// left alone); in the background, so its dependents go after it.
    public func delete(_ key: ObjectKey) async throws(DriverError) {
        guard let live = try await get(key) else { return forget(key) }
        guard live.at(["metadata", "labels", SluiceLabels.managedBy])?.stringValue == "sluice" else {
            throw .invalid(key, "not deleted: it does not carry \(SluiceLabels.managedBy)=sluice, so Sluice did not apply it")
        }
        guard let resource = try await resource(for: key) else { return forget(key) }
        var preconditions: [String: Value] = [:]
        if let uid = live.at(["metadata", "uid"]) { preconditions["uid"] = uid }
        if let version = live.at(["metadata", "resourceVersion"]) { preconditions["resourceVersion"] = version }
        let options: Value = .map(["apiVersion": .string("v1"), "kind": .string("DeleteOptions"),
                                   "propagationPolicy": .string("Background"), "preconditions": .map(preconditions)])
        do {
            _ = try await client.send("DELETE", objectPath(resource, key), contentType: "application/json", body: Self.json(options))
        } catch {
            // Pruning what is already gone is done.
            guard case .status(let status) = error, status.isNotFound else {
                if case .status(let status) = error, status.isConflict { throw .conflict(key) }
                throw Self.driverError(error, key: key)
            }
        }
        forget(key)
    }

    public func workloadStatus(_ key: ObjectKey, kinds: WorkloadKinds) async throws(DriverError) -> WorkloadStatus? {
        let custom = RolloutStatusReader.isWorkload(key) ? nil : kinds.kind(of: key)
        guard RolloutStatusReader.isWorkload(key) || custom != nil else { return nil }
        guard let live = try await get(key) else { throw .notFound(key) }
        if let custom { return RolloutStatusReader.status(custom, live) }
        return RolloutStatusReader.status(key, live)
    }

    public func setPartition(_ key: ObjectKey, to partition: Int, kinds: WorkloadKinds) async throws(DriverError) {
        guard let path = partitionPath(key, kinds) else { throw .invalid(key, "\(key.kind) has no partition") }
        guard partition >= 0 else { throw .invalid(key, "partition must not be negative") }
        var patch = Value.map([:])
        patch.set(path, to: .int(partition))
        _ = try await self.patch(key, mergePatch: patch)
    }

    public nonisolated func canPartition(_ key: ObjectKey, kinds: WorkloadKinds) -> Bool { partitionPath(key, kinds) != nil }

    private nonisolated func partitionPath(_ key: ObjectKey, _ kinds: WorkloadKinds) -> [String]? {
        RolloutStatusReader.partitionPath(key) ?? kinds.kind(of: key)?.partitionPath
    }

    public func dryRunCreate(_ object: Value, key: ObjectKey) async throws(DriverError) -> Value? {
        try await post(object, key: key, dryRun: true)
    }

    public func dryRunPatch(_ key: ObjectKey, mergePatch: Value) async throws(DriverError) -> Value? {
        try await sendPatch(key, mergePatch: mergePatch, dryRun: true)
    }

    public func applyServerSide(_ object: Value, key: ObjectKey, force: Bool) async throws(DriverError) -> Value {
        let applied = try await serverSideApply(object, key: key, force: force, dryRun: false)
        remember(key, applied)
        return applied
    }

    public func dryRunApplyServerSide(_ object: Value, key: ObjectKey, force: Bool) async throws(DriverError) -> Value? {
        try await serverSideApply(object, key: key, force: force, dryRun: true)
    }

    // MARK: - Requests

    /// PATCH with `application/apply-patch+yaml` (JSON is YAML) as field manager `sluice`.
    private func serverSideApply(_ object: Value, key: ObjectKey, force: Bool, dryRun: Bool) async throws(DriverError) -> Value {
        let version = Self.version(of: object)
        guard let resource = try await resource(for: key, version: version) else { throw .kindNotServed(key) }
        let query = Self.query(dryRun: dryRun) + (force ? "&force=true" : "")
        return try await write("PATCH", objectPath(resource, key) + query, contentType: "application/apply-patch+yaml", object, key: key, dryRun: dryRun)
    }

    private func post(_ object: Value, key: ObjectKey, dryRun: Bool) async throws(DriverError) -> Value {
        let version = Self.version(of: object)
        guard let resource = try await resource(for: key, version: version) else { throw .kindNotServed(key) }
        let path = resource.path(namespace: key.namespace) + Self.query(dryRun: dryRun)
        return try await write("POST", path, contentType: "application/json", object, key: key, dryRun: dryRun)
    }

    private func sendPatch(_ key: ObjectKey, mergePatch: Value, dryRun: Bool) async throws(DriverError) -> Value {
        guard let resource = try await resource(for: key) else { throw .notFound(key) }
        return try await write("PATCH", objectPath(resource, key) + Self.query(dryRun: dryRun), contentType: "application/merge-patch+json",
                               mergePatch, key: key, dryRun: dryRun)
    }

    static func query(dryRun: Bool) -> String {
        "?fieldManager=\(fieldManager)&fieldValidation=Strict" + (dryRun ? "&dryRun=All" : "")
    }

    /// One create or change, and what its refusal means for the caller. The add-on's namespace
    /// is created first when the server says it is missing; a dry run cannot create it, and the
    /// server checks nothing more before it looks for the namespace: nothing to say then.
    private func write(_ method: String, _ path: String, contentType: String, _ body: Value, key: ObjectKey,
                       dryRun: Bool) async throws(DriverError) -> Value {
        var createdNamespace = false
        while true {
            do {
                let answer = try await client.send(method, path, contentType: contentType, body: Self.json(body))
                if key.group == "apiextensions.k8s.io" || key.group == "apiregistration.k8s.io" { discoveryStale = true }
                return Self.cleaned(try read(answer))
            } catch {
                guard case .status(let status) = error else { throw Self.driverError(error, key: key) }
                if status.isAlreadyExists { throw .conflict(key) }
                if status.isFieldManagerConflict { throw .fieldConflict(key, status.message) }
                if status.isNamespaceNotFound, !key.namespace.isEmpty {
                    if dryRun { return body }
                    if !createdNamespace {
                        try await createNamespace(key.namespace)
                        createdNamespace = true
                        continue
                    }
                }
                if status.isNotFound { throw .notFound(key) }
                // Someone changed it while we wrote: the caller reads it again and re-diffs.
                if status.isConflict { throw .conflict(key) }
                throw Self.driverError(error, key: key)
            }
        }
    }

    private func createNamespace(_ name: String) async throws(DriverError) {
        let key = ObjectKey(group: "", kind: "Namespace", namespace: "", name: name)
        let namespace: Value = .map(["apiVersion": .string("v1"), "kind": .string("Namespace"), "metadata": .map(["name": .string(name)])])
        do { _ = try await post(namespace, key: key, dryRun: false) } catch {
            // Created meanwhile by someone else: as good.
            if case .conflict = error { return }
            throw error
        }
    }

    /// One LIST per listable kind of every object labelled as Sluice's, page by page.
    private func listManaged() async throws(DriverError) -> [String: [ObjectKey: Value]] {
        let index = try await currentIndex()
        var found: [String: [ObjectKey: Value]] = [:]
        let selector = Self.escape("\(SluiceLabels.managedBy)=sluice")
        for (kind, resource) in index.all where resource.verbs.contains("list") && resource.verbs.contains("delete")
            && !Self.unlisted.contains("\(resource.group)/\(resource.resource)") {
            var next: String?
            repeat {
                var path = resource.path(namespace: nil) + "?labelSelector=\(selector)&limit=\(pageSize)"
                if let token = next { path += "&continue=\(Self.escape(token))" }
                // Read once into values: each item is used as it is, not converted again.
                let page: Value
                do { page = try read(try await client.send("GET", path)) } catch {
                    // A kind that vanished since discovery (its CRD deleted) has no objects; an
                    // extension API whose server is down (503 from an APIService) must not make
                    // the whole cluster unreachable: its objects are left out of this inventory.
                    if case .status(let status) = error, status.isNotFound || (status.code == 503 && !Self.isBuiltIn(resource.group)) { break }
                    throw Self.driverError(error, key: nil)
                }
                let apiVersion = page.at("apiVersion") ?? .string(resource.group.isEmpty ? resource.version : "\(resource.group)/\(resource.version)")
                for item in page.at("items")?.listValue ?? [] {
                    // A LIST's items carry no apiVersion or kind (the list says them once):
                    // put back, as client-go does, or every object would differ from its target.
                    var object = Self.cleaned(item)
                    if object.at("apiVersion") == nil { object.set(["apiVersion"], to: apiVersion) }
                    if object.at("kind") == nil { object.set(["kind"], to: .string(kind)) }
                    guard let name = object.at(["metadata", "name"])?.stringValue,
                          let addon = object.at(["metadata", "labels", SluiceLabels.addon])?.stringValue,
                          !Self.isControlled(object) else { continue }
                    let key = ObjectKey(group: resource.group, kind: kind,
                                        namespace: object.at(["metadata", "namespace"])?.stringValue ?? "", name: name)
                    found[addon, default: [:]][key] = object
                }
                next = page.at(["metadata", "continue"])?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            } while next != nil
        }
        return found
    }

    // MARK: - Discovery

    /// `/version`'s `gitVersion` and discovery's API versions, for chart add-ons'
    /// `.Capabilities`, as Helm reads them from a cluster.
    public func capabilities() async throws(DriverError) -> ClusterCapabilities? {
        let index = try await currentIndex()
        if let serverVersion { return ClusterCapabilities(kubeVersion: serverVersion, apiVersions: index.apiVersions) }
        let response: HTTPResponse
        do { response = try await client.send("GET", "/version") } catch { throw Self.driverError(error, key: nil) }
        guard let answer = try? JSONReader.read(String(decoding: response.body, as: UTF8.self)),
              let version = answer["gitVersion"]?.stringValue, SemanticVersion(version) != nil else {
            throw .unavailable("the API server's /version answer holds no version (gitVersion)")
        }
        serverVersion = version
        return ClusterCapabilities(kubeVersion: version, apiVersions: index.apiVersions)
    }

    private func currentIndex() async throws(DriverError) -> ResourceIndex {
        if let index { return index }
        return try await discover()
    }

    @discardableResult
    private func discover() async throws(DriverError) -> ResourceIndex {
        do {
            let found = try await DiscoveryClient(client: client).discover()
            index = found
            serverVersion = nil
            discoveredAt = await clock.now()
            discoveryStale = false
            return found
        } catch {
            switch error {
            case .request(let failure): throw Self.driverError(failure, key: nil)
            case .document(let problem): throw .unavailable(problem.description)
            }
        }
    }

    /// Where a kind lives (at `version` when given); nil when the server does not serve it,
    /// after discovery was read again if it may be out of date.
    private func resource(for key: ObjectKey, version: String? = nil) async throws(DriverError) -> ResourceIndex.Resource? {
        func lookup(_ index: ResourceIndex) -> ResourceIndex.Resource? {
            if let version { return index.resource(group: key.group, version: version, kind: key.kind) }
            return index.resource(group: key.group, kind: key.kind)
        }
        let index = try await currentIndex()
        if let found = lookup(index) { return found }
        let now = await clock.now()
        guard discoveryStale || discoveredAt.map({ now.timeIntervalSince($0) >= discoverySeconds }) ?? true else { return nil }
        return lookup(try await discover())
    }

    private func objectPath(_ resource: ResourceIndex.Resource, _ key: ObjectKey) -> String {
        resource.path(namespace: key.namespace) + "/" + Self.escape(key.name)
    }

    // MARK: - Inventory

    private func remember(_ key: ObjectKey, _ object: Value) {
        guard inventory != nil else { return }
        forget(key)
        if let addon = object.at(["metadata", "labels", SluiceLabels.addon])?.stringValue,
           object.at(["metadata", "labels", SluiceLabels.managedBy])?.stringValue == "sluice" {
            inventory?[addon, default: [:]][key] = object
        }
    }

    private func forget(_ key: ObjectKey) {
        guard let addons = inventory?.keys else { return }
        for addon in addons where inventory?[addon]?[key] != nil { inventory?[addon]?[key] = nil }
    }

    // MARK: - Values

    private nonisolated func read(_ response: HTTPResponse) throws(APIClient.Failure) -> Value {
        guard let value = try? JSONReader.read(String(decoding: response.body, as: UTF8.self)), case .map = value else {
            throw .transport(.invalid("the API server's answer is not a JSON object"))
        }
        return value
    }

    /// The server's bookkeeping that no diff needs and that would bloat every cache.
    static func cleaned(_ object: Value) -> Value {
        guard case .map(var metadata) = object.at("metadata"), metadata["managedFields"] != nil else { return object }
        metadata["managedFields"] = nil
        var object = object
        object.set(["metadata"], to: .map(metadata))
        return object
    }

    /// Groups the kube-apiserver serves itself (not through an APIService).
    static func isBuiltIn(_ group: String) -> Bool {
        group.isEmpty || !group.contains(".") || group.hasSuffix(".k8s.io")
    }

    /// Owned by a controller (a Pod of a ReplicaSet that inherited the labels): not applied by Sluice.
    static func isControlled(_ object: Value) -> Bool {
        (object.at(["metadata", "ownerReferences"])?.listValue ?? []).contains { $0.at("controller") == .bool(true) }
    }

    static func json(_ value: Value) -> [UInt8] {
        var bytes: [UInt8] = []
        JSONEmitter.write(value, into: &bytes)
        return bytes
    }

    static func version(of object: Value) -> String? {
        guard let apiVersion = object.at("apiVersion")?.stringValue else { return nil }
        return String(apiVersion.split(separator: "/").last ?? "")
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// What the rollout does with a failed request: retry later (unreachable), stop (refused),
    /// or fail the pair with the server's message.
    static func driverError(_ failure: APIClient.Failure, key: ObjectKey?) -> DriverError {
        switch failure {
        case .transport(let error):
            return error.isTransient ? .unavailable(error.description) : .refused(error.description)
        case .credentials(let error):
            return error.isTransient ? .unavailable(error.description) : .refused(error.description)
        case .status(let status):
            if status.isTransient { return .unavailable(status.description) }
            if status.code == 401 || (status.code == 403 && key == nil) { return .refused(status.description) }
            guard let key else { return .unavailable(status.description) }
            if status.isNotFound { return .notFound(key) }
            return .invalid(key, status.description)
        }
    }
}
