import SluiceModel
import SluiceYAML
import SluiceRender
import SluiceCore
import Synchronization

/// The last-applied spec of a pair: the objects its recorded commit renders to (DESIGN §2
/// step 4). Equal digests mean equal objects, so the target's own objects serve when the
/// digest did not change, and a render at an old commit is kept by digest for the next pair
/// that recorded the same one.
final class LastAppliedSpecs: Sendable {
    struct Spec {
        var objects: [ObjectKey: Value]?
        var warning: String?
        /// True when the spec is the recorded commit's render (made for this pair, or for
        /// another with the same digest).
        var rendered = false
        /// True when the recorded digest is the target's, so the target is the spec.
        var fromDigest = false
    }

    private let commits: RecordedCommits
    private let cache = Mutex<[String: [ObjectKey: Value]]>([:])
    /// Enough for the changed pairs of a large fleet's typical commit (one add-on on every
    /// cluster); beyond it the cache starts again rather than grow without bound.
    private let capacity = 5_000

    init(commits: RecordedCommits) { self.commits = commits }

    func spec(for record: AppliedRecord, target: RenderedAddon) -> Spec {
        if record.digest == target.digest {
            return Spec(objects: Self.index(target.objects), fromDigest: true)
        }
        // Counted as rendered either way, so that a plan's statistics do not depend on
        // which of two clusters with the same digest got there first.
        if let cached = cache.withLock({ $0[record.digest] }) {
            return Spec(objects: cached, rendered: true)
        }
        var rendered: RenderedAddon
        switch commits.renderer(record.commit) {
        case .failure(let error):
            return Spec(objects: nil, warning: "\(error); planned against the live objects alone")
        case .success(let renderer):
            do {
                // Whether the recorded apply was Helm's install or upgrade is not recorded: the
                // upgrade's render, or the install's when that is the one the digest names.
                rendered = try renderer.render(cluster: record.cluster, addon: record.addon, upgrade: true, revision: record.revision)
                if rendered.digest != record.digest, renderer.repository.addons[record.addon]?.chart != nil,
                   let install = try? renderer.render(cluster: record.cluster, addon: record.addon, revision: record.revision),
                   install.digest == record.digest {
                    rendered = install
                }
            } catch {
                return Spec(objects: nil, warning: "the last-applied spec at \(String(record.commit.prefix(12))) does not render (\(error.message)); planned against the live objects alone")
            }
        }
        let objects = Self.index(rendered.objects)
        cache.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[record.digest] = objects
        }
        return Spec(objects: objects, rendered: true)
    }

    private static func index(_ objects: [RenderedObject]) -> [ObjectKey: Value] {
        var map = [ObjectKey: Value](minimumCapacity: objects.count)
        for object in objects { map[object.key] = PairDiffer.comparable(object.object) }
        return map
    }
}
