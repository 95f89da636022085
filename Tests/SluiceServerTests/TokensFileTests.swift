import SluiceServer
import SluiceYAML
import Testing

/// The tokens file: only digests, roles that exist, errors at their line and column.
@Suite struct TokensFileTests {
    @Test func mistakesAreReportedWhereTheyAre() throws {
        let file = """
            tokens:
              - name: alice
                sha256: 0123
                role: approver
              - name: bob
                sha256: \(String(repeating: "ab", count: 32))
                role: admin
              - name: bob
                sha256: \(String(repeating: "cd", count: 32))
                role: viewer
                colour: blue
            """
        #expect(throws: ValidationFailure.self) { _ = try TokensFile.parse(Array(file.utf8), file: "tokens.yaml") }
        do { _ = try TokensFile.parse(Array(file.utf8), file: "tokens.yaml") } catch {
            let places = error.diagnostics.map { [$0.mark?.line ?? 0, $0.mark?.column ?? 0] }
            #expect(places == [[3, 13], [7, 11], [8, 11], [11, 5]])
            #expect(error.diagnostics.allSatisfy { $0.file == "tokens.yaml" })
        }
        #expect(throws: ValidationFailure.self) { _ = try TokensFile.parse(Array("- a\n".utf8), file: "t.yaml") }
        #expect(throws: ValidationFailure.self) { _ = try TokensFile.singleToken(Array("short\n".utf8), file: "t") }
    }

    @Test func rolesHoldWhereTheyAreGiven() throws {
        let olga = Identities.Identity(name: "olga", role: .operator, environments: ["staging"])
        #expect(olga.may(.operate, in: "staging") && !olga.may(.operate, in: "production") && olga.may(.read, in: "production"))
        #expect(!olga.may(.approve, in: "staging"))
        let admin = Identities.single(token: "0123456789abcdef-token")
        #expect(admin.identify(token: "0123456789abcdef-token")?.name == "admin")
        #expect(admin.identify(token: "0123456789abcdef-toke") == nil && admin.identify(token: "") == nil)
        #expect(admin.identify(token: "0123456789abcdef-token")?.may(.approve, in: "production") == true)
    }
}
