import SluiceModel
import SluiceYAML
import SluiceRender
import Testing

@Suite(.timeLimit(.minutes(10))) struct ValuesMergeTests {
    @Test func mapsMergeDeeplyListsAndScalarsReplaceNullDeletes() {
        let base = Value.map([
            "replicas": .int(2),
            "resources": .map(["requests": .map(["cpu": .string("100m"), "memory": .string("64Mi")]), "limits": .map(["cpu": .string("1")])]),
            "args": .list([.string("--a"), .string("--b")]),
            "debug": .bool(true),
        ])
        let override = Value.map([
            "replicas": .int(5),
            "resources": .map(["requests": .map(["cpu": .string("250m")]), "limits": .null]),
            "args": .list([.string("--c")]),
            "debug": .null,
            "new": .string("x"),
        ])
        #expect(ValuesMerge.merge(base, override) == .map([
            "replicas": .int(5),
            "resources": .map(["requests": .map(["cpu": .string("250m"), "memory": .string("64Mi")])]),
            "args": .list([.string("--c")]),
            "new": .string("x"),
        ]))
        #expect(ValuesMerge.merge(base, .null) == base)
    }
}
