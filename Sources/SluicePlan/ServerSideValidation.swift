import SluiceCore
import SluiceModel
import SluiceRender

/// Server-side validation of a pair's plan (issue 10): each create and patch is sent to the
/// cluster as a dry run (`dryRun=All`, strict field validation), and what the API server or
/// its admission webhooks refuse blocks the pair, named by template file and object. A kind
/// the cluster does not serve yet is not refused when a CRD the same plan installs on the
/// cluster defines it. Drivers that cannot dry-run (the simulated one) answer nil: nothing
/// is checked. One per cluster: the CRDs it renders are gathered once, when first needed.
final class ServerSideValidation {
    let driver: any ClusterDriver
    /// The cluster's rendered objects, gathered only when a kind is not served (the CRDs among
    /// them may define it).
    private let rendered: () -> [RenderedObject]
    private var definedKinds: Set<String>?

    init(driver: any ClusterDriver, rendered: @escaping () -> [RenderedObject]) {
        self.driver = driver
        self.rendered = rendered
    }

    static func definedKinds(_ objects: [RenderedObject]) -> Set<String> {
        Set(objects.compactMap { object in
            guard object.key.isCustomResourceDefinition,
                  let group = object.object.at(["spec", "group"])?.stringValue,
                  let kind = object.object.at(["spec", "names", "kind"])?.stringValue else { return nil }
            return "\(group)/\(kind)"
        })
    }

    /// Refusals of `steps`; throws what is not a refusal (the cluster cannot be reached).
    func rejections(of steps: [ApplyStep], target: [RenderedObject]) async throws(DriverError) -> [FleetPlan.ServerRejection] {
        var found: [FleetPlan.ServerRejection] = []
        let byKey = Dictionary(target.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for step in steps {
            do {
                if let apply = step.serverSide, step.action != .delete, step.action != .unchanged {
                    if case .recreate = step.action {} else {
                        _ = try await driver.dryRunApplyServerSide(apply.object, key: step.key, force: apply.force)
                        continue
                    }
                }
                switch step.action {
                case .create(let object):
                    _ = try await driver.dryRunCreate(object, key: step.key)
                case .update(let patch):
                    _ = try await driver.dryRunPatch(step.key, mergePatch: patch)
                case .recreate:
                    if let object = step.object { _ = try await driver.dryRunCreate(object, key: step.key) }
                case .delete, .unchanged:
                    continue
                }
            } catch {
                let message: String
                switch error {
                case .invalid(_, let why): message = why
                case .kindNotServed(let key):
                    if definedKinds == nil { definedKinds = Self.definedKinds(rendered()) }
                    if definedKinds?.contains("\(key.group)/\(key.kind)") == true { continue }
                    message = error.description
                case .fieldConflict(_, let why): message = why
                case .conflict, .notFound:
                    // Created or deleted meanwhile: the apply reads it again.
                    continue
                case .unavailable, .refused:
                    throw error
                }
                let object = byKey[step.key]
                found.append(FleetPlan.ServerRejection(template: object?.template ?? "", apiVersion: object?.apiVersion ?? "",
                                                       kind: step.key.kind, namespace: step.key.namespace, name: step.key.name,
                                                       message: message))
            }
        }
        return found
    }
}
