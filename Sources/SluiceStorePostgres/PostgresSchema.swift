/// The PostgreSQL store's schema as numbered migrations, applied as SQLite's are: the store
/// records its version (`sluice_store.version`), opening it applies the missing ones in one
/// transaction, and a store of a newer version is refused. Its numbers are its own: version 1
/// has the shape SQLite's store reached at its version 6 (the change feed included), plus
/// the environments' leases. Never edit a released migration: add the next one.
enum PostgresSchema {
    /// Taken (for the transaction) by whoever migrates: replicas starting together migrate once.
    static let migrationLock: Int64 = 0x536C_6365

    static let migrations: [String] = [
        // 1: records with their change feed, history, rollouts, commands, freezes, drift, leases, replicas.
        """
        CREATE TABLE sluice_store (id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL);
        INSERT INTO sluice_store (id, version) VALUES (1, 0);
        CREATE TABLE applied_version (id integer PRIMARY KEY CHECK (id = 1), version bigint NOT NULL);
        INSERT INTO applied_version (id, version) VALUES (1, 1);
        CREATE TABLE applied (
            environment text NOT NULL, cluster text NOT NULL, addon text NOT NULL,
            commit_sha text NOT NULL, digest text NOT NULL, applied_at double precision NOT NULL,
            pending_commit text, changed bigint NOT NULL,
            PRIMARY KEY (environment, cluster, addon)
        );
        CREATE INDEX applied_changed ON applied (changed);
        CREATE TABLE applied_removed (
            environment text NOT NULL, cluster text NOT NULL, addon text NOT NULL, changed bigint NOT NULL,
            PRIMARY KEY (environment, cluster, addon)
        );
        CREATE TABLE history (
            id bigserial PRIMARY KEY, at double precision NOT NULL, kind text NOT NULL, environment text NOT NULL,
            cluster text, addon text, commit_sha text, detail text NOT NULL, outcome text
        );
        CREATE INDEX history_cluster ON history (cluster, addon, id);
        CREATE INDEX history_environment ON history (environment, id);
        CREATE TABLE rollouts (
            id text PRIMARY KEY, seq bigserial NOT NULL UNIQUE, environment text NOT NULL, commit_sha text NOT NULL,
            phase text NOT NULL, format integer NOT NULL, state text NOT NULL, blueprint text NOT NULL,
            started_at double precision NOT NULL, updated_at double precision NOT NULL
        );
        CREATE INDEX rollouts_environment ON rollouts (environment, seq);
        CREATE TABLE rollout_clusters (
            rollout_id text NOT NULL, position integer NOT NULL, cluster text NOT NULL, state text NOT NULL,
            PRIMARY KEY (rollout_id, position)
        );
        CREATE TABLE commands (
            id bigserial PRIMARY KEY, environment text NOT NULL, verb text NOT NULL, requested_by text NOT NULL,
            reason text NOT NULL, at double precision NOT NULL, commit_sha text, stage text,
            consumed boolean NOT NULL DEFAULT false
        );
        CREATE INDEX commands_open ON commands (environment, consumed, id);
        CREATE TABLE freezes (
            environment text PRIMARY KEY, frozen_by text NOT NULL, reason text NOT NULL, at double precision NOT NULL
        );
        CREATE TABLE drift (
            environment text NOT NULL, cluster text NOT NULL, addon text NOT NULL, commit_sha text NOT NULL,
            detail text NOT NULL, at double precision NOT NULL, corrected boolean NOT NULL,
            PRIMARY KEY (environment, cluster, addon)
        );
        CREATE TABLE leases (
            environment text PRIMARY KEY, holder text NOT NULL, token text NOT NULL, epoch bigint NOT NULL,
            expires_at timestamptz NOT NULL, taken_at timestamptz NOT NULL
        );
        CREATE TABLE replicas (id text PRIMARY KEY, expires_at timestamptz NOT NULL);
        """,
        // 2: the store's settings: its render secret (chart add-ons' random functions).
        """
        CREATE TABLE settings (name text PRIMARY KEY, value text NOT NULL);
        """,
        // 3: each pair's revision (a chart add-on's `.Release.Revision`); older records are 1.
        """
        ALTER TABLE applied ADD COLUMN revision bigint NOT NULL DEFAULT 1;
        """,
    ]

    static var version: Int { migrations.count }
}
