import Foundation
import SluiceRender
@testable import SluicePlan
import SluiceModel
@testable import SluiceSchemas
import SluiceYAML
import SluiceTestSupport
import Testing

/// The offline schema validator against the OpenAPI v3 documents a real kube-apiserver
/// (v1.28) served (`Tests/Fixtures/openapi`, from ../shared/k8s-api/openapi with the
/// descriptions removed by scripts/strip-openapi.py).
@Suite(.timeLimit(.minutes(10))) struct SchemaValidationTests {
    static let folder = ProjectPaths.openAPIDocuments
    static let schemas: KubernetesSchemas = {
        do { return try KubernetesSchemas.load(directory: folder) } catch { fatalError("fixtures: \(error)") }
    }()

    static func value(_ yaml: String) throws -> Value {
        try #require(try YAMLParser().parseValues(Array(yaml.utf8), file: "test.yaml").first).value
    }

    static func violations(_ yaml: String, crds: CustomResourceSchemas = CustomResourceSchemas()) throws -> [SchemaViolation] {
        let object = try value(yaml)
        return schemas.violations(of: object, apiVersion: object["apiVersion"]?.stringValue ?? "",
                                  kind: object["kind"]?.stringValue ?? "", customResources: crds)
    }

    static func deployment(spec extra: String = "", container: String = "", replicas: String = "2") -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: apps, labels: {app: web}}
        spec:
          replicas: \(replicas)
          selector: {matchLabels: {app: web}}
          strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 25%, maxSurge: 1}}
        \(extra)
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
                - name: web
                  image: nginx:1.25
                  ports: [{containerPort: 80, protocol: TCP}]
                  resources: {limits: {cpu: 100m, memory: 1}}
        \(container)
        """
    }

    @Test func theCapturedDocumentsDefineTheBuiltInKinds() throws {
        #expect(Self.schemas.kindCount > 150)
        #expect(try Self.violations(Self.deployment()).isEmpty)
    }

    @Test func aWrongTypeIsFoundThroughRefs() throws {
        let found = try Self.violations(Self.deployment(replicas: "six"))
        #expect(found == [SchemaViolation(path: "spec.replicas", problem: .wrongType(expected: "an integer", found: "string \"six\""))])
        // A Go int field takes no 3.0; an int32 takes no 3 billion.
        #expect(try Self.violations(Self.deployment(replicas: "3.0")).map(\.problem.name) == ["wrongType"])
        #expect(try Self.violations(Self.deployment(replicas: "3000000000")).map(\.problem.name) == ["outOfBounds"])
        #expect(try Self.violations(Self.deployment(replicas: "null")).isEmpty)
    }

    @Test func anIndentThatMovesLimitsIntoTheContainerIsAnUnknownField() throws {
        let found = try Self.violations(Self.deployment(container: "          limits: {cpu: 100m}"))
        #expect(found == [SchemaViolation(path: "spec.template.spec.containers[0].limits", problem: .unknownField)])
    }

    @Test func intOrStringQuantitiesEnumsAndRequiredFields() throws {
        #expect(try Self.violations(Self.deployment().replacingOccurrences(of: "maxSurge: 1", with: "maxSurge: true")).map(\.path)
                == ["spec.strategy.rollingUpdate.maxSurge"])
        #expect(try Self.violations(Self.deployment().replacingOccurrences(of: "memory: 1", with: "memory: [1]")).map(\.path)
                == ["spec.template.spec.containers[0].resources.limits.memory"])
        let policy = try Self.violations(Self.deployment(container: "          imagePullPolicy: Sometimes"))
        #expect(policy.map(\.problem) == [.notInEnum(allowed: ["\"Always\"", "\"IfNotPresent\"", "\"Never\""])])
        let noSelector = try Self.violations(Self.deployment().replacingOccurrences(of: "  selector: {matchLabels: {app: web}}\n", with: ""))
        #expect(noSelector == [SchemaViolation(path: "spec.selector", problem: .missingField)])
        let label = try Self.violations(Self.deployment().replacingOccurrences(of: "labels: {app: web}}", with: "labels: {app: web, version: 2}}"))
        #expect(label.map(\.path) == ["metadata.labels.version", "spec.template.metadata.labels.version"])
    }

    @Test func aFieldNamedDescriptionIsAField() throws {
        // The fixtures are stripped of descriptions; PriorityClass has a field of that name.
        #expect(try Self.violations("""
            apiVersion: scheduling.k8s.io/v1
            kind: PriorityClass
            metadata: {name: critical}
            value: 1000
            description: for add-ons
            """).isEmpty)
    }

    @Test func aSecretsValuesStayOutOfMessages() throws {
        let found = try Self.violations("""
            apiVersion: v1
            kind: Secret
            metadata: {name: db, namespace: apps}
            stringData: {password: 8675309}
            """)
        #expect(found.map(\.path) == ["stringData.password"])
        #expect(!found.map(\.description).joined().contains("8675309"))
    }

    @Test func anUnknownKindHasNoSchema() throws {
        let found = try Self.violations("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
        #expect(found.map(\.problem) == [.noSchema(apiVersion: "example.com/v1", kind: "Widget")])
    }

    static let widgetCRD = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: widgets.example.com}
        spec:
          group: example.com
          scope: Namespaced
          names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
          versions:
            - name: v1
              served: true
              storage: true
              schema:
                openAPIV3Schema:
                  type: object
                  properties:
                    metadata: {type: object}
                    spec:
                      type: object
                      required: [size]
                      properties:
                        size: {type: integer, minimum: 1, maximum: 10}
                        port: {x-kubernetes-int-or-string: true}
                        mode: {type: string, enum: [fast, safe]}
                        config: {type: object, x-kubernetes-preserve-unknown-fields: true, properties: {level: {type: integer}}}
                        template: {type: object, x-kubernetes-embedded-resource: true, x-kubernetes-preserve-unknown-fields: true}
                        empty: {type: object}
                        target:
                          type: object
                          oneOf: [{required: [name]}, {required: [selector]}]
                          properties: {name: {type: string}, selector: {type: string}}
            - name: v0
              served: false
              storage: false
              schema: {openAPIV3Schema: {type: object}}
        """

    static func widget(_ spec: String) -> String {
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: apps}\nspec:\n" + spec
    }

    @Test func aCRDsSchemaChecksItsCustomResources() throws {
        let crd = try Self.value(Self.widgetCRD)
        // The CRD itself is checked against the built-in JSONSchemaProps, which refers to itself.
        #expect(Self.schemas.violations(of: crd, apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition").isEmpty)
        let (crds, problems) = CustomResourceSchemas.from(crd: crd)
        #expect(problems.isEmpty)

        let good = Self.widget("""
              size: 3.0
              port: http
              config: {level: 2, anything: [1, 2]}
              template: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {a: b}}
              target: {name: a}
            """)
        #expect(try Self.violations(good, crds: crds).isEmpty)

        let bad = Self.widget("""
              size: 11
              port: [80]
              mode: slow
              config: {level: high}
              template: {apiVersion: v1, metadata: {name: 5}}
              empty: {kept: no}
              target: {name: a, selector: b}
              extra: 1
            """)
        let found = try Self.violations(bad, crds: crds)
        #expect(Set(found.map { "\($0.path) \($0.problem.name)" }) == [
            "spec.size outOfBounds", "spec.port wrongType", "spec.mode notInEnum", "spec.config.level wrongType",
            "spec.template.kind missingField", "spec.template.metadata.name wrongType", "spec.empty.kept unknownField",
            "spec.target alternatives", "spec.extra unknownField",
        ])
        #expect(try Self.violations(Self.widget("  port: 80\n"), crds: crds) == [SchemaViolation(path: "spec.size", problem: .missingField)])
        // The root's `metadata: {type: object}` does not make ObjectMeta's fields unknown.
        #expect(try Self.violations(Self.widget("  size: 1\n").replacingOccurrences(of: "namespace: apps}", with: "namespace: apps, labels: {a: b}}"), crds: crds).isEmpty)
        // A version that is not served has no schema.
        #expect(try Self.violations(Self.widget("  size: 1\n").replacingOccurrences(of: "example.com/v1", with: "example.com/v0"), crds: crds)
                .map(\.problem.name) == ["noSchema"])
    }

    static func nestedAlternatives(levels: Int) -> (schema: Value, object: Value) {
        var schema: Value = .map(["type": .string("integer")])
        var object: Value = .int(1)
        for _ in 0..<levels {
            schema = .map(["type": .string("object"), "properties": .map(["a": schema]),
                           "anyOf": .list([.map(["properties": .map(["a": schema])]), .map(["properties": .map(["a": schema])])])])
            object = .map(["a": object])
        }
        return (schema, object)
    }

    @Test func nestedAlternativesStopAtTheBudgets() throws {
        // anyOf inside anyOf: 3^levels schema nodes and checking paths. Too many nodes is
        // refused when compiling; a schema that compiles but checks too long is reported.
        var large = SchemaCompiler(origin: .customResource)
        #expect(throws: SchemaCompileError.self) { try large.compile(Self.nestedAlternatives(levels: 24).schema, path: "") }
        let (schema, object) = Self.nestedAlternatives(levels: 10)
        var compiler = SchemaCompiler(origin: .customResource)
        let node = try compiler.compile(schema, path: "")
        let root = SchemaRoot(graph: compiler.graph, node: node)
        var validator = SchemaValidator(objectMeta: nil, revealValues: true, stepBudget: 20_000)
        validator.check(object: object, root: root)
        #expect(validator.violations.map(\.problem).contains(.tooComplex))
    }

    /// `anyOf`s of `$ref`s to one schema, nested 40 deep: 2^40 paths through them, checked
    /// once per schema and place (depth 16 took 15 s, 40 did not finish).
    @Test func nestedAlternativesOfReferencesAreCheckedOncePerPlace() throws {
        var schemas: [String] = [##""a.L0":{"type":"integer"}"##]
        for level in 1...40 {
            let ref = ##"{"$ref":"#/components/schemas/a.L\##(level - 1)"}"##
            schemas.append(##""a.L\##(level)":{"anyOf":[\##(ref),\##(ref)],"oneOf":[\##(ref)]}"##)
        }
        schemas.append(##""a.Deep":{"type":"object","x-kubernetes-group-version-kind":[{"group":"x","version":"v1","kind":"Deep"}],"properties":{"apiVersion":{"type":"string"},"kind":{"type":"string"},"x":{"$ref":"#/components/schemas/a.L40"}}}"##)
        let document = ##"{"openapi":"3.0.0","components":{"schemas":{"## + schemas.joined(separator: ",") + "}}}"
        let loaded = try KubernetesSchemas(documents: [("deep.json", document)])
        #expect(loaded.violations(of: try Self.value("apiVersion: x/v1\nkind: Deep\nx: 5\n"), apiVersion: "x/v1", kind: "Deep").isEmpty)
        let wrong = loaded.violations(of: try Self.value("apiVersion: x/v1\nkind: Deep\nx: five\n"), apiVersion: "x/v1", kind: "Deep")
        #expect(!wrong.isEmpty && !wrong.contains { $0.problem == .tooComplex })
        #expect(wrong.allSatisfy { $0.path == "x" })
    }

    /// A keyword of the wrong shape is an error, not a schema that checks nothing.
    @Test(arguments: ["required: size", "required: [1]", "minimum: one", "enum: fast", "x-kubernetes-int-or-string: yes-please",
                      "maxLength: -1", "additionalProperties: 3", "anyOf: {}"])
    func malformedKeywordsAreReported(keyword: String) throws {
        let crd = try Self.value(Self.widgetCRD.replacingOccurrences(of: "required: [size]", with: keyword))
        let (_, problems) = CustomResourceSchemas.from(crd: crd)
        #expect(problems.count == 1, "\(keyword)")
    }

    /// A kind defined twice, by two schemas of the documents or by two CRDs, is reported.
    @Test func aKindDefinedTwiceIsReported() throws {
        let one = ##"{"openapi":"3.0.0","components":{"schemas":{"a.One":{"type":"object","x-kubernetes-group-version-kind":[{"group":"x","version":"v1","kind":"Thing"}]}}}}"##
        let two = ##"{"openapi":"3.0.0","components":{"schemas":{"b.Two":{"type":"object","x-kubernetes-group-version-kind":[{"group":"x","version":"v1","kind":"Thing"}]}}}}"##
        #expect(throws: KubernetesSchemas.LoadError.self) { try KubernetesSchemas(documents: [("one.json", one), ("two.json", two)]) }
        let changed = ##"{"openapi":"3.0.0","components":{"schemas":{"a.One":{"type":"string","x-kubernetes-group-version-kind":[{"group":"x","version":"v1","kind":"Thing"}]}}}}"##
        #expect(throws: KubernetesSchemas.LoadError.self) { try KubernetesSchemas(documents: [("one.json", one), ("changed.json", changed)]) }
        // The same schema repeated in every document (as ObjectMeta is) is fine.
        #expect(try KubernetesSchemas(documents: [("one.json", one), ("again.json", one)]).kindCount == 1)

        let crd = try Self.value(Self.widgetCRD)
        let object = { (template: String) in
            RenderedObject(key: ObjectKey(group: "apiextensions.k8s.io", kind: "CustomResourceDefinition", namespace: "", name: "widgets.example.com"),
                           apiVersion: "apiextensions.k8s.io/v1", object: crd, template: template)
        }
        let check = SchemaCheck(schemas: Self.schemas)
        let problems = check.problems(in: [RenderedAddon(cluster: "c", addon: "a", objects: [object("a.yaml")], digest: "1"),
                                           RenderedAddon(cluster: "c", addon: "b", objects: [object("b.yaml")], digest: "2")])
        #expect(problems.contains { $0.code == "schema.kindDefinedTwice" })
    }

    /// Alternatives that refer to themselves at the same place (found by `make fuzz`: the
    /// stack overflowed) have no finite match; deep checks stop at a depth limit.
    @Test func aCycleOfAlternativesEndsWithoutTakingTheStack() throws {
        let document = ##"{"openapi":"3.0.0","components":{"schemas":{"a.Loop":{"x-kubernetes-group-version-kind":[{"group":"x","version":"v1","kind":"Loop"}],"type":"object","properties":{"apiVersion":{"type":"string"},"kind":{"type":"string"},"x":{"$ref":"#/components/schemas/a.Cycle"}}},"a.Cycle":{"anyOf":[{"$ref":"#/components/schemas/a.Cycle"},{"type":"integer"}],"oneOf":[{"$ref":"#/components/schemas/a.Cycle"}]}}}}"##
        let schemas = try KubernetesSchemas(documents: [("cycle.json", document)])
        let found = schemas.violations(of: try Self.value("apiVersion: x/v1\nkind: Loop\nx: 1\n"), apiVersion: "x/v1", kind: "Loop")
        #expect(found.map(\.path) == ["x"])
    }

    @Test func aReferenceCycleCompilesOnce() throws {
        let document = ##"{"openapi":"3.0.0","components":{"schemas":{"a.Loop":{"type":"object","x-kubernetes-group-version-kind":[{"group":"x","version":"v1","kind":"Loop"}],"properties":{"apiVersion":{"type":"string"},"kind":{"type":"string"},"next":{"allOf":[{"$ref":"#/components/schemas/a.Loop"}]},"self":{"$ref":"#/components/schemas/a.Loop"}}}}}}"##
        let schemas = try KubernetesSchemas(documents: [("loop.json", document)])
        let object = try Self.value("apiVersion: x/v1\nkind: Loop\nnext: {next: {self: {bad: 1}}}\n")
        #expect(schemas.violations(of: object, apiVersion: "x/v1", kind: "Loop").map(\.path) == ["next.next.self.bad"])
    }

    @Test func aFolderWithoutDocumentsOrWithBrokenOnesIsAnError() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-schemas-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data(#"{"body": {}}"#.utf8).write(to: URL(fileURLWithPath: folder + "/index.json"))
        #expect(throws: KubernetesSchemas.LoadError.self) { try KubernetesSchemas.load(directory: folder) }
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: folder + "/broken.json"))
        let error = try #require(throws: KubernetesSchemas.LoadError.self) { try KubernetesSchemas.load(directory: folder) }
        #expect(error.file.hasSuffix("broken.json"))
        #expect(throws: KubernetesSchemas.LoadError.self) { try KubernetesSchemas.load(directory: folder + "/missing") }
        let dangling = ##"{"openapi":"3.0.0","components":{"schemas":{"a.B":{"x-kubernetes-group-version-kind":[{"group":"","version":"v1","kind":"B"}],"$ref":"#/components/schemas/a.C"}}}}"##
        #expect(throws: KubernetesSchemas.LoadError.self) { try KubernetesSchemas(documents: [("d.json", dangling)]) }
    }

    /// Mutated schemas and objects (seeded, bounded: SLUICE_FUZZ_SEED, SLUICE_FUZZ_CASES):
    /// compiling and checking answer with violations or a typed error, never trap or hang.
    @Test func mutatedSchemasAndObjectsNeverTrap() throws {
        let cases = Int(ProcessInfo.processInfo.environment["SLUICE_FUZZ_CASES"] ?? "") ?? 300
        var random = SplitMix64(seed: UInt64(ProcessInfo.processInfo.environment["SLUICE_FUZZ_SEED"] ?? "") ?? 11)
        let crd = try Self.value(Self.widgetCRD)
        let objects = try [Self.widget("  size: 3\n  target: {name: a}\n"), Self.deployment()].map(Self.value)
        let atoms: [Value] = [.null, .bool(true), .int(Int.max), .int(-1), .double(-0.5), .string(""), .string("#/components/schemas/x"),
                              .list([]), .map([:]), .map(["$ref": .string("#/components/schemas/io.k8s.api.core.v1.PodSpec")])]
        var compiled = 0, checked = 0, clean = 0
        for _ in 0..<cases {
            let mutatedCRD = Self.mutate(crd, &random, atoms: atoms, depth: 0)
            let (crds, _) = CustomResourceSchemas.from(crd: mutatedCRD)
            if crds.root(for: GroupVersionKind(group: "example.com", version: "v1", kind: "Widget")) != nil { compiled += 1 }
            let crdViolations = Self.schemas.violations(of: mutatedCRD, apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition")
            #expect(crdViolations.count <= SchemaValidator.violationLimit)
            let object = Self.mutate(random.pick(objects), &random, atoms: atoms, depth: 0)
            for (apiVersion, kind) in [("example.com/v1", "Widget"), ("apps/v1", "Deployment")] {
                let found = Self.schemas.violations(of: object, apiVersion: apiVersion, kind: kind, customResources: crds, stepBudget: 100_000)
                // At most the limit, each with a place and a named problem.
                #expect(found.count <= SchemaValidator.violationLimit)
                #expect(found.allSatisfy { !$0.problem.name.isEmpty })
                checked += 1
                if found.isEmpty { clean += 1 }
            }
        }
        // The mutations reached the validator: some CRDs still compiled, and some objects
        // passed while others did not (a validator that refused or passed everything would fail here).
        #expect(compiled > cases / 20, "only \(compiled) of \(cases) mutated CRDs compiled")
        #expect(clean > 0 && clean < checked, "\(clean) of \(checked) mutated objects passed")
    }

    static func mutate(_ value: Value, _ random: inout SplitMix64, atoms: [Value], depth: Int) -> Value {
        if random.below(12) == 0 { return random.pick(atoms) }
        switch value {
        case .map(var map) where depth < 40:
            for key in map.keys.sorted() where random.below(3) == 0 {
                map[key] = mutate(map[key] ?? .null, &random, atoms: atoms, depth: depth + 1)
            }
            if random.below(10) == 0 { map[random.pick(["type", "items", "allOf", "oneOf", "additionalProperties", "x-kubernetes-embedded-resource", "required"])] = random.pick(atoms) }
            return .map(map)
        case .list(var items) where depth < 40:
            for index in items.indices where random.below(3) == 0 { items[index] = mutate(items[index], &random, atoms: atoms, depth: depth + 1) }
            return .list(items)
        default:
            return value
        }
    }
}
