import Foundation
import SluiceModel
import SluiceRender
import SluiceYAML
import Testing

/// Sprig's date functions in chart add-ons: `now` is the rendered commit's time (so two plans
/// of one commit agree), in UTC. What does not read the clock is compared with real Helm in
/// `FunctionDifferentialTests`.
@Suite struct ChartDateTests {
    func render(_ template: String, now: Int64) throws -> String {
        let files = [HelmChart.File(name: "Chart.yaml", bytes: Array("apiVersion: v2\nname: d\nversion: 1.0.0\n".utf8)),
                     HelmChart.File(name: "templates/t.txt", bytes: Array(template.utf8))]
        let chart = try #require(HelmChart.load(files, folder: "addons/d", sink: DiagnosticSink()))
        var context = ChartContext(releaseName: "d", namespace: "ns")
        context.now = now
        return try #require(try ChartRenderer(chart: chart).render(values: [:], context: context).first?.text)
    }

    func refusal(_ template: String) -> String? {
        do { _ = try render(template, now: 0); return nil } catch { return (error as? Diagnostic)?.message }
    }

    @Test func nowIsTheContextsTimeInUTC() throws {
        // 2026-12-07 21:46:40 UTC, a Monday.
        let now: Int64 = 1_796_680_000
        #expect(try render("{{ now | unixEpoch }}", now: now) == "1796680000")
        #expect(try render("{{ now }}", now: now) == "2026-12-07 21:46:40 +0000 UTC")
        #expect(try render("{{ now | date \"Mon 2006-01-02 15:04 MST\" }}|{{ now | htmlDate }}", now: now) == "Mon 2026-12-07 21:46 UTC|2026-12-07")
        #expect(try render("{{ now | dateModify \"-24h\" | date \"2006-01-02\" }}", now: now) == "2026-12-06")
        #expect(try render("{{ ago 1796676400 }}|{{ now | ago }}|{{ durationRound (toDate \"2006\" \"2026\") }}", now: now) == "1h0m0s|0s|11mo")
        #expect(try render("{{ typeOf now }} {{ kindOf now }} {{ kindIs \"struct\" now }} {{ now | toJson }}", now: now)
                == "time.Time struct true \"2026-12-07T21:46:40Z\"")
        #expect(try render("{{ dateInZone \"15:04\" now \"Local\" }}", now: now) == "21:46")
    }

    @Test func refusedWithTheirReason() {
        // Zones other than UTC would need Go's zone abbreviations: refused, never rendered in UTC by mistake.
        #expect(refusal("{{ dateInZone \"15:04\" now \"Europe/Berlin\" }}")?.contains("Europe/Berlin") == true)
        // A time.Time parameter takes only a time.
        #expect(refusal("{{ unixEpoch \"2020\" }}")?.contains("expected time.Time; got string") == true)
        #expect(refusal("{{ mustToDate \"2006\" \"x\" }}")?.contains("cannot parse") == true)
        #expect(refusal("{{ now | dateModify \"2562047h\" | dateModify \"2562047h\" | dateModify \"2562047h\" }}") == nil)
    }

    /// Go's layouts, durations and calendar at their edges.
    @Test func goTimeAtItsEdges() throws {
        #expect(try render("{{ toDate \"2006-01-02\" \"2024-02-29\" | date \"Jan 2 002\" }}", now: 0) == "Feb 29 060")
        #expect(try render("{{ toDate \"2006-01-02\" \"1969-12-31\" | unixEpoch }}", now: 0) == "-86400")
        #expect(try render("{{ date \"2006-01-02T15:04:05\" -1 }}", now: 0) == "1969-12-31T23:59:59")
        #expect(try render("{{ duration \"1\" }} {{ duration \"86461\" }} {{ durationRound \"48h1s\" }}", now: 0) == "1s 24h1m1s 2d")
        #expect(try render("{{ toDate \"2006-01-02 15:04:05.000\" \"2020-01-01 00:00:00.5\" }}", now: 0).contains("cannot") == false)
    }
}
