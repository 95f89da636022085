import SluiceModel
import SluiceYAML

/// The dependency graph of one release: a topological order (dependencies first, ties by
/// name) and levels of add-ons that can be applied in parallel.
public struct AddonGraph: Sendable {
    public let release: String
    /// Every add-on of the release, each after all its dependencies.
    public let order: [String]
    /// `levels[0]` depends on nothing; `levels[n]` only on add-ons of earlier levels.
    public let levels: [[String]]
    /// The release's add-ons each one depends on.
    public let dependencies: [String: [String]]

    /// Builds the graph; reports dependencies outside the release and every cycle as its path.
    public static func build(release: AddonRelease, addons: [String: Addon]) throws(ValidationFailure) -> AddonGraph {
        var problems: [Diagnostic] = []
        let members = release.entries.map(\.addon.value).filter { addons[$0] != nil }
        let memberSet = Set(members)
        var dependencies: [String: [String]] = [:]
        for name in members {
            guard let addon = addons[name] else { continue }
            var inRelease: [String] = []
            for dependency in addon.dependsOn {
                if memberSet.contains(dependency.value) {
                    inRelease.append(dependency.value)
                } else if addons[dependency.value] != nil {
                    problems.append(Diagnostic(file: addon.header.file, mark: dependency.mark, message:
                        "add-on \"\(name)\" depends on \"\(dependency.value)\", which release \"\(release.name)\" (\(release.header.file)) does not include",
                        code: "graph.dependencyNotInRelease"))
                }
                // A dependency on an add-on that does not exist at all is reported by FleetValidator.
            }
            dependencies[name] = inRelease
        }
        problems += cycles(members: members.sorted(), dependencies: dependencies, addons: addons)
        guard problems.isEmpty else { throw ValidationFailure(problems) }

        // Kahn's algorithm by layers: O(add-ons + edges).
        var level: [String: Int] = [:]
        var remaining = dependencies.mapValues(\.count)
        var dependents: [String: [String]] = [:]
        for (name, deps) in dependencies { for dep in deps { dependents[dep, default: []].append(name) } }
        var current = members.filter { remaining[$0] == 0 }.sorted()
        var levels: [[String]] = []
        while !current.isEmpty {
            levels.append(current)
            var next: [String] = []
            for name in current {
                level[name] = levels.count - 1
                for dependent in dependents[name] ?? [] {
                    remaining[dependent, default: 0] -= 1
                    if remaining[dependent] == 0 { next.append(dependent) }
                }
            }
            current = next.sorted()
        }
        return AddonGraph(release: release.name, order: levels.flatMap { $0 }, levels: levels, dependencies: dependencies)
    }

    /// The order restricted to a subset (a cluster's enabled add-ons).
    public func order(of subset: Set<String>) -> [String] { order.filter(subset.contains) }

    /// Each cycle once, as `a -> b -> c -> a` starting from its smallest name.
    private static func cycles(members: [String], dependencies: [String: [String]], addons: [String: Addon]) -> [Diagnostic] {
        enum Color { case white, grey, black }
        var color = Dictionary(uniqueKeysWithValues: members.map { ($0, Color.white) })
        var stack: [String] = []
        var found: Set<[String]> = []
        var problems: [Diagnostic] = []

        func visit(_ node: String) {
            color[node] = .grey
            stack.append(node)
            for next in (dependencies[node] ?? []).sorted() {
                switch color[next] {
                case .grey?:
                    guard let start = stack.lastIndex(of: next) else { continue }
                    var cycle = Array(stack[start...])
                    let smallest = cycle.indices.min { cycle[$0] < cycle[$1] } ?? 0
                    cycle = Array(cycle[smallest...] + cycle[..<smallest])
                    guard found.insert(cycle).inserted, let first = addons[cycle[0]] else { continue }
                    let target = cycle.count > 1 ? cycle[1] : cycle[0]
                    let mark = first.dependsOn.first { $0.value == target }?.mark ?? first.header.name.mark
                    problems.append(Diagnostic(file: first.header.file, mark: mark, message:
                        "dependency cycle: \((cycle + [cycle[0]]).joined(separator: " -> "))"))
                case .white?:
                    visit(next)
                default:
                    break
                }
            }
            stack.removeLast()
            color[node] = .black
        }
        for member in members where color[member] == .white { visit(member) }
        return problems
    }
}
