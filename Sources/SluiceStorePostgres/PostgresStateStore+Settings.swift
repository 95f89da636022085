import SluiceCore

extension PostgresStateStore {
    /// Made on first request (replicas asking at once keep the first one written) and kept.
    public func renderSecret() async throws(StoreError) -> [UInt8] {
        let known = try await reading { db throws(PostgresError) in
            try db.query("SELECT value FROM settings WHERE name = 'render-secret'").first?.first.flatMap { $0 }
        }
        if let known { return try RenderSecret.stored(known) }
        let made = RenderSecret.make()
        let hex = try await writing(environments: []) { db throws(PostgresError) -> String in
            try db.query("INSERT INTO settings (name, value) VALUES ('render-secret', $1) ON CONFLICT (name) DO NOTHING", [RenderSecret.hex(made)])
            return try db.query("SELECT value FROM settings WHERE name = 'render-secret'").first?.first.flatMap { $0 } ?? ""
        }
        return try RenderSecret.stored(hex)
    }
}
