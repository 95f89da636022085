import SluiceModel
import SluiceTestSupport
import SluiceYAML
import Foundation
import Testing

/// `helm.sh/hook*` annotations read as Helm's `releaseutil.SortManifests` and `execHook` read them.
@Suite struct ChartHookAnnotationTests {
    func declaration(_ annotations: [String: String]) -> ChartHook.Declaration {
        ChartHook.declaration(in: annotations.mapValues { .string($0) })
    }

    @Test func eventsAreACommaListTrimmedAndLowerCased() {
        #expect(declaration(["other": "x"]) == .none)
        guard case .hook(let hook) = declaration(["helm.sh/hook": " pre-install ,POST-Upgrade"]) else { Issue.record("not a hook"); return }
        #expect(hook.events == [.preInstall, .postUpgrade])
        #expect(hook.moments(install: true) == [.pre] && hook.moments(install: false) == [.post])
        guard case .hook(let test) = declaration(["helm.sh/hook": "test"]) else { Issue.record("not a hook"); return }
        #expect(test.moments(install: true).isEmpty && test.moments(install: false).isEmpty)
    }

    /// Helm skips an object with an event it does not know, even beside known ones; an empty
    /// annotation is an unknown event too.
    @Test func anUnknownEventLeavesTheObjectOut() {
        #expect(declaration(["helm.sh/hook": "pre-install,pre-frobnicate"]) == .unknownEvent("pre-frobnicate"))
        #expect(declaration(["helm.sh/hook": ""]) == .unknownEvent(""))
        #expect(declaration(["helm.sh/hook": "pre-install,"]) == .unknownEvent(""))
    }

    /// `strconv.Atoi`: anything else is weight 0.
    @Test(arguments: [("5", 5), ("-10", -10), ("+3", 3), (" 5", 0), ("5x", 0), ("", 0), ("1.5", 0), ("99999999999999999999", 0)])
    func weightsAreGoIntegers(text: String, weight: Int) {
        guard case .hook(let hook) = declaration(["helm.sh/hook": "pre-install", "helm.sh/hook-weight": text]) else { Issue.record("not a hook"); return }
        #expect(hook.weight == weight)
    }

    /// No policy: before-hook-creation. A list of only unknown policies is not empty, so it
    /// gets no default (as in Helm).
    @Test func deletePolicies() {
        func hook(_ policy: String?) -> ChartHook? {
            var annotations = ["helm.sh/hook": "post-install"]
            if let policy { annotations["helm.sh/hook-delete-policy"] = policy }
            if case .hook(let hook) = declaration(annotations) { return hook }
            return nil
        }
        #expect(hook(nil)?.deletes(.beforeHookCreation) == true && hook(nil)?.deletes(.hookSucceeded) == false)
        #expect(hook("Hook-Succeeded , hook-failed")?.deletes(.hookSucceeded) == true)
        #expect(hook("hook-succeeded")?.deletes(.beforeHookCreation) == false)
        #expect(hook("keep-it")?.deletes(.beforeHookCreation) == false)
    }

    /// Bounded mutation: annotations pieced from events, policies, separators, case and
    /// junk always read as a hook of known events, an unknown event or nothing, never a crash;
    /// a hook's events are exactly the known names of its list.
    @Test func mutatedAnnotationsReadConsistently() {
        var random = SeededRandom(seed: 21)
        let pieces = ChartHook.Event.allCases.map(\.rawValue) + ChartHook.DeletePolicy.allCases.map(\.rawValue)
            + ["", " ", ",", "\t", "PRE-INSTALL", "pre_install", "ü", "-1", "+", "9223372036854775807", "9223372036854775808", "\n"]
        for _ in 0..<3_000 {
            func text() -> String { (0..<random.next(upTo: 5)).map { _ in pieces[random.next(upTo: pieces.count)] }.joined(separator: random.next(upTo: 3) == 0 ? "" : ",") }
            let hookText = text()
            let annotations = ["helm.sh/hook": hookText, "helm.sh/hook-weight": text(), "helm.sh/hook-delete-policy": text()]
            switch declaration(annotations) {
            case .none: Issue.record("a hook annotation read as none")
            case .unknownEvent(let name): #expect(ChartHook.Event(rawValue: name) == nil)
            case .hook(let hook):
                let names = hookText.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }
                #expect(hook.events.map(\.rawValue) == names)
                #expect(hook.moments(install: true).count <= 2 && hook.moments(install: false).count <= 2)
            }
        }
    }
}
