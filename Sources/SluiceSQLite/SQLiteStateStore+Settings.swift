import SluiceCore

extension SQLiteStateStore {
    /// Made on first request, in a write transaction (two processes asking at once keep the
    /// first one written), and kept: `sluice state migrate` carries it to PostgreSQL.
    public func renderSecret() async throws(StoreError) -> [UInt8] {
        // Read first: a store opened read-only (or by a reader) has one once anything planned.
        let known = try await reading { db throws(StoreError) in try db.query("SELECT value FROM settings WHERE name = 'render-secret'").first?.first?.text }
        if let known { return try RenderSecret.stored(known) }
        let made = RenderSecret.make()
        let hex = try await writing { db throws(StoreError) -> String in
            try db.query("INSERT INTO settings (name, value) VALUES ('render-secret', ?1) ON CONFLICT (name) DO NOTHING", [.text(RenderSecret.hex(made))])
            return try db.query("SELECT value FROM settings WHERE name = 'render-secret'").first?.first?.text ?? ""
        }
        return try RenderSecret.stored(hex)
    }
}
