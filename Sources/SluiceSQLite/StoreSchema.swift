import SluiceCore
import SluiceStore
/// The state store's schema as numbered migrations. A store records the version it is at
/// (`PRAGMA user_version`); opening it applies the missing ones in one transaction. Never edit
/// a released migration: add the next one.
enum StoreSchema {
    /// `PRAGMA application_id` of a Sluice store ("Slce"), so that a store is told from any
    /// other SQLite file.
    static let applicationID: Int64 = 0x536C_6365
    static let migrations: [String] = [
        // 1: applied commits, history, rollouts, simulated clusters' objects.
        """
        CREATE TABLE applied (
            environment TEXT NOT NULL, cluster TEXT NOT NULL, addon TEXT NOT NULL,
            commit_sha TEXT NOT NULL, digest TEXT NOT NULL, applied_at REAL NOT NULL,
            PRIMARY KEY (environment, cluster, addon)
        ) WITHOUT ROWID;
        CREATE TABLE history (
            id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL,
            environment TEXT NOT NULL, cluster TEXT, addon TEXT, commit_sha TEXT, detail TEXT NOT NULL
        );
        CREATE INDEX history_cluster ON history (cluster, addon, id);
        CREATE TABLE rollouts (
            id TEXT PRIMARY KEY, environment TEXT NOT NULL, commit_sha TEXT NOT NULL, phase TEXT NOT NULL,
            position TEXT NOT NULL, started_at REAL NOT NULL, updated_at REAL NOT NULL
        );
        CREATE INDEX rollouts_environment ON rollouts (environment, started_at);
        CREATE TABLE objects (
            cluster TEXT NOT NULL, api_group TEXT NOT NULL, kind TEXT NOT NULL, namespace TEXT NOT NULL,
            name TEXT NOT NULL, body TEXT NOT NULL,
            PRIMARY KEY (cluster, api_group, kind, namespace, name)
        ) WITHOUT ROWID;
        """,
        // 2: simulated objects found by the add-on label, so listing one add-on's objects
        // does not read the whole cluster.
        """
        ALTER TABLE objects ADD COLUMN addon TEXT NOT NULL DEFAULT '';
        UPDATE objects SET addon = coalesce(json_extract(body, '$.metadata.labels."sluice.dev/addon"'), '');
        CREATE INDEX objects_addon ON objects (cluster, addon);
        """,
        // 3: typed rollout state (one row per rollout, phase and encoding version as columns),
        // pending applies, operator commands and freezes, and simulated clusters' audit log.
        // The untyped rollouts table of schema 1 was never written by a released sluice.
        """
        DROP TABLE rollouts;
        CREATE TABLE rollouts (
            id TEXT PRIMARY KEY, environment TEXT NOT NULL, commit_sha TEXT NOT NULL, phase TEXT NOT NULL,
            format INTEGER NOT NULL, state TEXT NOT NULL, blueprint TEXT NOT NULL, started_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX rollouts_environment ON rollouts (environment, started_at);
        CREATE TABLE rollout_clusters (
            rollout_id TEXT NOT NULL, position INTEGER NOT NULL, cluster TEXT NOT NULL, state TEXT NOT NULL,
            PRIMARY KEY (rollout_id, position)
        ) WITHOUT ROWID;
        ALTER TABLE applied ADD COLUMN pending_commit TEXT;
        CREATE TABLE commands (
            id INTEGER PRIMARY KEY AUTOINCREMENT, environment TEXT NOT NULL, verb TEXT NOT NULL, user TEXT NOT NULL,
            reason TEXT NOT NULL, at REAL NOT NULL, consumed INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX commands_open ON commands (environment, consumed, id);
        CREATE TABLE freezes (
            environment TEXT PRIMARY KEY, user TEXT NOT NULL, reason TEXT NOT NULL, at REAL NOT NULL
        );
        CREATE TABLE simulated_calls (
            id INTEGER PRIMARY KEY AUTOINCREMENT, cluster TEXT NOT NULL, verb TEXT NOT NULL, api_group TEXT NOT NULL,
            kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, addon TEXT NOT NULL, commit_sha TEXT NOT NULL,
            history_mark INTEGER NOT NULL
        );
        CREATE INDEX history_environment ON history (environment, id);
        CREATE TABLE drift (
            environment TEXT NOT NULL, cluster TEXT NOT NULL, addon TEXT NOT NULL, commit_sha TEXT NOT NULL,
            detail TEXT NOT NULL, at REAL NOT NULL, corrected INTEGER NOT NULL,
            PRIMARY KEY (environment, cluster, addon)
        ) WITHOUT ROWID;
        """,
        // 4: the typed outcome of each history event (nil for the events written before).
        """
        ALTER TABLE history ADD COLUMN outcome TEXT;
        """,
        // 5: what an approval approves (the commit and stage it was given for).
        """
        ALTER TABLE commands ADD COLUMN commit_sha TEXT;
        ALTER TABLE commands ADD COLUMN stage TEXT;
        """,
        // 6: a change feed of the records (`appliedChanges(since:)`): every transaction that
        // writes `applied` takes the next version and stamps the rows it writes, a removal
        // leaves a tombstone.
        """
        ALTER TABLE applied ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX applied_changed ON applied (changed);
        CREATE TABLE applied_removed (
            environment TEXT NOT NULL, cluster TEXT NOT NULL, addon TEXT NOT NULL, changed INTEGER NOT NULL,
            PRIMARY KEY (environment, cluster, addon)
        ) WITHOUT ROWID;
        CREATE TABLE applied_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
        INSERT INTO applied_version (id, version) VALUES (1, 1);
        UPDATE applied SET changed = 1;
        """,
        // 7: the store's settings: its render secret (chart add-ons' random functions).
        """
        CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        """,
        // 8: each pair's revision (a chart add-on's `.Release.Revision`); older records are 1.
        """
        ALTER TABLE applied ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
        """,
    ]

    static var version: Int { migrations.count }
}
