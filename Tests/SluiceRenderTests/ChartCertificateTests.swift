import Foundation
import SluiceModel
@testable import SluiceRender
import SluiceTestSupport
import SluiceYAML
import Testing

/// Sprig's key and certificate generators in chart add-ons: keys and certificates that
/// OpenSSL and Go (real Helm) read and verify, the same ones on every render of a pair (its
/// seed, the commit's time), Sprig's typed parameters and errors.
@Suite(.timeLimit(.minutes(5))) struct ChartCertificateTests {
    static let now: Int64 = 1_796_680_000  // 2026-12-07 21:46:40 UTC

    func render(_ template: String, seed: UInt8 = 1, values: [String: Value] = [:]) throws -> String {
        let files = [HelmChart.File(name: "Chart.yaml", bytes: Array("apiVersion: v2\nname: c\nversion: 1.0.0\n".utf8)),
                     HelmChart.File(name: "templates/t.txt", bytes: Array(template.utf8))]
        let chart = try #require(HelmChart.load(files, folder: "addons/c", sink: DiagnosticSink()))
        var context = ChartContext(releaseName: "c", namespace: "ns")
        context.randomSeed = Array(repeating: seed, count: 32)
        context.now = Self.now
        return try #require(try ChartRenderer(chart: chart).render(values: values, context: context).first?.text)
    }

    func refusal(_ template: String) -> String? {
        do { _ = try render(template); return nil } catch { return (error as? Diagnostic)?.message }
    }

    /// Runs openssl with files written from `files`; its standard output, or the failure.
    func openssl(_ arguments: [String], files: [String: String]) throws -> ProcessResult {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cert-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (name, text) in files { try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
        return try ProcessResult.run("/usr/bin/env", ["openssl"] + arguments.map { $0.hasPrefix("@") ? folder + "/" + $0.dropFirst() : $0 })
    }

    static let chain = """
        {{- $ca := genCA "sluice-ca" 365 }}
        {{- $leaf := genSignedCert "webhook.kube-system.svc" (list "10.0.0.1" "::1") (list "webhook" "webhook.kube-system.svc") 30 $ca }}
        {{- $self := genSelfSignedCert "self" nil (list "self.local") 10 }}
        {{- toJson (dict "ca" $ca.Cert "caKey" $ca.Key "leaf" $leaf.Cert "leafKey" $leaf.Key "self" $self.Cert "type" (typeOf $ca)) }}
        """

    @Test func aCAAndTheCertificatesItSignsVerify() throws {
        let out = try #require(Value(try YAMLParser().parseSingle(Array(try render(Self.chain).utf8), file: "t")).mapValue)
        func text(_ key: String) -> String { out[key]?.stringValue ?? "" }
        #expect(text("type") == "sprig.certificate")
        #expect(text("caKey").hasPrefix("-----BEGIN RSA PRIVATE KEY-----\n"))
        let files = ["ca.pem": text("ca"), "leaf.pem": text("leaf"), "self.pem": text("self"), "key.pem": text("leafKey")]
        let verified = try openssl(["verify", "-CAfile", "@ca.pem", "@leaf.pem"], files: files)
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
        let leaf = try openssl(["x509", "-in", "@leaf.pem", "-noout", "-text", "-dates"], files: files).stdout
        for expected in ["Subject: CN = webhook.kube-system.svc", "Issuer: CN = sluice-ca", "DNS:webhook, DNS:webhook.kube-system.svc, IP Address:10.0.0.1, IP Address:0:0:0:0:0:0:0:1",
                         "CA:FALSE", "TLS Web Server Authentication, TLS Web Client Authentication", "Digital Signature, Key Encipherment",
                         "notBefore=Dec  7 21:46:40 2026 GMT", "notAfter=Jan  6 21:46:40 2027 GMT", "Public-Key: (2048 bit)", "sha256WithRSAEncryption"] {
            #expect(leaf.contains(expected), "\(expected) not in:\n\(leaf)")
        }
        let ca = try openssl(["x509", "-in", "@ca.pem", "-noout", "-text"], files: files).stdout
        #expect(ca.contains("CA:TRUE") && ca.contains("Certificate Sign") && ca.contains("Subject Key Identifier"))
        // The key is the certificate's.
        let modulus = try openssl(["rsa", "-in", "@key.pem", "-noout", "-modulus"], files: files).stdout
        #expect(modulus == (try openssl(["x509", "-in", "@leaf.pem", "-noout", "-modulus"], files: files).stdout))
        #expect(try openssl(["verify", "-CAfile", "@self.pem", "@self.pem"], files: files).status == 0)
    }

    /// Go reads what Sluice makes: real Helm takes Sluice's CA (`buildCustomCert` parses the
    /// certificate and the PKCS#1 key with Go's x509) and signs a certificate with it, which
    /// verifies against Sluice's CA.
    @Test func goReadsSluicesCertificatesAndKeys() throws {
        let out = try #require(Value(try YAMLParser().parseSingle(Array(try render(Self.chain).utf8), file: "t")).mapValue)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-helm-cert-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/templates", withIntermediateDirectories: true)
        try "apiVersion: v2\nname: c\nversion: 1.0.0\n".write(toFile: root + "/Chart.yaml", atomically: true, encoding: .utf8)
        try """
            {{- $ca := buildCustomCert (b64enc .Values.ca) (b64enc .Values.caKey) }}
            {{- (genSignedCert "by-go" nil (list "go.local") 5 $ca).Cert }}
            """.write(toFile: root + "/templates/t.txt", atomically: true, encoding: .utf8)
        let answer = try RealHelm.render([RealHelm.Request(chartFolder: root, values: .map(["ca": out["ca"]!, "caKey": out["caKey"]!]), name: "c")])[0]
        let signed = try #require(answer["outputs"]?.mapValue?.values.first?.stringValue, "Helm refused: \(answer["error"]?.stringValue ?? "")")
        let verified = try openssl(["verify", "-CAfile", "@ca.pem", "@go.pem"], files: ["ca.pem": out["ca"]!.stringValue!, "go.pem": signed])
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
    }

    @Test func oneSeedMakesTheSameKeysAndCertificates() throws {
        #expect(try render(Self.chain) == render(Self.chain))
        #expect(try render(Self.chain) != render(Self.chain, seed: 2))
        let keys = "{{ genPrivateKey \"ecdsa\" }}{{ genPrivateKey \"ed25519\" }}"
        #expect(try render(keys) == render(keys))
    }

    @Test func privateKeysOfEachKind() throws {
        let rsa = try render("{{ genPrivateKey \"rsa\" }}")
        #expect(rsa.hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        let checked = try openssl(["rsa", "-in", "@k.pem", "-noout", "-check", "-text"], files: ["k.pem": rsa])
        #expect(checked.status == 0 && checked.stdout.contains("Private-Key: (4096 bit, 2 primes)"), "\(checked.stdout.prefix(200)) \(checked.stderr)")
        let ec = try render("{{ genPrivateKey \"ecdsa\" }}")
        #expect(ec.hasPrefix("-----BEGIN EC PRIVATE KEY-----"))
        #expect(try openssl(["ec", "-in", "@k.pem", "-noout", "-check"], files: ["k.pem": ec]).status == 0)
        let ed = try render("{{ genPrivateKey \"ed25519\" }}")
        #expect(ed.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(try openssl(["pkey", "-in", "@k.pem", "-noout", "-text"], files: ["k.pem": ed]).stdout.contains("ED25519"))
        #expect(try render("{{ genPrivateKey \"nope\" }}") == "Unknown type nope")
        #expect(refusal("{{ genPrivateKey \"dsa\" }}")?.contains("DSA") == true)
        // A key of one's own signs a CA and a self-signed certificate (Ed25519 signs without a digest).
        let withKey = try render("{{ $k := genPrivateKey \"ed25519\" }}{{ (genCAWithKey \"k\" 3 $k).Cert }}")
        #expect(try openssl(["verify", "-CAfile", "@c.pem", "@c.pem"], files: ["c.pem": withKey]).status == 0)
    }

    @Test func sprigsTypesAndErrors() {
        #expect(refusal("{{ genSignedCert \"x\" nil nil 1 (dict \"Cert\" \"a\" \"Key\" \"b\") }}")?.contains("expected sprig.certificate") == true)
        #expect(refusal("{{ genSelfSignedCert \"x\" nil \"a\" 3 }}") != nil)
        #expect(refusal("{{ genSelfSignedCert \"x\" .Values.nope nil 3 }}")?.contains("expected []interface {}") == true)
        #expect(refusal("{{ genSelfSignedCert \"x\" (list \"1.2.3\") nil 3 }}")?.contains("error parsing ip: 1.2.3") == true)
        #expect(refusal("{{ genSelfSignedCert \"x\" (list 1) nil 3 }}")?.contains("1 is not a string") == true)
        #expect(refusal("{{ genCA \"x\" 99999999 }}")?.contains("past what a certificate can hold") == true)
        // ECDSA signatures are random: refused rather than a change on every plan.
        #expect(refusal("{{ genCAWithKey \"x\" 3 (genPrivateKey \"ecdsa\") }}")?.contains("ECDSA") == true)
        #expect(refusal("{{ buildCustomCert \"x\" \"y\" }}")?.contains("unable to decode base64 certificate") == true)
    }

    /// bcrypt as Go makes it: Blowfish from pi's digits, Go's hash of a known salt, and
    /// libxcrypt (the system's crypt(3)) verifies what `htpasswd` renders.
    @Test func bcryptAndHtpasswdAreGosAndVerify() throws {
        #expect(Bcrypt.firstWord == 0x243F6A88)
        // Helm rendered `bcrypt "p"` as this; its salt, decoded, gives the same hash here.
        let fromGo = "$2a$10$yQv7xVm/tBXXrI4jT.7z6.3Wlj3HZtMwJQ/rmdcP6tGbn.3kLu/6y"
        let alphabet = Array("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let bits = fromGo.dropFirst(7).prefix(22).map { UInt32(alphabet.firstIndex(of: $0)!) }
        var salt: [UInt8] = []
        for chunk in stride(from: 0, to: 24, by: 4) {
            let group = (chunk..<min(chunk + 4, 22)).reduce(UInt32(0)) { $0 << 6 | bits[$1] } << (6 * UInt32(max(0, chunk + 4 - 22)))
            salt += [UInt8(truncatingIfNeeded: group >> 16), UInt8(truncatingIfNeeded: group >> 8), UInt8(truncatingIfNeeded: group)]
        }
        #expect(Bcrypt.hash(Array("p".utf8), salt: Array(salt.prefix(16)), cost: 10) == fromGo)
        let line = try render("{{ htpasswd \"admin\" \"s3cret pass\" }}")
        #expect(line.hasPrefix("admin:$2a$10$") && line.count == "admin:".count + 60)
        #expect(try render("{{ htpasswd \"admin\" \"s3cret pass\" }}") == line)
        let hash = String(line.dropFirst("admin:".count))
        let crypt = try ProcessResult.run("/usr/bin/env", ["python3", "-c", """
            import ctypes, sys
            c = ctypes.CDLL("libcrypt.so.1"); c.crypt.restype = ctypes.c_char_p
            print(c.crypt(sys.argv[1].encode(), sys.argv[2].encode()).decode())
            """, "s3cret pass", hash])
        #expect(crypt.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == hash, "\(crypt.stderr)")
    }
}
