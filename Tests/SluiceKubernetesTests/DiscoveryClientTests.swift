import Foundation
@testable import SluiceKubernetes
import SluiceTestSupport
import SluiceCore
import SluiceDrivers
import Testing

/// Discovery over the transport against a local server that serves a real kube-apiserver's
/// documents: aggregated where offered, legacy otherwise, a refused token typed (issue 10).
@Suite(.timeLimit(.minutes(10))) struct DiscoveryClientTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    func start(_ arguments: [String] = []) throws -> (LocalServer, String) {
        let server = try LocalServer("/usr/bin/python3", ["-u", Self.folder.appendingPathComponent("discovery_server.py").path,
                                                          Self.folder.appendingPathComponent("Fixtures").path] + arguments)
        let line = try server.waitForLine(containing: "listening")
        return (server, "http://127.0.0.1:" + (line.split(separator: " ").last.map(String.init) ?? ""))
    }

    func client(_ url: String, token: String = "t0ken") throws -> DiscoveryClient {
        var user = Kubeconfig.UserEntry()
        user.token = token
        let access = ClusterAccess(context: "test", cluster: Kubeconfig.ClusterEntry(server: url), user: user, namespace: nil)
        return DiscoveryClient(client: APIClient(server: url, transport: try CurlTransport(tls: TLSSettings(), label: "test"),
                                                 credentials: ClientCredentials(access: access), clock: VirtualClock()))
    }

    @Test func aggregatedDiscoveryTakesTwoRequests() async throws {
        let (server, url) = try start()
        defer { server.stop() }
        let index = try await client(url).discover()
        #expect(index.resource(group: "apps", kind: "Deployment")?.resource == "deployments")
        #expect(index.resource(group: "", kind: "Namespace")?.namespaced == false)
        let requests = try JSONSerialization.jsonObject(with: Data(try await client(url).client.transport.perform(HTTPRequest(url: url + "/_requests")).body)) as? [String: Int]
        #expect(requests == ["/api": 1, "/apis": 1])
    }

    @Test func legacyDiscoveryReadsEachPreferredVersion() async throws {
        let (server, url) = try start(["--legacy-only"])
        defer { server.stop() }
        let index = try await client(url).discover()
        #expect(index.resource(group: "apps", kind: "DaemonSet")?.namespaced == true)
        #expect(index.resource(group: "", kind: "ConfigMap")?.resource == "configmaps")
    }

    @Test func aRefusedTokenIsTypedNotTransient() async throws {
        let (server, url) = try start()
        defer { server.stop() }
        let refused = try client(url, token: "wrong")
        do {
            _ = try await refused.discover()
            Issue.record("discovery succeeded with a wrong token")
        } catch {
            guard case .request(.status(let status)) = error else { Issue.record("\(error)"); return }
            #expect(status.isUnauthorized && !error.isTransient)
        }
    }
}
