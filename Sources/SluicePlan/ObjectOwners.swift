import SluiceModel
import SluiceYAML
import SluiceRender

/// The add-on that renders each object of one cluster. Two add-ons rendering one object
/// would fight over it, so the second claim is an error.
struct ObjectOwners {
    private var owners: [ObjectKey: (addon: String, template: String)]

    init(capacity: Int) { owners = .init(minimumCapacity: capacity) }

    /// Claims the add-on's objects; one diagnostic for each object another add-on has.
    mutating func claim(_ rendered: RenderedAddon) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        for object in rendered.objects {
            if let owner = owners[object.key], owner.addon != rendered.addon {
                problems.append(Diagnostic(file: object.template, message:
                    "\(object.key) is also rendered by add-on \"\(owner.addon)\" (\(owner.template)); an object belongs to one add-on",
                                           code: "plan.objectInTwoAddons"))
            } else {
                owners[object.key] = (rendered.addon, object.template)
            }
        }
        return problems
    }
}
