import Synchronization
import SluiceModel
import SluiceYAML

/// The output of each template of one chart, kept with what it read: the paths it followed
/// from the root data (`.Values.controller.image`, `.Release.Revision`, `.Capabilities...`)
/// and what each gave. A render for another cluster whose data gives the same at every one of
/// those paths prints the same text, so the template is not run again: a value only some
/// clusters set reaches only the templates that read it. A template that used the root
/// whole (`toYaml .`, `dict "ctx" .`), drew random values or failed is never kept.
/// `.Chart`, `.Files` and `.Template` are the same for every render of a template by one
/// `ChartRenderer`, so their reads need no check.
final class ChartTemplateMemo: Sendable {
    /// What following a path from the root gives, as the evaluator's walk in Helm's dialect
    /// sees it: a value (a missing key is nil), or an error (a field of nil or of a scalar).
    enum Outcome: Equatable, Sendable {
        case value(Value)
        case failed
        /// A chart's `.Files` (its methods are the chart's own files): the same for every render.
        case files
    }

    struct Entry: Sendable {
        var reads: [(path: [String], outcome: Outcome)]
        var now: Int64
        var text: String
    }

    /// Entries kept per template: enough for the few value sets of a fleet's clusters that a
    /// template tells apart, bounded for the templates that read what every cluster sets.
    static let entriesPerTemplate = 8
    /// Misses in a row after which a template is taken to read what differs on every render
    /// (a per-cluster label): it is neither looked up nor kept any more, which cost more than
    /// its render saved.
    static let missesBeforeGivingUp = 16

    private struct Slot {
        var entries: [Entry] = []
        var misses = 0
        var gaveUp: Bool { misses >= ChartTemplateMemo.missesBeforeGivingUp }
    }

    private let slots = Mutex<[String: Slot]>([:])
    /// Templates answered from the memo (for tests and benchmarks).
    let hits = Atomic<Int>(0)

    static func constant(_ path: [String]) -> Bool {
        guard let first = path.first else { return true }
        return first == "Chart" || first == "Files" || first == "Template"
    }

    static func outcome(of path: [String], in root: Value) -> Outcome {
        var current = root
        for field in path {
            switch current {
            case .map(let map):
                if HelmFiles.files(of: current) != nil { return .files }
                current = map[field] ?? .null
            default:
                return .failed
            }
        }
        if HelmFiles.files(of: current) != nil { return .files }
        return .value(current)
    }

    /// The text kept for `template` whose reads give the same in `root`, if any.
    func text(of template: String, root: Value, now: Int64) -> String? {
        slots.withLock { slots -> String? in
            guard var slot = slots[template], !slot.gaveUp else { return nil }
            for (index, entry) in slot.entries.enumerated() where entry.now == now {
                guard entry.reads.allSatisfy({ Self.outcome(of: $0.path, in: root) == $0.outcome }) else { continue }
                if index > 0 {
                    // The most recently useful first.
                    slot.entries.remove(at: index)
                    slot.entries.insert(entry, at: 0)
                }
                slot.misses = 0
                slots[template] = slot
                hits.add(1, ordering: .relaxed)
                return entry.text
            }
            slot.misses += 1
            if slot.gaveUp { slot.entries = [] }
            slots[template] = slot
            return nil
        }
    }

    func remember(_ text: String, of template: String, paths: [[String]], root: Value, now: Int64) {
        if slots.withLock({ $0[template]?.gaveUp == true }) { return }
        var seen = Set<[String]>()
        var reads: [(path: [String], outcome: Outcome)] = []
        for path in paths where !Self.constant(path) && seen.insert(path).inserted {
            reads.append((path, Self.outcome(of: path, in: root)))
        }
        let entry = Entry(reads: reads, now: now, text: text)
        slots.withLock { slots in
            var slot = slots[template] ?? Slot()
            guard !slot.gaveUp else { return }
            slot.entries.insert(entry, at: 0)
            if slot.entries.count > Self.entriesPerTemplate { slot.entries.removeLast() }
            slots[template] = slot
        }
    }
}
