import SluiceModel
import SluiceYAML
import SluiceRender

/// Checks rendered objects against the manifest rules of the policies.
public struct ManifestRuleChecker: Sendable {
    public let rules: [ManifestRule]

    public init(rules: [ManifestRule]) { self.rules = rules }

    /// One message per violation, without the cluster (the caller adds or collapses it). An
    /// image that comes from the cluster's release is reported where the release file names
    /// it, since that is the line to fix; everything else at the template.
    public func violations(in rendered: RenderedAddon, release: AddonRelease? = nil) -> [Diagnostic] {
        var found: [Diagnostic] = []
        let images = release?.entry(for: rendered.addon)?.images.values.map { $0 } ?? []
        for object in rendered.objects {
            let pods = PodSpecs.containers(of: object)
            for rule in rules {
                for problem in check(rule, object: object, pods: pods, addon: rendered.addon) {
                    let message = "\(object.key): \(problem.text): \(rule.message) [rule \"\(rule.name)\" in \(rule.file)]"
                    if let image = problem.image, let release, let written = images.first(where: { $0.value == image }) {
                        found.append(Diagnostic(file: release.header.file, mark: written.mark, message: message))
                    } else {
                        found.append(Diagnostic(file: object.template, message: message))
                    }
                }
            }
        }
        return found
    }

    private struct Problem {
        var text: String
        /// The image the problem is about, if it is about one.
        var image: String?
    }

    private func check(_ rule: ManifestRule, object: RenderedObject, pods: PodSpecs, addon: String) -> [Problem] {
        switch rule.kind {
        case .imageTag(let forbidden):
            return pods.containers.compactMap { container in
                guard let image = container.image else { return Problem(text: "container \"\(container.name)\" has no image") }
                if image.utf8.contains(UInt8(ascii: "@")) { return nil }
                guard let tag = ImageReference.tag(of: image) else {
                    return Problem(text: "container \"\(container.name)\" image \"\(image)\" has no tag", image: image)
                }
                return forbidden.contains(tag) ? Problem(text: "container \"\(container.name)\" image \"\(image)\" uses the tag \"\(tag)\"", image: image) : nil
            }
        case .resourceLimits(let kinds, let resources):
            guard kinds.isEmpty || kinds.contains(object.key.kind) else { return [] }
            return pods.containers.flatMap { container in
                resources.filter { container.limits[$0] == nil }.map {
                    Problem(text: "container \"\(container.name)\" sets no resources.limits.\($0)")
                }
            }
        case .hostNetwork(let namespaces, let addons):
            guard pods.hostNetwork, !namespaces.contains(object.key.namespace), !addons.contains(addon) else { return [] }
            return [Problem(text: "uses hostNetwork in namespace \"\(object.key.namespace)\"")]
        }
    }
}

/// The containers of whatever pod template an object carries (Pod, workloads, Jobs, CronJobs).
struct PodSpecs {
    struct Container {
        var name: String
        var image: String?
        var limits: [String: Value]
    }

    var containers: [Container] = []
    var hostNetwork = false

    private static let podTemplateSpec = ["spec", "template", "spec"]
    private static let cronJobPodSpec = ["spec", "jobTemplate", "spec", "template", "spec"]
    private static let limits = ["resources", "limits"]

    static func containers(of object: RenderedObject) -> PodSpecs {
        let root = object.object
        let spec: Value?
        switch object.key.kind {
        case "Pod": spec = root["spec"]
        case "CronJob": spec = root.at(Self.cronJobPodSpec)
        default: spec = root.at(Self.podTemplateSpec)
        }
        guard let spec else { return PodSpecs() }
        var result = PodSpecs()
        if case .bool(true)? = spec["hostNetwork"] { result.hostNetwork = true }
        for key in ["initContainers", "containers"] {
            for item in spec[key]?.listValue ?? [] {
                result.containers.append(Container(
                    name: item["name"]?.stringValue ?? "?", image: item["image"]?.stringValue,
                    limits: item.at(Self.limits)?.mapValue ?? [:]))
            }
        }
        return result
    }
}
