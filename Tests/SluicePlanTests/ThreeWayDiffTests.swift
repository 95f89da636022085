import SluiceModel
import SluiceYAML
import SluicePlan
import Testing

/// The three-way rule, case by case. Each case gives the last-applied spec, the target and
/// the live object (YAML; empty for absent) and the expected action. Every update is also
/// applied to the live object and diffed again, which must then find nothing to do.
@Suite(.timeLimit(.minutes(10))) struct ThreeWayDiffTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        var last = ""
        var target = ""
        var live = ""
        var owned = true
        /// "create", "delete", "unchanged", "none", or the expected merge patch as YAML.
        let expect: String
        var testDescription: String { name }
    }

    static func value(_ yaml: String) -> Value? {
        guard !yaml.isEmpty else { return nil }
        do {
            return try YAMLParser().parseValues(Array(yaml.utf8), file: "case.yaml").first?.value
        } catch {
            Issue.record("bad YAML in a case: \(error)")
            return nil
        }
    }

    static let container = "name: main, image: 'app:v1'"
    static func deployment(_ containers: String) -> String {
        "{apiVersion: apps/v1, kind: Deployment, metadata: {name: a}, spec: {template: {spec: {containers: [\(containers)]}}}}"
    }

    static let cases: [Case] = [
        Case(name: "not live: create", target: "{kind: ConfigMap, data: {a: '1'}}", expect: "create"),
        Case(name: "live equals target", last: "{data: {a: '1'}}", target: "{data: {a: '1'}}", live: "{data: {a: '1'}}", expect: "unchanged"),
        Case(name: "defaulted fields live only", last: deployment("{\(container)}"), target: deployment("{\(container)}"),
             live: deployment("{\(container), imagePullPolicy: IfNotPresent, terminationMessagePath: /dev/termination-log}"),
             expect: "unchanged"),
        Case(name: "image bump keeps defaulted fields", last: deployment("{\(container)}"), target: deployment("{name: main, image: 'app:v2'}"),
             live: deployment("{\(container), imagePullPolicy: IfNotPresent}"),
             expect: "{spec: {template: {spec: {containers: [{name: main, image: 'app:v2', imagePullPolicy: IfNotPresent}]}}}}"),
        Case(name: "replicas left to an HPA survive", last: "{spec: {selector: {app: a}}}", target: "{spec: {selector: {app: a}}}",
             live: "{spec: {selector: {app: a}, replicas: 5}}", expect: "unchanged"),
        Case(name: "replicas removed from the target are removed live", last: "{spec: {replicas: 2}}", target: "{spec: {}}",
             live: "{spec: {replicas: 5}}", expect: "{spec: {replicas: null}}"),
        Case(name: "replicas changed", last: "{spec: {replicas: 2}}", target: "{spec: {replicas: 3}}", live: "{spec: {replicas: 2}}",
             expect: "{spec: {replicas: 3}}"),
        Case(name: "target replicas win over a drifted live value", last: "{spec: {replicas: 3}}", target: "{spec: {replicas: 3}}",
             live: "{spec: {replicas: 5}}", expect: "{spec: {replicas: 3}}"),
        Case(name: "field removed from target", last: "{data: {a: '1', b: '2'}}", target: "{data: {a: '1'}}",
             live: "{data: {a: '1', b: '2'}}", expect: "{data: {b: null}}"),
        Case(name: "live-only field stays", last: "{data: {a: '1'}}", target: "{data: {a: '1'}}", live: "{data: {a: '1', c: '3'}}",
             expect: "unchanged"),
        Case(name: "removed field already gone live", last: "{data: {a: '1', b: '2'}}", target: "{data: {a: '1'}}",
             live: "{data: {a: '1'}}", expect: "unchanged"),
        Case(name: "label added", last: "{metadata: {labels: {a: x}}}", target: "{metadata: {labels: {a: x, b: y}}}",
             live: "{metadata: {labels: {a: x}}}", expect: "{metadata: {labels: {b: y}}}"),
        Case(name: "label removed", last: "{metadata: {labels: {a: x, b: y}}}", target: "{metadata: {labels: {a: x}}}",
             live: "{metadata: {labels: {a: x, b: y}}}", expect: "{metadata: {labels: {b: null}}}"),
        Case(name: "annotation of another controller survives", last: "{metadata: {annotations: {a: x}}}",
             target: "{metadata: {annotations: {a: x}}}",
             live: "{metadata: {annotations: {a: x, deployment.kubernetes.io/revision: '4'}}}", expect: "unchanged"),
        Case(name: "webhook sidecar survives", last: deployment("{\(container)}"), target: deployment("{\(container)}"),
             live: deployment("{\(container)}, {name: istio-proxy, image: 'proxy:1'}"), expect: "unchanged"),
        Case(name: "webhook sidecar survives an image bump", last: deployment("{\(container)}"),
             target: deployment("{name: main, image: 'app:v2'}"),
             live: deployment("{name: istio-proxy, image: 'proxy:1'}, {\(container)}"),
             expect: "{spec: {template: {spec: {containers: [{name: istio-proxy, image: 'proxy:1'}, {name: main, image: 'app:v2'}]}}}}"),
        Case(name: "container removed", last: deployment("{\(container)}, {name: old, image: 'old:1'}"),
             target: deployment("{\(container)}"), live: deployment("{\(container)}, {name: old, image: 'old:1'}"),
             expect: "{spec: {template: {spec: {containers: [{\(container)}]}}}}"),
        Case(name: "container added", last: deployment("{\(container)}"), target: deployment("{\(container)}, {name: new, image: 'new:1'}"),
             live: deployment("{\(container)}"),
             expect: "{spec: {template: {spec: {containers: [{\(container)}, {name: new, image: 'new:1'}]}}}}"),
        Case(name: "foreign env var survives our change", last: "{env: [{name: A, value: '1'}]}", target: "{env: [{name: A, value: '2'}]}",
             live: "{env: [{name: A, value: '1'}, {name: INJECTED, value: x}]}",
             expect: "{env: [{name: A, value: '2'}, {name: INJECTED, value: x}]}"),
        Case(name: "env var removed", last: "{env: [{name: A, value: '1'}, {name: B, value: '2'}]}", target: "{env: [{name: A, value: '1'}]}",
             live: "{env: [{name: A, value: '1'}, {name: B, value: '2'}]}", expect: "{env: [{name: A, value: '1'}]}"),
        Case(name: "env var from a value to a secret ref", last: "{env: [{name: A, value: '1'}]}",
             target: "{env: [{name: A, valueFrom: {secretKeyRef: {name: s, key: k}}}]}", live: "{env: [{name: A, value: '1'}]}",
             expect: "{env: [{name: A, valueFrom: {secretKeyRef: {name: s, key: k}}}]}"),
        Case(name: "container port added", last: "{ports: [{containerPort: 80}]}", target: "{ports: [{containerPort: 80}, {containerPort: 9090, name: metrics}]}",
             live: "{ports: [{containerPort: 80, protocol: TCP}]}",
             expect: "{ports: [{containerPort: 80, protocol: TCP}, {containerPort: 9090, name: metrics}]}"),
        Case(name: "DNS ports keyed by protocol too", last: "{spec: {ports: [{port: 53, protocol: UDP, targetPort: 53}, {port: 53, protocol: TCP, targetPort: 53}]}}",
             target: "{spec: {ports: [{port: 53, protocol: UDP, targetPort: 53}, {port: 53, protocol: TCP, targetPort: 5353}]}}",
             live: "{spec: {ports: [{port: 53, protocol: UDP, targetPort: 53}, {port: 53, protocol: TCP, targetPort: 53}]}}",
             expect: "{spec: {ports: [{port: 53, protocol: UDP, targetPort: 53}, {port: 53, protocol: TCP, targetPort: 5353}]}}"),
        Case(name: "Service clusterIP set by the server survives", last: "{spec: {ports: [{port: 80}]}}", target: "{spec: {ports: [{port: 80}]}}",
             live: "{spec: {clusterIP: 10.0.0.7, clusterIPs: [10.0.0.7], ports: [{port: 80, protocol: TCP}]}}", expect: "unchanged"),
        Case(name: "Service port renumbered", last: "{spec: {ports: [{port: 80}]}}", target: "{spec: {ports: [{port: 8080}]}}",
             live: "{spec: {ports: [{port: 80, protocol: TCP, nodePort: 30080}]}}", expect: "{spec: {ports: [{port: 8080}]}}"),
        Case(name: "injected volume survives", last: "{volumes: [{name: config, configMap: {name: c}}]}",
             target: "{volumes: [{name: config, configMap: {name: c2}}]}",
             live: "{volumes: [{name: config, configMap: {name: c}}, {name: token, projected: {sources: []}}]}",
             expect: "{volumes: [{name: config, configMap: {name: c2}}, {name: token, projected: {sources: []}}]}"),
        Case(name: "volume mounts keyed by path", last: "{volumeMounts: [{name: a, mountPath: /a}]}",
             target: "{volumeMounts: [{name: a, mountPath: /a, readOnly: true}]}", live: "{volumeMounts: [{name: a, mountPath: /a}]}",
             expect: "{volumeMounts: [{name: a, mountPath: /a, readOnly: true}]}"),
        Case(name: "args replaced whole", last: "{args: [--a, --b]}", target: "{args: [--a, --c]}", live: "{args: [--a, --b]}",
             expect: "{args: [--a, --c]}"),
        Case(name: "args equal", last: "{args: [--a]}", target: "{args: [--a]}", live: "{args: [--a]}", expect: "unchanged"),
        Case(name: "tolerations replaced whole", last: "{tolerations: [{key: a, operator: Exists}]}",
             target: "{tolerations: [{key: b, operator: Exists}]}", live: "{tolerations: [{key: a, operator: Exists}]}",
             expect: "{tolerations: [{key: b, operator: Exists}]}"),
        Case(name: "status is never patched", last: "{spec: {a: 1}}", target: "{spec: {a: 1}, status: {ready: true}}",
             live: "{spec: {a: 1}, status: {ready: false}}", expect: "unchanged"),
        Case(name: "server metadata untouched", last: "{metadata: {name: a}}", target: "{metadata: {name: a}}",
             live: "{metadata: {name: a, uid: u1, resourceVersion: '42', creationTimestamp: '2026-11-24T00:00:00Z'}}", expect: "unchanged"),
        Case(name: "nested limit changed", last: "{resources: {limits: {memory: 128Mi, cpu: '1'}}}",
             target: "{resources: {limits: {memory: 256Mi, cpu: '1'}}}", live: "{resources: {limits: {memory: 128Mi, cpu: '1'}}}",
             expect: "{resources: {limits: {memory: 256Mi}}}"),
        Case(name: "nested limit removed", last: "{resources: {limits: {memory: 128Mi, cpu: '1'}}}",
             target: "{resources: {limits: {memory: 128Mi}}}", live: "{resources: {limits: {memory: 128Mi, cpu: '1'}}}",
             expect: "{resources: {limits: {cpu: null}}}"),
        Case(name: "a string becomes a map", last: "{data: {a: x}}", target: "{data: {a: {b: c}}}", live: "{data: {a: x}}",
             expect: "{data: {a: {b: c}}}"),
        Case(name: "left the target: prune", last: "{kind: ConfigMap}", live: "{kind: ConfigMap}", expect: "delete"),
        Case(name: "not ours: never pruned", last: "{kind: ConfigMap}", live: "{kind: ConfigMap}", owned: false, expect: "none"),
        Case(name: "never applied by us: not pruned", live: "{kind: ConfigMap}", expect: "none"),
        Case(name: "neither rendered nor live", expect: "none"),
        Case(name: "already deleted", last: "{kind: ConfigMap}", expect: "none"),
        Case(name: "ConfigMap key changed and another removed", last: "{data: {a: '1', b: '2'}}", target: "{data: {a: '9'}}",
             live: "{data: {a: '1', b: '2'}}", expect: "{data: {a: '9', b: null}}"),
        Case(name: "init containers reordered: target order wins", last: "{initContainers: [{name: a, image: 'a:1'}, {name: b, image: 'b:1'}]}",
             target: "{initContainers: [{name: b, image: 'b:1'}, {name: a, image: 'a:1'}]}",
             live: "{initContainers: [{name: a, image: 'a:1'}, {name: b, image: 'b:1'}]}",
             expect: "{initContainers: [{name: b, image: 'b:1'}, {name: a, image: 'a:1'}]}"),
        Case(name: "live order kept when only ours are in order", last: "{containers: [{name: a, image: 'a:1'}]}",
             target: "{containers: [{name: a, image: 'a:1'}]}",
             live: "{containers: [{name: init-sidecar, image: 's:1'}, {name: a, image: 'a:1'}]}", expect: "unchanged"),
        Case(name: "command is a list of strings: replaced", last: "{command: [sh, -c, a]}", target: "{command: [sh, -c, b]}",
             live: "{command: [sh, -c, a]}", expect: "{command: [sh, -c, b]}"),
        Case(name: "adopting a live object: only our fields", target: "{data: {a: '1'}, metadata: {labels: {x: y}}}",
             live: "{data: {a: '0', other: z}, metadata: {labels: {team: t}, uid: u}}",
             expect: "{data: {a: '1'}, metadata: {labels: {x: y}}}"),
        Case(name: "a whole map removed", last: "{spec: {strategy: {type: Recreate}}}", target: "{spec: {}}",
             live: "{spec: {strategy: {type: Recreate}, revisionHistoryLimit: 10}}", expect: "{spec: {strategy: null}}"),
        Case(name: "number type change is a change", last: "{spec: {a: 1}}", target: "{spec: {a: '1'}}", live: "{spec: {a: 1}}",
             expect: "{spec: {a: '1'}}"),
        // Lists Kubernetes replaces whole: what the API server defaults into their elements is not Sluice's.
        Case(name: "server defaults in a replaced list's elements are not a change",
             last: "{spec: {volumeClaimTemplates: [{metadata: {name: data}, spec: {resources: {requests: {storage: 1Gi}}}}]}}",
             target: "{spec: {volumeClaimTemplates: [{metadata: {name: data}, spec: {resources: {requests: {storage: 1Gi}}}}]}}",
             live: "{spec: {volumeClaimTemplates: [{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: data}, spec: {resources: {requests: {storage: 1Gi}}, volumeMode: Filesystem}, status: {phase: Pending}}]}}",
             expect: "unchanged"),
        Case(name: "a change inside a replaced list's element sends the list",
             last: "{spec: {volumeClaimTemplates: [{metadata: {name: data}, spec: {resources: {requests: {storage: 1Gi}}}}]}}",
             target: "{spec: {volumeClaimTemplates: [{metadata: {name: data}, spec: {resources: {requests: {storage: 2Gi}}}}]}}",
             live: "{spec: {volumeClaimTemplates: [{apiVersion: v1, metadata: {name: data}, spec: {resources: {requests: {storage: 1Gi}}, volumeMode: Filesystem}}]}}",
             expect: "{spec: {volumeClaimTemplates: [{metadata: {name: data}, spec: {resources: {requests: {storage: 2Gi}}}}]}}"),
        Case(name: "a field the last apply set in a list element and the target dropped sends the list",
             last: "{spec: {tolerations: [{key: a, operator: Exists, effect: NoSchedule}]}}",
             target: "{spec: {tolerations: [{key: a, operator: Exists}]}}",
             live: "{spec: {tolerations: [{key: a, operator: Exists, effect: NoSchedule}]}}",
             expect: "{spec: {tolerations: [{key: a, operator: Exists}]}}"),
        Case(name: "a replaced list of another length is sent", last: "{spec: {args: [a]}}", target: "{spec: {args: [a, b]}}",
             live: "{spec: {args: [a]}}", expect: "{spec: {args: [a, b]}}"),
    ]

    @Test(arguments: cases)
    func threeWay(_ c: Case) throws {
        let last = Self.value(c.last), target = Self.value(c.target), live = Self.value(c.live)
        let action = ThreeWayDiff.action(lastApplied: last, target: target, live: live, ownedBySluice: c.owned)
        switch c.expect {
        case "create": #expect(action == .create(try #require(target)))
        case "delete": #expect(action == .delete)
        case "unchanged": #expect(action == .unchanged)
        case "none": #expect(action == nil)
        default:
            let expected = try #require(Self.value(c.expect))
            #expect(action == .update(patch: expected))
            // Applying the patch converges: the same diff against the result finds nothing.
            if case .update(let patch)? = action, let live, let target {
                let result = MergePatch.apply(patch, to: live)
                #expect(ThreeWayDiff.action(lastApplied: target, target: target, live: result, ownedBySluice: true) == .unchanged)
            }
        }
    }

    @Test func atLeastFortyCases() {
        #expect(Self.cases.count >= 40)
    }

    @Test func mergePatchFollowsRFC7386() throws {
        let original = try #require(Self.value("{a: b, c: {d: e, f: g}, l: [1, 2]}"))
        let patch = try #require(Self.value("{a: z, c: {f: null}, l: [3], n: {x: 1}}"))
        #expect(MergePatch.apply(patch, to: original) == Self.value("{a: z, c: {d: e}, l: [3], n: {x: 1}}"))
    }
}
