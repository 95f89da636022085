/// Many rows in few statements: a step that records hundreds of pairs would otherwise make a
/// round trip per row (three per record). Rows go as multi-row `VALUES` lists, at most
/// `chunk` rows per statement (PostgreSQL takes at most 65,535 parameters in one).
enum PostgresRows {
    static let chunk = 1_000

    /// `INSERT INTO table (columns) VALUES (...), (...) clause` per chunk: PostgreSQL coerces
    /// each value to its column's type. An upsert's rows must not repeat a key (PostgreSQL
    /// refuses to change one row twice in a statement): see `lastPerKey`.
    static func insert(_ rows: [[String?]], into table: String, columns: [String], then clause: String = "",
                       _ db: PostgresConnection) throws(PostgresError) {
        var start = 0
        while start < rows.count {
            let part = rows[start..<min(rows.count, start + chunk)]
            let (list, parameters) = values(part, width: columns.count)
            try db.query("INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(list) \(clause)", parameters)
            start += part.count
        }
    }

    /// Runs `statement(list)` per chunk, where `list` is a `VALUES` list of the chunk's rows
    /// (its values are text, as written in the statement).
    static func each(_ rows: [[String?]], width: Int, _ db: PostgresConnection, _ statement: (String) -> String) throws(PostgresError) {
        var start = 0
        while start < rows.count {
            let part = rows[start..<min(rows.count, start + chunk)]
            let (list, parameters) = values(part, width: width)
            try db.query(statement(list), parameters)
            start += part.count
        }
    }

    /// `($1, $2), ($3, $4)` and the values in that order.
    static func values(_ rows: ArraySlice<[String?]>, width: Int) -> (String, [String?]) {
        var placeholders: [String] = []
        placeholders.reserveCapacity(rows.count)
        var parameters: [String?] = []
        parameters.reserveCapacity(rows.count * width)
        for row in rows {
            let first = parameters.count
            placeholders.append("(" + (1...width).map { "$\(first + $0)" }.joined(separator: ", ") + ")")
            parameters.append(contentsOf: row)
        }
        return (placeholders.joined(separator: ", "), parameters)
    }

    /// The last row of each key, in the order of their last appearance: what upserting the
    /// rows one by one would leave.
    static func lastPerKey<Key: Hashable>(_ rows: [[String?]], key: ([String?]) -> Key) -> [[String?]] {
        var last: [Key: Int] = [:]
        for (index, row) in rows.enumerated() { last[key(row)] = index }
        return rows.enumerated().filter { last[key($0.element)] == $0.offset }.map(\.element)
    }
}
