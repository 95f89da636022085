import SluiceYAML

/// A chart object annotated `helm.sh/hook`: not part of the add-on's objects (never diffed,
/// pruned or checked for drift) but run around its apply, as Helm runs it: `pre-*` hooks
/// before the objects are applied, `post-*` once they are healthy, each waited for (a Job
/// until it completes, a Pod until it succeeds), in weight order. Read as Helm's
/// `releaseutil.SortManifests` reads the annotations: events and policies are comma lists,
/// trimmed and lower-cased; a weight that is not an integer is 0; unknown events never run.
public struct ChartHook: Sendable, Equatable {
    public enum Event: String, Sendable, CaseIterable {
        case preInstall = "pre-install", postInstall = "post-install"
        case preUpgrade = "pre-upgrade", postUpgrade = "post-upgrade"
        case preDelete = "pre-delete", postDelete = "post-delete"
        case preRollback = "pre-rollback", postRollback = "post-rollback"
        case test, testSuccess = "test-success"
    }

    public enum DeletePolicy: String, Sendable, CaseIterable {
        case beforeHookCreation = "before-hook-creation"
        case hookSucceeded = "hook-succeeded"
        case hookFailed = "hook-failed"
    }

    public static let annotation = "helm.sh/hook"
    public static let weightAnnotation = "helm.sh/hook-weight"
    public static let deletePolicyAnnotation = "helm.sh/hook-delete-policy"

    public var events: [Event]
    public var weight: Int
    /// As written (lower-cased): Helm keeps unknown values too, so a policy list of only
    /// unknown values is not empty and gets no default.
    public var deletePolicies: [String]

    /// What an object's annotations make of it.
    public enum Declaration: Sendable, Equatable {
        /// An ordinary object.
        case none
        case hook(ChartHook)
        /// An event Helm does not know: Helm leaves the object out altogether (neither a hook
        /// nor an object), and so does Sluice.
        case unknownEvent(String)
    }

    public static func declaration(in annotations: [String: Value]) -> Declaration {
        guard let declared = annotations[annotation] else { return .none }
        // A non-string annotation would not parse in Helm either; Sluice reads its text.
        let text = declared.stringValue ?? ""
        var events: [Event] = []
        for name in list(text) {
            guard let event = Event(rawValue: name) else { return .unknownEvent(name) }
            events.append(event)
        }
        return .hook(ChartHook(events: events, weight: atoi(annotations[weightAnnotation]?.stringValue ?? "") ?? 0,
                               deletePolicies: annotations[deletePolicyAnnotation].map { list($0.stringValue ?? "") } ?? []))
    }

    public init(events: [Event], weight: Int = 0, deletePolicies: [String] = []) {
        self.events = events
        self.weight = weight
        self.deletePolicies = deletePolicies
    }

    /// The hook of a live or rendered object; nil for an ordinary one.
    public init?(object: Value) {
        guard let annotations = object.at(["metadata", "annotations"])?.mapValue,
              case .hook(let hook) = Self.declaration(in: annotations) else { return nil }
        self = hook
    }

    /// When it runs around the objects of an install or an upgrade: before them (`pre`),
    /// after them (`post`), both, or never (tests, deletes, rollbacks: Sluice runs none of those).
    public func moments(install: Bool) -> [HookMoment] {
        (events.contains(install ? .preInstall : .preUpgrade) ? [.pre] : [])
            + (events.contains(install ? .postInstall : .postUpgrade) ? [.post] : [])
    }

    /// Helm's `execHook`: with no policy named, the old hook is deleted before the new one
    /// is created.
    public func deletes(_ policy: DeletePolicy) -> Bool {
        deletePolicies.isEmpty ? policy == .beforeHookCreation : deletePolicies.contains(policy.rawValue)
    }

    /// Read for every hook object of every pair: ASCII (what annotations hold) byte by byte,
    /// anything else as Go's `TrimSpace` and `ToLower` read it.
    private static func list(_ text: String) -> [String] {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
            return text.split(separator: ",", omittingEmptySubsequences: false).map { String(trimmed($0)).lowercased() }
        }
        var items: [String] = []
        var bytes = Array(text.utf8)[...]
        while true {
            let end = bytes.firstIndex(of: UInt8(ascii: ",")) ?? bytes.endIndex
            var item = bytes[bytes.startIndex..<end]
            while let first = item.first, Self.isSpace(first) { item = item.dropFirst() }
            while let last = item.last, Self.isSpace(last) { item = item.dropLast() }
            items.append(String(decoding: item.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self))
            guard end < bytes.endIndex else { return items }
            bytes = bytes[(end + 1)...]
        }
    }

    /// Go's ASCII white space (`\t`, `\n`, `\v`, `\f`, `\r`, space).
    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }

    private static func trimmed(_ text: Substring) -> Substring {
        var view = text
        while let first = view.first, first.isWhitespace { view = view.dropFirst() }
        while let last = view.last, last.isWhitespace { view = view.dropLast() }
        return view
    }

    /// Go's `strconv.Atoi`: an optional sign and decimal digits, nothing else, in range
    /// (what Swift's `Int(_:)` reads too).
    private static func atoi(_ text: String) -> Int? { Int(text) }
}

/// When a hook runs around its add-on's apply.
public enum HookMoment: String, Sendable, Codable, Equatable {
    case pre, post
}

