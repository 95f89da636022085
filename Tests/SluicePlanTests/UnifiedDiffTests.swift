import SluicePlan
import Testing

/// The unified diff of plans: context lines, cuts marked `@@`, removals before additions.
@Suite struct UnifiedDiffTests {
    static func text(_ count: Int, changing changes: [Int: String] = [:]) -> String {
        (1...count).map { changes[$0] ?? "l\($0)" }.joined(separator: "\n")
    }

    @Test func equalTextsHaveNoDiff() {
        #expect(UnifiedDiff.lines(old: Self.text(5), new: Self.text(5)).isEmpty)
    }

    @Test func aChangeInTheMiddleHasThreeLinesOfContextAndCutsOnBothSides() {
        #expect(UnifiedDiff.lines(old: Self.text(10), new: Self.text(10, changing: [5: "X"]))
                == ["@@", " l2", " l3", " l4", "-l5", "+X", " l6", " l7", " l8", "@@"])
    }

    @Test func changesAtTheEdgesAreNotCut() {
        #expect(UnifiedDiff.lines(old: Self.text(10), new: Self.text(10, changing: [1: "X"])) == ["-l1", "+X", " l2", " l3", " l4", "@@"])
        #expect(UnifiedDiff.lines(old: Self.text(10), new: Self.text(10, changing: [10: "X"])) == ["@@", " l7", " l8", " l9", "-l10", "+X"])
    }

    @Test func farApartChangesAreTwoHunks() {
        #expect(UnifiedDiff.lines(old: Self.text(20), new: Self.text(20, changing: [2: "A", 18: "B"]))
                == [" l1", "-l2", "+A", " l3", " l4", " l5", "@@", " l15", " l16", " l17", "-l18", "+B", " l19", " l20"])
    }

    @Test func nearChangesShareAHunk() {
        #expect(UnifiedDiff.lines(old: Self.text(12), new: Self.text(12, changing: [5: "A", 8: "B"]))
                == ["@@", " l2", " l3", " l4", "-l5", "+A", " l6", " l7", "-l8", "+B", " l9", " l10", " l11", "@@"])
    }

    @Test func insertionsAndRemovals() {
        #expect(UnifiedDiff.lines(old: "a\nb\nc", new: "a\nx\nb\nc") == [" a", "+x", " b", " c"])
        #expect(UnifiedDiff.lines(old: "a\nb\nc", new: "a\nc") == [" a", "-b", " c"])
        #expect(UnifiedDiff.lines(old: "", new: "a\nb") == ["-", "+a", "+b"])
    }
}
