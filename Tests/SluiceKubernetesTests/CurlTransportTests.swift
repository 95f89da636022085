import Foundation
import SluiceKubernetes
import SluiceTestSupport
import Testing

/// libcurl through the typed shims: methods, headers and bodies; HTTPS with the CA and a
/// client certificate from memory (as kubeconfig `*-data` fields give them); typed errors
/// (issue 10). Servers run on 127.0.0.1, started by the tests.
@Suite(.timeLimit(.minutes(10))) struct CurlTransportTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("echo_server.py").path

    func server(_ arguments: [String] = []) throws -> (LocalServer, Int) {
        let server = try LocalServer("/usr/bin/python3", ["-u", Self.script] + arguments)
        let line = try server.waitForLine(containing: "listening")
        let port = try #require(Int(line.split(separator: " ").last ?? ""))
        return (server, port)
    }

    func json(_ response: HTTPResponse) throws -> [String: String] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: String])
    }

    @Test func requestsCarryMethodHeadersAndBodyAndReuseTheHandle() async throws {
        let (server, port) = try server()
        defer { server.stop() }
        let transport = try CurlTransport(tls: TLSSettings(), label: "test")
        let get = try await transport.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/api/v1/namespaces?limit=2",
                                                          headers: ["Authorization": "Bearer t0ken"]))
        #expect(get.status == 200)
        #expect(get.headers["content-type"] == "application/json")
        #expect(try json(get) == ["method": "GET", "path": "/api/v1/namespaces?limit=2", "body": "", "authorization": "Bearer t0ken",
                                  "contentType": "", "client": ""])
        let patch = try await transport.perform(HTTPRequest(method: "PATCH", url: "http://127.0.0.1:\(port)/apis/apps/v1/x",
                                                            headers: ["Content-Type": "application/merge-patch+json"], body: Array(#"{"a":1}"#.utf8)))
        #expect(try json(patch)["body"] == #"{"a":1}"#)
        #expect(try json(patch)["contentType"] == "application/merge-patch+json")
        let delete = try await transport.perform(HTTPRequest(method: "DELETE", url: "http://127.0.0.1:\(port)/missing"))
        #expect(delete.status == 404)
        #expect(try json(delete)["method"] == "DELETE")
    }

    @Test func nobodyListeningIsATransientConnectionError() async throws {
        let refusing = try RefusingPort()
        let port = refusing.port
        defer { withExtendedLifetime(refusing) {} }
        let transport = try CurlTransport(tls: TLSSettings(), label: "test")
        do {
            _ = try await transport.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/"))
            Issue.record("a request to a closed port succeeded")
        } catch {
            guard case .connection = error else { Issue.record("\(error)"); return }
            #expect(error.isTransient)
        }
    }

    @Test func httpsWithTheCAAndAClientCertificateFromMemory() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func openssl(_ arguments: String...) throws { _ = try TestRepository.run("/usr/bin/openssl", arguments) }
        try openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
                    "-keyout", folder + "/ca.key", "-out", folder + "/ca.crt")
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: folder + "/san.ext", atomically: true, encoding: .utf8)
        for (name, subject, extensions) in [("server", "/CN=127.0.0.1", true), ("client", "/CN=sluice", false)] {
            try openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", "\(folder)/\(name).key", "-out", "\(folder)/\(name).csr")
            var sign = ["x509", "-req", "-in", "\(folder)/\(name).csr", "-CA", folder + "/ca.crt", "-CAkey", folder + "/ca.key",
                        "-CAcreateserial", "-days", "2", "-out", "\(folder)/\(name).crt"]
            if extensions { sign += ["-extfile", folder + "/san.ext"] }
            _ = try TestRepository.run("/usr/bin/openssl", sign)
        }
        let (server, port) = try server(["--tls", folder + "/server.crt", folder + "/server.key", folder + "/ca.crt"])
        defer { server.stop() }
        func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))) }
        var tls = TLSSettings()
        tls.certificateAuthority = try bytes("ca.crt")
        tls.clientCertificate = try bytes("client.crt")
        tls.clientKey = try bytes("client.key")
        let transport = try CurlTransport(tls: tls, label: "tls")
        let response = try await transport.perform(HTTPRequest(url: "https://127.0.0.1:\(port)/version"))
        #expect(response.status == 200)
        #expect(try json(response)["client"] == "sluice")
        // Without the CA the server is not trusted: a TLS error, not worth retrying.
        var untrusted = TLSSettings()
        untrusted.clientCertificate = tls.clientCertificate
        untrusted.clientKey = tls.clientKey
        do {
            _ = try await CurlTransport(tls: untrusted, label: "untrusted").perform(HTTPRequest(url: "https://127.0.0.1:\(port)/version"))
            Issue.record("an untrusted server was accepted")
        } catch {
            #expect(!error.isTransient)
        }
    }

    /// An answer past the limit fails its request, whether its Content-Length says so (10 GB)
    /// or its chunks never end; the handle works for the next request.
    @Test func anAnswerPastTheLimitIsAnError() async throws {
        let (server, port) = try server()
        defer { server.stop() }
        let transport = try CurlTransport(tls: TLSSettings(), label: "test")
        transport.maxResponseBytes = 1 << 20
        for path in ["/huge", "/endless"] {
            do {
                _ = try await transport.perform(HTTPRequest(url: "http://127.0.0.1:\(port)\(path)"))
                Issue.record("\(path) was read")
            } catch {
                #expect(error == .tooLarge(1 << 20))
                #expect(!error.isTransient)
            }
        }
        #expect(try await transport.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/after")).status == 200)
    }
}
