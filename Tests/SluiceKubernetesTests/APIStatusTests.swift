import Foundation
import SluiceCore
import SluiceDrivers
import SluiceKubernetes
import Testing

/// Error answers as a real kube-apiserver gave them (`Fixtures/exchanges`, from
/// `../shared/k8s-api/exchanges`), read into what the driver acts on (issue 10).
@Suite(.timeLimit(.minutes(10))) struct APIStatusTests {
    static func status(_ name: String, headers: [String: String] = [:]) throws -> APIStatus {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/exchanges/\(name).json")
        let exchange = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let body = try JSONSerialization.data(withJSONObject: exchange["body"] ?? [:])
        return APIStatus(response: HTTPResponse(status: exchange["status"] as? Int ?? 0, headers: headers, body: Array(body)))
    }

    @Test func eachAnswerIsReadAsTheDriverActsOnIt() throws {
        #expect(try Self.status("03-get-missing").isNotFound)
        #expect(try Self.status("02-create-exists").isAlreadyExists)
        let stale = try Self.status("06-update-stale")
        #expect(stale.isConflict && !stale.isTransient)
        let invalid = try Self.status("11-create-invalid")
        #expect(invalid.code == 422 && invalid.reason == "Invalid")
        #expect(invalid.causes.first?.field == "spec.template.metadata.labels")
        #expect(try Self.status("08-create-wrong-type").reason == "BadRequest")
        let conflict = try Self.status("19-server-side-apply-conflict")
        #expect(conflict.isFieldManagerConflict && !conflict.isConflict)
        #expect(conflict.causes.first?.field == ".data.k")
        #expect(try Self.status("26-unauthorized").isUnauthorized)
        #expect(try Self.status("27-forbidden").code == 403)
        #expect(try Self.status("09-create-unknown-field-strict").code == 400)
    }

    @Test func throttlingAndServerErrorsAreTransientWithTheWaitAskedFor() {
        let throttled = APIStatus(response: HTTPResponse(status: 429, headers: ["retry-after": "7"],
                                                         body: Array(#"{"kind":"Status","code":429,"reason":"TooManyRequests","message":"slow down"}"#.utf8)))
        #expect(throttled.isTransient && throttled.retryAfter == 7)
        let proxy = APIStatus(response: HTTPResponse(status: 502, headers: [:], body: Array("<html>Bad Gateway</html>".utf8)))
        #expect(proxy.isTransient && proxy.reason.isEmpty)
    }

    /// What an API server says reaches terminals and plans: escape sequences and other control
    /// characters are gone, and a 5 MiB message (the issue found 50) is cut to a bound.
    @Test func hostileMessagesAreCleanedAndBounded() throws {
        let hostile = "denied \u{1b}[2J\u{1b}]0;pwned\u{07}\r\nX-Evil: 1" + String(repeating: "A", count: 5 << 20)
        let body = try JSONSerialization.data(withJSONObject: ["kind": "Status", "code": 422, "reason": "Invalid\u{1b}[31m", "message": hostile,
                                                               "details": ["causes": [["field": "a\nb", "reason": "x", "message": hostile]]]])
        let status = APIStatus(response: HTTPResponse(status: 422, headers: [:], body: Array(body)))
        for text in [status.message, status.reason, status.description, status.causes[0].field, status.causes[0].message] {
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f })
        }
        #expect(status.message.count < UntrustedText.defaultLimit + 100)
        #expect(status.message.hasPrefix("denied [2J ]0;pwned X-Evil: 1AAA"))
        #expect(status.causes[0].message.count < 600)
    }
}
