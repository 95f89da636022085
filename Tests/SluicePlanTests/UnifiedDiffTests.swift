import SluicePlan
import Testing

/// The unified diff of plans: hunks headed `@@ -old,count +new,count @@` as `diff -u` heads
/// them, followed by the YAML path the hunk is in; context lines; removals before additions;
/// no dangling `@@` (issue 11).
@Suite(.timeLimit(.minutes(10))) struct UnifiedDiffTests {
    static func text(_ count: Int, changing changes: [Int: String] = [:]) -> String {
        (1...count).map { changes[$0] ?? "l\($0)" }.joined(separator: "\n")
    }

    @Test func equalTextsHaveNoDiff() {
        #expect(UnifiedDiff.lines(old: Self.text(5), new: Self.text(5)).isEmpty)
    }

    @Test func aChangeInTheMiddleHasThreeLinesOfContextAndAHeader() {
        #expect(UnifiedDiff.lines(old: Self.text(10), new: Self.text(10, changing: [5: "X"]))
                == ["@@ -2,7 +2,7 @@", " l2", " l3", " l4", "-l5", "+X", " l6", " l7", " l8"])
    }

    @Test func changesAtTheEdges() {
        #expect(UnifiedDiff.lines(old: Self.text(10), new: Self.text(10, changing: [1: "X"])) == ["@@ -1,4 +1,4 @@", "-l1", "+X", " l2", " l3", " l4"])
        #expect(UnifiedDiff.lines(old: Self.text(10), new: Self.text(10, changing: [10: "X"])) == ["@@ -7,4 +7,4 @@", " l7", " l8", " l9", "-l10", "+X"])
    }

    @Test func farApartChangesAreTwoHunks() {
        #expect(UnifiedDiff.lines(old: Self.text(20), new: Self.text(20, changing: [2: "A", 18: "B"]))
                == ["@@ -1,5 +1,5 @@", " l1", "-l2", "+A", " l3", " l4", " l5", "@@ -15,6 +15,6 @@", " l15", " l16", " l17", "-l18", "+B", " l19", " l20"])
    }

    @Test func nearChangesShareAHunk() {
        #expect(UnifiedDiff.lines(old: Self.text(12), new: Self.text(12, changing: [5: "A", 8: "B"]))
                == ["@@ -2,10 +2,10 @@", " l2", " l3", " l4", "-l5", "+A", " l6", " l7", "-l8", "+B", " l9", " l10", " l11"])
    }

    @Test func insertionsAndRemovals() {
        #expect(UnifiedDiff.lines(old: "a\nb\nc", new: "a\nx\nb\nc") == ["@@ -1,3 +1,4 @@", " a", "+x", " b", " c"])
        #expect(UnifiedDiff.lines(old: "a\nb\nc", new: "a\nc") == ["@@ -1,3 +1,2 @@", " a", "-b", " c"])
    }

    /// A hunk deep in a manifest says which object path it is in.
    @Test func aHunkNamesTheYAMLPathItIsIn() {
        let old = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: coredns
            spec:
              replicas: 2
              template:
                metadata:
                  labels:
                    app: dns
                spec:
                  containers:
                    - name: coredns
                      args: [-conf, /etc/coredns/Corefile]
                      ports: []
                      resources: {}
                      image: registry.k8s.io/coredns/coredns:v1.11.3
                      livenessProbe: {}
            """
        let new = old.replacingOccurrences(of: "v1.11.3", with: "v1.11.4")
        let lines = UnifiedDiff.lines(old: old, new: new)
        #expect(lines.first == "@@ -14,5 +14,5 @@ spec.template.spec.containers[coredns]")
        #expect(lines.contains("+          image: registry.k8s.io/coredns/coredns:v1.11.4"))
    }
}
