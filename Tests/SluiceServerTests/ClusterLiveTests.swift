import Foundation
import Logging
import SluiceQueries
import SluiceRollout
import SluiceServer
import SluiceSimulation
import SluiceTestSupport
import Testing

/// A cluster's page reads what the cluster runs now through its driver: every recorded
/// add-on with its objects and workloads; one whose objects are gone is absent; a cluster
/// that cannot be reached says so instead of looking empty.
@Suite(.timeLimit(.minutes(10))) struct ClusterLiveTests {
    @Test func aClustersPageShowsWhatItRunsLive() async throws {
        let scenario = try FleetScenario()
        _ = try await scenario.runController()
        let handler = APIHandlerTests.liveHandler(scenario)
        func view() async throws -> ClusterView {
            let answer = await handler.handle(APIRequest(method: "GET", path: "/api/v1/clusters/test-1"))
            #expect(answer.status == 200)
            return try APIHandlerTests.decode(ClusterView.self, answer)
        }
        let recorded = try await scenario.store.applied(environment: "staging").filter { $0.cluster == "test-1" }
        let live = try #require(try await view().live)
        let now = await scenario.clock.now()
        #expect(live.problem == nil && live.readAt == now)
        #expect(live.addons.map(\.addon) == recorded.map(\.addon).sorted())
        for addon in live.addons {
            let objects = try await scenario.objects.objects(cluster: "test-1", addon: addon.addon)
            #expect(addon.health == .healthy && addon.objects == objects.count && addon.objects > 0)
            #expect(addon.workloads.allSatisfy { $0.healthy && $0.ready == $0.desired })
        }
        #expect(live.addons.contains { !$0.workloads.isEmpty })

        // One add-on's objects deleted behind Sluice's back: recorded, and absent live.
        let gone = try #require(live.addons.first { !$0.workloads.isEmpty }).addon
        let model = try #require(try await scenario.plan().repository.clusters["test-1"])
        let driver = try await scenario.connector.driver(for: model)
        for object in try await scenario.objects.objects(cluster: "test-1", addon: gone) { try await driver.delete(object.id) }
        let after = try #require(try await view().live)
        #expect(after.addons.first { $0.addon == gone }.map { $0.health == .absent && $0.objects == 0 } == true)

        // Unreachable: the records still show, and the live part says why it is missing.
        await scenario.network.cut("test-1")
        let cut = try await view()
        #expect(!cut.environments.isEmpty)
        #expect(cut.live?.problem != nil && cut.live?.addons.isEmpty == true)
        withExtendedLifetime(scenario) {}
    }

    @Test func withoutDriversTheViewHasNoLivePart() async throws {
        let (scenario, handler, _) = try await APIHandlerTests.served()
        let view = try APIHandlerTests.decode(ClusterView.self, await handler.handle(APIRequest(method: "GET", path: "/api/v1/clusters/test-1")))
        #expect(view.live == nil && !view.environments.isEmpty)
        withExtendedLifetime(scenario) {}
    }
}
