import Foundation

/// Writes a synthetic fleet of `clusters` x `addons` with realistic templates: each add-on a
/// workload (Deployment or DaemonSet, every third one partitioned) with RBAC, a ConfigMap and
/// a Service, helpers with `define`/`include`, `toYaml | nindent`, `range`, `if`, `default`;
/// add-ons depend on earlier ones (a graph several levels deep); every cluster overrides the
/// meta-config of about one add-on in ten.
/// With `chart` (a Helm chart's folder, `--chart-addons`), every add-on is a copy of that
/// chart instead (issue 21's 1,000 x 50 chart fleet): the release pins each one's image tag
/// and ingress class in `values:`, and one cluster in ten overrides its replica count.
struct SyntheticFleet {
    let clusters: Int
    let addons: Int
    var chart: String? = nil

    func write(to root: String) throws {
        try file(root, "sluice.yaml", """
            apiVersion: sluice.dev/v1
            kind: Fleet
            metadata: {name: synthetic}
            spec:
              environments:
                - name: staging
                  branch: staging
                  clusters: {matchLabels: {env: staging}}
                  pipeline: staging
                - name: production
                  branch: main
                  clusters: {matchExpressions: [{key: env, operator: In, values: [canary, production]}]}
                  pipeline: production
            """)
        try file(root, "pipelines/staging.yaml", """
            apiVersion: sluice.dev/v1
            kind: Pipeline
            metadata: {name: staging}
            spec:
              stages:
                - {name: staging, clusters: {matchLabels: {env: staging}}, batches: [1, "100%"], bake: 10m, checks: {post: [healthy]}}
              checks:
                healthy: {type: health}
            """)
        try file(root, "pipelines/production.yaml", """
            apiVersion: sluice.dev/v1
            kind: Pipeline
            metadata: {name: production}
            spec:
              stages:
                - {name: canary, clusters: {matchLabels: {env: canary}}, batches: [1, "100%"], bake: 1h}
                - {name: production, clusters: {matchLabels: {env: production}}, order: weight, batches: [1, 10, "5%", "10%", "25%", "50%", "75%", "100%"], maxConcurrency: 10, bake: 1h}
            """)
        var release = "apiVersion: sluice.dev/v1\nkind: AddonRelease\nmetadata: {name: main}\nspec:\n  version: \"2026.11.1\"\n  addons:\n"
        for a in 0..<addons {
            let name = addonName(a)
            if let chart {
                release += "    \(name): {version: \"\(try chartVersion(chart))\", values: {controller: {image: {tag: \"v1.\(a).0\"}, ingressClassResource: {name: \(name)}}}}\n"
                try writeChartAddon(root, index: a, chart: chart)
                continue
            }
            release += "    \(name): {version: \"1.\(a).0\", images: {main: \"registry.example.com/team-\(a % 7)/\(name):v1.\(a).0\", sidecar: \"registry.example.com/proxy:v2.4.\(a % 5)\"}}\n"
            try writeAddon(root, index: a)
        }
        try file(root, "releases/main.yaml", release)
        for c in 0..<clusters {
            try file(root, "clusters/\(clusterName(c)).yaml", clusterYAML(c))
        }
    }

    func addonName(_ a: Int) -> String { "addon-\(String(format: "%03d", a))" }
    func clusterName(_ c: Int) -> String { "cluster-\(String(format: "%04d", c))" }

    private func chartVersion(_ chart: String) throws -> String {
        let text = try String(contentsOfFile: chart + "/Chart.yaml", encoding: .utf8)
        let line = text.split(separator: "\n").first { $0.hasPrefix("version:") } ?? ""
        return line.dropFirst("version:".count).trimmingCharacters(in: CharacterSet(charactersIn: " '\""))
    }

    /// The chart as it is, with Sluice's `addon.yaml` beside it.
    private func writeChartAddon(_ root: String, index a: Int, chart: String) throws {
        let name = addonName(a)
        try FileManager.default.createDirectory(atPath: root + "/addons", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: chart, toPath: root + "/addons/" + name)
        var deps: [String] = []
        if a > 0 { deps.append(addonName((a - 1) / 2)) }
        try file(root, "addons/\(name)/addon.yaml", """
            apiVersion: sluice.dev/v1
            kind: Addon
            metadata:
              name: \(name)
            spec:
              namespace: ns-\(a)
              dependsOn: [\(deps.joined(separator: ", "))]

            """)
    }

    private func writeAddon(_ root: String, index a: Int) throws {
        let name = addonName(a)
        let daemon = a % 3 == 0
        // Depend on up to two earlier add-ons: a graph many levels deep, like real add-on stacks.
        var deps: [String] = []
        if a > 0 { deps.append(addonName((a - 1) / 2)) }
        if a > 4 && a % 4 == 0 { deps.append(addonName(a - 3)) }
        let rollout = daemon ? "  rollout:\n    partitions: [1, \"10%\", \"50%\", \"100%\"]\n    bake: 5m\n" : ""
        try file(root, "addons/\(name)/addon.yaml", """
            apiVersion: sluice.dev/v1
            kind: Addon
            metadata:
              name: \(name)
            spec:
              namespace: ns-\(a % 20)
              dependsOn: [\(deps.joined(separator: ", "))]
            \(rollout)
            """)
        try file(root, "addons/\(name)/values.yaml", """
            replicas: \(1 + a % 3)
            logLevel: info
            port: \(8000 + a)
            features:
              metrics: true
              tracing: false
              cache: \(a % 2 == 0)
            env:
              - {name: LOG_FORMAT, value: json}
              - {name: GOMAXPROCS, value: "2"}
            resources:
              requests: {cpu: \(50 + a % 10 * 10)m, memory: \(64 + a % 8 * 16)Mi}
              limits: {cpu: "1", memory: \(256 + a % 4 * 128)Mi}
            tolerations: []
            """)
        try file(root, "addons/\(name)/templates/_helpers.tpl", """
            {{- define "labels" -}}
            app.kubernetes.io/name: {{ .Addon.name }}
            app.kubernetes.io/version: {{ .Addon.version | quote }}
            app.kubernetes.io/part-of: platform
            {{- end -}}
            {{- define "selector" -}}
            app: {{ .Addon.name }}
            {{- end -}}
            """)
        try file(root, "addons/\(name)/templates/rbac.yaml", """
            apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: {{ .Addon.name }}
              labels:
                {{- include "labels" . | nindent 4 }}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata:
              name: {{ .Addon.name }}
            roleRef:
              apiGroup: rbac.authorization.k8s.io
              kind: ClusterRole
              name: view
            subjects:
              - kind: ServiceAccount
                name: {{ .Addon.name }}
                namespace: {{ .Addon.namespace }}
            """)
        try file(root, "addons/\(name)/templates/config.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ .Addon.name }}-config
              labels:
                {{- include "labels" . | nindent 4 }}
            data:
              cluster: {{ .Cluster.name | quote }}
              region: {{ .Cluster.labels.region | default "unknown" | quote }}
              log-level: {{ .Values.logLevel | quote }}
              {{- range $feature, $on := .Values.features }}
              feature-{{ $feature }}: {{ $on | quote }}
              {{- end }}
              config.json: {{ toJson .Values.features | quote }}
            """)
        let kind = daemon ? "DaemonSet" : "Deployment"
        let replicas = daemon ? "" : "  replicas: {{ .Values.replicas }}\n"
        try file(root, "addons/\(name)/templates/workload.yaml", """
            apiVersion: apps/v1
            kind: \(kind)
            metadata:
              name: {{ .Addon.name }}
              labels:
                {{- include "labels" . | nindent 4 }}
            spec:
            \(replicas)  selector:
                matchLabels:
                  {{- include "selector" . | nindent 6 }}
              template:
                metadata:
                  labels:
                    {{- include "selector" . | nindent 8 }}
                  annotations:
                    checksum/config: {{ toJson .Values.features | sha256sum | trunc 12 }}
                spec:
                  serviceAccountName: {{ .Addon.name }}
                  {{- with .Values.tolerations }}
                  tolerations:
                    {{- toYaml . | nindent 8 }}
                  {{- end }}
                  containers:
                    - name: main
                      image: {{ .Images.main }}
                      args:
                        - --port={{ .Values.port }}
                        - --log-level={{ .Values.logLevel }}
                        {{- if .Values.features.tracing }}
                        - --tracing
                        {{- end }}
                      env:
                        {{- toYaml .Values.env | nindent 12 }}
                        - name: CLUSTER
                          value: {{ .Cluster.name | quote }}
                      ports:
                        - {name: http, containerPort: {{ .Values.port }}}
                      resources:
                        {{- toYaml .Values.resources | nindent 12 }}
                    - name: proxy
                      image: {{ .Images.sidecar }}
                      resources:
                        limits: {cpu: 100m, memory: 64Mi}
            """)
        try file(root, "addons/\(name)/templates/service.yaml", """
            apiVersion: v1
            kind: Service
            metadata:
              name: {{ .Addon.name }}
              labels:
                {{- include "labels" . | nindent 4 }}
            spec:
              selector:
                {{- include "selector" . | nindent 4 }}
              ports:
                - name: http
                  port: 80
                  targetPort: {{ .Values.port }}
            """)
    }

    private func clusterYAML(_ c: Int) -> String {
        let env = c < max(1, clusters / 20) ? "staging" : (c < max(2, clusters / 10) ? "canary" : "production")
        let regions = ["us-east", "us-west", "eu-west", "eu-central", "ap-southeast"]
        var text = """
            apiVersion: sluice.dev/v1
            kind: Cluster
            metadata:
              name: \(clusterName(c))
              labels: {env: \(env), region: \(regions[c % regions.count]), tier: t\(c % 3), weight: "\(c % 97)"}
            spec:
              release: main
              connection: {simulated: {nodes: \(3 + c % 50)}}
              addons:

            """
        // About one add-on in ten gets a cluster-specific meta-config.
        for a in stride(from: c % 10, to: addons, by: 10) {
            if chart != nil {
                text += "    \(addonName(a)):\n      controller: {replicaCount: \(2 + (c + a) % 5), resources: {limits: {memory: \(512 + c % 4 * 256)Mi}}}\n"
                continue
            }
            text += "    \(addonName(a)):\n      replicas: \(2 + (c + a) % 5)\n      logLevel: debug\n      resources: {limits: {memory: \(512 + c % 4 * 256)Mi}}\n"
        }
        return text
    }

    private func file(_ root: String, _ path: String, _ text: String) throws {
        let url = URL(fileURLWithPath: root + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}
