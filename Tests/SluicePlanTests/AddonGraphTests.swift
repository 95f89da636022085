import SluiceModel
import SluiceYAML
import SluicePlan
import Testing

@Suite(.timeLimit(.minutes(10))) struct AddonGraphTests {
    func graph(_ spec: [(String, [String])], release members: [String]? = nil) throws(ValidationFailure) -> AddonGraph {
        let repo = try GraphFixture.load(spec, release: members ?? spec.map(\.0))
        guard let release = repo.releases["r"] else { throw ValidationFailure([]) }
        return try AddonGraph.build(release: release, addons: repo.addons)
    }

    @Test func orderAndLevels() throws {
        let g = try graph([("net", []), ("proxy", []), ("dns", ["net"]), ("metrics", ["dns"]), ("ingress", ["dns", "proxy"]), ("mon", ["metrics", "ingress"])])
        #expect(g.levels == [["net", "proxy"], ["dns"], ["ingress", "metrics"], ["mon"]])
        #expect(g.order == ["net", "proxy", "dns", "ingress", "metrics", "mon"])
        for (name, deps) in g.dependencies {
            for dep in deps { #expect(g.order.firstIndex(of: dep)! < g.order.firstIndex(of: name)!) }
        }
        #expect(g.order(of: ["mon", "net"]) == ["net", "mon"])
    }

    @Test func cycleIsReportedAsItsPath() {
        #expect { try graph([("a", ["c"]), ("b", ["a"]), ("c", ["b"]), ("d", [])]) } throws: { error in
            (error as? ValidationFailure)?.diagnostics.map(\.message) == ["dependency cycle: a -> c -> b -> a"]
        }
    }

    @Test func dependencyOutsideTheReleaseIsNamed() {
        #expect { try graph([("a", []), ("b", ["a"])], release: ["b"]) } throws: { error in
            let d = (error as? ValidationFailure)?.diagnostics.first
            return d?.file == "addons/b/addon.yaml" && d?.mark == Mark(line: 7, column: 15)
                && d?.code == "graph.dependencyNotInRelease"
        }
    }
}
