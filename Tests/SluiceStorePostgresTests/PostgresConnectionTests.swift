import SluiceStorePostgres
import SluiceTestSupport
import Testing

/// libpq against a real PostgreSQL started for the test: parameters kept apart from SQL,
/// NULLs, errors sorted by what a caller can do (a bad statement is refused, a server that
/// went away is transient), and a reconnect after a restart.
@Suite(.timeLimit(.minutes(5))) struct PostgresConnectionTests {
    @Test func queriesWithParametersAndSortedErrors() async throws {
        let server = try await PostgresServer.start()
        let db = try PostgresConnection(url: server.url)
        try db.query("CREATE TABLE records (cluster text PRIMARY KEY, commit_sha text)")
        // A value that would break SQL spliced into text goes through as data.
        let hostile = "x'); DROP TABLE records; --"
        try db.query("INSERT INTO records VALUES ($1, $2), ($3, $4)", ["test-1", hostile, "test-2", nil])
        #expect(try db.query("SELECT cluster, commit_sha FROM records ORDER BY cluster") == [["test-1", hostile], ["test-2", nil]])

        do { try db.query("SELEKT 1"); Issue.record("a syntax error must throw") } catch {
            #expect(error.kind == .refused && error.sqlState == "42601")
        }
        do { try db.query("INSERT INTO records VALUES ($1, $2)", ["test-1", "again"]); Issue.record("a duplicate must throw") } catch {
            #expect(error.kind == .refused && error.sqlState == "23505")
        }

        // The server goes away: the next call is transient, never an empty answer.
        await server.stop()
        do { _ = try db.query("SELECT cluster FROM records"); Issue.record("a stopped server must throw") } catch {
            #expect(error.kind == .transient)
        }
        #expect(!db.isOpen)
        do { _ = try PostgresConnection(url: server.url); Issue.record("connecting to a stopped server must throw") } catch {
            #expect(error.kind == .transient)
        }
        // Back again: a new connection sees what was committed.
        try await server.start()
        let again = try PostgresConnection(url: server.url)
        #expect(try again.query("SELECT count(*) FROM records") == [["2"]])
        await server.stop()
    }

    @Test func sqlStatesAreSortedByWhatACallerCanDo() {
        for state in ["08006", "08001", "40001", "40P01", "57P01", "57P03", "53300"] { #expect(PostgresError.kind(ofSQLState: state) == .transient) }
        for state in ["42601", "23505", "42P01", "28P01", "22P02"] { #expect(PostgresError.kind(ofSQLState: state) == .refused) }
    }
}
