import Foundation
import SluiceTestSupport

/// A CA, a server certificate for 127.0.0.1 (and `kube.test`, for tls-server-name) and a client
/// certificate, made with the openssl command in a temporary folder for one test.
struct TestCertificates {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func openssl(_ arguments: [String]) throws { _ = try TestRepository.run("/usr/bin/openssl", arguments) }
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
                     "-keyout", folder + "/ca.key", "-out", folder + "/ca.crt"])
        try "subjectAltName=IP:127.0.0.1,DNS:kube.test\n".write(toFile: folder + "/san.ext", atomically: true, encoding: .utf8)
        for (name, subject, extensions) in [("server", "/CN=127.0.0.1", true), ("client", "/CN=sluice", false)] {
            try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", "\(folder)/\(name).key", "-out", "\(folder)/\(name).csr"])
            var sign = ["x509", "-req", "-in", "\(folder)/\(name).csr", "-CA", folder + "/ca.crt", "-CAkey", folder + "/ca.key",
                        "-CAcreateserial", "-days", "2", "-out", "\(folder)/\(name).crt"]
            if extensions { sign += ["-extfile", folder + "/san.ext"] }
            try openssl(sign)
        }
    }

    func path(_ name: String) -> String { "\(folder)/\(name)" }
    func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(name)))) }
    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}
