import Foundation
import SluiceCore
import SluiceSQLite
import SluiceSimulation
import SluiceDrivers
import SluiceModel
import SluiceYAML
import SluiceStore
import SluiceTestSupport
import Synchronization
import Testing

/// Group commit of the simulated clusters' writes, and what a failed write leaves.
@Suite(.timeLimit(.minutes(10))) struct SimulatedObjectWriterTests {
    let directory: String
    let store: CountingStore
    let clock = VirtualClock()

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-writer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = CountingStore(try SQLiteStateStore(path: directory + "/state.db"))
    }

    func configMap(_ index: Int) -> (ObjectKey, Value) {
        let key = ObjectKey(group: "", kind: "ConfigMap", namespace: "ns", name: "cm-\(index)")
        return (key, .map(["apiVersion": .string("v1"), "kind": .string("ConfigMap"),
                           "metadata": .map(["name": .string(key.name), "namespace": .string("ns"),
                                             "labels": .map([SluiceLabels.addon: .string("a")])])]))
    }

    func change(_ index: Int) -> ObjectChange {
        let (key, body) = configMap(index)
        return ObjectChange(.put(StoredObject(cluster: "sim-1", id: key, body: body)),
                            logging: SimulatedCall(cluster: "sim-1", verb: .create, key: key, addon: "a", commit: "c"))
    }

    /// Holds the first transaction open until `open()` (a suspension, not a blocked thread).
    actor Gate {
        private var waiting: CheckedContinuation<Void, Never>?
        private var opened = false
        private(set) var entered = false

        func pass() async {
            guard !opened else { return }
            entered = true
            await withCheckedContinuation { waiting = $0 }
        }

        func open() {
            opened = true
            waiting?.resume()
            waiting = nil
        }
    }

    /// Writes that arrive while a transaction is being written go, all of them, into the next
    /// one; each caller returns only when its own write is in the store.
    @Test func writesArrivingDuringATransactionShareTheNext() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = store, gate = Gate()
        let writer = SimulatedObjectWriter { changes in
            await gate.pass()
            do throws(StoreError) {
                try await store.write(changes)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        let first = Task { try await writer.write(change(0)) }
        while !(await gate.entered) { await Task.yield() }
        let others = (1...10).map { index in
            Task {
                try await writer.write(change(index))
                // Committed when it returns.
                return try await store.object(cluster: "sim-1", id: configMap(index).0) != nil
            }
        }
        while await writer.queued < 10 { await Task.yield() }
        // Nothing of the queued writes is in the store while the first transaction is open.
        #expect(try await store.objects(cluster: "sim-1").isEmpty)
        await gate.open()
        try await first.value
        for other in others { #expect(try await other.value) }
        #expect(store.writeBatches == [1, 10])
        #expect(try await store.calls(cluster: "sim-1").count == 11)
    }

    /// A transaction that cannot be written fails every write in it, and nothing of it is
    /// in the store or the audit log.
    @Test func aFailedTransactionFailsEveryWriteInIt() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = SimulatedObjectWriter(store: store)
        store.failsWrites.withLock { $0 = true }
        await #expect(throws: StoreError.self) { try await writer.write(change(0)) }
        #expect(try await store.objects(cluster: "sim-1").isEmpty)
        #expect(try await store.calls(cluster: "sim-1").isEmpty)
        store.failsWrites.withLock { $0 = false }
        try await writer.write(change(1))
        #expect(try await store.objects(cluster: "sim-1").count == 1)
    }

    /// A simulated cluster whose write failed says so (a transient error, worth retrying),
    /// and then answers from the store, not from what it had meant to write.
    @Test func aClusterWhoseWriteFailedAnswersFromTheStore() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cluster = SimulatedCluster(name: "sim-1", connection: .init(nodes: 3, faultImages: []), store: store, clock: clock)
        let (kept, keptBody) = configMap(1), (lost, lostBody) = configMap(2)
        _ = try await cluster.create(keptBody, key: kept)
        store.failsWrites.withLock { $0 = true }
        do {
            _ = try await cluster.create(lostBody, key: lost)
            Issue.record("the create succeeded with the store failing")
        } catch {
            #expect(error.isTransient)
        }
        store.failsWrites.withLock { $0 = false }
        #expect(try await cluster.get(lost) == nil)
        #expect(try await cluster.get(kept) != nil)
        // Created again once the store writes.
        _ = try await cluster.create(lostBody, key: lost)
        #expect(try await cluster.list(labels: [SluiceLabels.addon: "a"]).count == 2)
    }
}
