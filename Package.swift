// swift-tools-version:6.1
import PackageDescription

// One module per step of the data's way (DESIGN §9): Git -> Model -> Render, Store, Drivers
// -> Plan (which reads the store and the clusters) -> Rollout (which applies plans).
// A lower module never imports a higher one.
let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // The HTTP server: only its core product, without its default traits (swift-configuration);
        // TLS ends at the ingress, so neither nio-ssl nor nio-http2 is built.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        // Already built for Hummingbird; named for NIOCore's `Channel` (the bound port).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // Metrics: the API (already built for Hummingbird) in the controller, Prometheus's text
        // format (8 files) in the server.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // System libraries, linked from the Debian packages the Makefile installs.
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        .target(name: "SluiceGit", dependencies: ["CGit2"]),
        // Values with positions: libyaml, the block reader, YAML/JSON readers and emitters.
        // The only module that imports CYAML.
        .target(name: "SluiceYAML", dependencies: ["CYAML"]),
        .target(name: "SluiceModel", dependencies: ["SluiceYAML", "SluiceGit", "CZlib"]),
        // The domain every step shares: drivers and their errors, applied records, history,
        // operator commands, rollout phases, the clock.
        .target(name: "SluiceCore", dependencies: ["SluiceModel", "SluiceYAML"]),
        .target(name: "SluiceRender", dependencies: ["SluiceModel", "SluiceYAML", "CCrypto"]),
        // The offline schema validator: OpenAPI documents and CRDs, compiled and checked against.
        .target(name: "SluiceSchemas", dependencies: ["SluiceYAML"]),
        .target(name: "SluicePlan", dependencies: ["SluiceModel", "SluiceYAML", "SluiceRender", "SluiceSchemas", "SluiceGit", "SluiceCore"]),
        // Beside Plan and Rollout: what each cluster has applied, history, rollout state (protocols).
        .target(name: "SluiceStore", dependencies: ["SluiceCore", "SluiceModel", "SluiceYAML"]),
        // The SQLite state store. The only module that imports CSQLite.
        .target(name: "SluiceSQLite", dependencies: ["CSQLite", "SluiceStore", "SluiceCore", "SluiceModel", "SluiceYAML"]),
        // The PostgreSQL store (DESIGN §7; under way: its libpq connection so far). The only
        // module that imports CPostgres.
        .target(name: "SluiceStorePostgres", dependencies: ["CPostgres", "SluiceStore", "SluiceSQLite", "SluiceCore"]),
        // Opening clusters' drivers, child processes.
        .target(name: "SluiceDrivers", dependencies: ["SluiceCore", "SluiceModel", "SluiceYAML"]),
        // Simulated clusters: objects, pods, faults, their audit log. Only the assembly of a
        // controller (the CLI, tests, benchmarks) imports it.
        .target(name: "SluiceSimulation", dependencies: ["SluiceCore", "SluiceDrivers", "SluiceSQLite", "SluiceModel", "SluiceYAML"]),
        // The Kubernetes driver: kubeconfig, libcurl, discovery and the API. The only module
        // that imports CCurl; the CLI hands its connections to the ClusterConnector.
        .target(name: "SluiceKubernetes", dependencies: ["SluiceCore", "SluiceModel", "SluiceYAML", "SluiceDrivers", "CCurl"]),
        // Applying plans to clusters, and the controller: the rollout state machine, its runner, checks.
        .target(name: "SluiceRollout", dependencies: ["SluicePlan", "SluiceYAML", "SluiceCore", "SluiceDrivers", "SluiceStore", "SluiceModel", "SluiceGit",
                                                      .product(name: "Logging", package: "swift-log"),
                                                      .product(name: "CoreMetrics", package: "swift-metrics"),
                                                      .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        // Read models shared by the CLI and the server: status, history, the version matrix, a
        // cluster's add-ons, and operator requests with their checks.
        .target(name: "SluiceQueries", dependencies: ["SluiceRollout", "SluicePlan", "SluiceCore", "SluiceStore", "SluiceModel", "SluiceGit", "SluiceYAML"]),
        // The HTTP side of `sluice run --listen`: API, identities, webhooks. The only module that
        // imports Hummingbird.
        .target(name: "SluiceServer", dependencies: ["SluiceQueries", "SluiceRollout", "SluiceCore", "SluiceStore", "SluiceModel", "SluiceYAML", "CCrypto", "CZlib",
                                                     .product(name: "Hummingbird", package: "hummingbird"),
                                                     .product(name: "NIOCore", package: "swift-nio"),
                                                     .product(name: "NIOPosix", package: "swift-nio"),
                                                     .product(name: "Prometheus", package: "swift-prometheus"),
                                                     .product(name: "CoreMetrics", package: "swift-metrics"),
                                                     .product(name: "Logging", package: "swift-log"),
                                                     .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceServer", "SluiceQueries", "SluiceRollout", "SluicePlan", "SluiceSchemas", "SluiceCore", "SluiceDrivers", "SluiceSimulation", "SluiceKubernetes", "SluiceStore", "SluiceSQLite", "SluiceStorePostgres", "SluiceRender", "SluiceModel", "SluiceYAML", "SluiceGit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "FleetBenchmark",
            dependencies: ["SluicePlan", "SluiceSchemas", "SluiceRender", "SluiceModel", "SluiceYAML", "SluiceGit", "SluiceCore", "SluiceStore", "SluiceSQLite",
                           "SluiceDrivers", "SluiceSimulation", "SluiceRollout", "SluiceQueries", "SluiceServer",
                           "SluiceKubernetes", "SluiceStorePostgres", .product(name: "Logging", package: "swift-log"),
                           .product(name: "CoreMetrics", package: "swift-metrics")],
            path: "Benchmarks/FleetBenchmark"
        ),

        .target(name: "SluiceTestSupport", dependencies: ["SluiceGit", "SluiceYAML", "SluiceCore", "SluiceStore", "SluiceSQLite", "SluiceDrivers", "SluiceSimulation", "SluicePlan", "SluiceRollout",
                                                          .product(name: "Logging", package: "swift-log")],
                path: "Tests/SluiceTestSupport"),
        .target(name: "CHeapProbe", path: "Tests/CHeapProbe"),
        .testTarget(name: "SluiceYAMLTests", dependencies: ["SluiceYAML", "SluiceTestSupport"]),
        .testTarget(name: "SluiceGitTests", dependencies: ["SluiceGit", "SluiceTestSupport", "CHeapProbe"]),
        .testTarget(name: "SluiceModelTests", dependencies: ["SluiceModel", "SluiceYAML", "SluiceTestSupport"]),
        .testTarget(name: "SluiceRenderTests", dependencies: ["SluiceRender", "SluiceModel", "SluiceYAML", "SluiceGit", "SluiceTestSupport"]),
        .testTarget(name: "SluiceStoreTests", dependencies: ["SluiceCore", "SluiceStore", "SluiceSQLite", "SluiceSimulation", "SluiceTestSupport", "SluiceModel", "SluiceYAML", "CSQLite"]),
        .testTarget(name: "SluiceDriversTests", dependencies: ["SluiceCore", "SluiceDrivers", "SluiceSimulation", "SluiceStore", "SluiceSQLite", "SluiceModel", "SluiceYAML", "SluiceTestSupport"]),
        .testTarget(name: "SluiceRolloutTests", dependencies: ["SluiceRollout", "SluiceQueries", "SluicePlan", "SluiceCore", "SluiceStore", "SluiceSQLite", "SluiceDrivers", "SluiceSimulation", "SluiceModel", "SluiceYAML", "SluiceRender", "SluiceGit", "SluiceTestSupport", "CSQLite",
                                                           .product(name: "Logging", package: "swift-log"),
                                                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        .testTarget(name: "SluiceKubernetesTests", dependencies: ["SluiceKubernetes", "SluiceCore", "SluiceModel", "SluiceYAML", "SluiceTestSupport"], exclude: ["echo_server.py", "discovery_server.py", "kube_api_server.py", "Fixtures"]),
        .testTarget(name: "SluicePlanTests", dependencies: ["SluicePlan", "SluiceSchemas", "SluiceRollout", "SluiceCore", "SluiceStore", "SluiceSQLite", "SluiceDrivers", "SluiceSimulation", "SluiceModel", "SluiceYAML", "SluiceRender", "SluiceGit", "SluiceTestSupport"]),
        .testTarget(name: "SluiceServerTests", dependencies: ["SluiceServer", "CZlib", .product(name: "Prometheus", package: "swift-prometheus"), .product(name: "Hummingbird", package: "hummingbird"), .product(name: "NIOCore", package: "swift-nio"), "SluiceQueries", "SluiceRollout", "SluiceKubernetes", "SluiceCore", "SluiceStore", "SluiceSQLite", "SluiceSimulation", "SluiceModel", "SluiceYAML", "SluiceTestSupport",
                                                          .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "SluiceStorePostgresTests", dependencies: ["SluiceStorePostgres", "SluiceStore", "SluiceCore", "SluiceTestSupport"]),
        // Runs the built `sluice` binary; the broken-repo corpus is read from the source tree.
        .testTarget(name: "SluiceCLITests", dependencies: ["sluice", "SluiceTestSupport", "SluiceCore", "SluiceStore", "SluiceSQLite", "SluiceStorePostgres", "SluiceModel", "SluiceGit", "SluiceSimulation", "SluiceKubernetes"], exclude: ["Corpus"]),
    ]
)
