import Foundation
import SluiceCore
import SluiceQueries
import SluiceStore

/// The dashboard: server-rendered pages from the same read models as the API, refreshed in
/// place by a few lines of script; no build step, nothing loaded from the internet.
extension APIHandler {
    func dashboard(_ parts: [String], _ request: APIRequest) async -> APIResponse {
        // A browser's navigation carries no bearer token: with reads closed, the pages are.
        guard !settings.readsNeedToken else {
            return html(HTML.page(title: "Sign in", main: "<p>Reads need a token on this server (<code>--reads-need-token</code>): use the API.</p>"), status: 401)
        }
        do {
            switch parts.count {
            case 0: return html(try await pipelines())
            case 1: return html(try await historyPage(request.query))
            default:
                guard let page = try await clusterPage(parts[1]) else {
                    return html(HTML.page(title: "Not found", main: "<p>No cluster named \(HTML.escape(parts[1])).</p>"), status: 404)
                }
                return html(page)
            }
        } catch {
            return html(HTML.page(title: "Unavailable", main: "<p class=\"halt\">Cannot be read now: \(HTML.escape("\(error)"))</p>"), status: 503)
        }
    }

    private func html(_ text: String, status: Int = 200) -> APIResponse {
        APIResponse(status: status, headers: ["Content-Type": "text/html; charset=utf-8"], body: Array(text.utf8))
    }

    /// Each environment: where its rollout is in its pipeline, what it waits for, and its
    /// version matrix.
    func pipelines() async throws -> String {
        let now = await clock.now()
        let status = try await StatusReport.make(store: store, models: models, environment: nil, now: now)
        let matrix = try await VersionMatrix.make(store: store, models: models, environment: nil)
        var main = ""
        for environment in status.environments {
            let grid = matrix.environments.first { $0.name == environment.name }
            main += section(environment, grid)
        }
        return HTML.page(title: "Pipelines", main: main)
    }

    private func section(_ environment: StatusReport.Environment, _ grid: VersionMatrix.Environment?) -> String {
        let e = HTML.escape
        let rollout = environment.rollout
        let phase = rollout?.phase.rawValue ?? "idle"
        var out = "<section class=\"env\" id=\"env-\(e(environment.name))\" data-phase=\"\(e(phase))\">"
        out += "<h2>\(e(environment.name))<span class=\"phase phase-\(e(phase))\">\(e(phase))</span></h2>"
        out += "<p class=\"muted\">branch \(e(environment.branch)) · head \(e(String((environment.head ?? "-").prefix(12))))"
            + " · converged on \(e(String((environment.applied ?? "-").prefix(12))))</p>"
        if let rollout {
            out += "<p>Rollout of <code>\(e(String(rollout.commit.prefix(12))))</code>"
            if let stage = rollout.stage { out += ", stage <b>\(e(stage))</b>" }
            if let batch = rollout.batch, let batches = rollout.batches { out += ", batch \(batch) of \(batches)" }
            out += ": \(rollout.clustersDone) of \(rollout.clustersTotal) clusters done.</p>"
            if let reason = rollout.haltReason { out += "<p class=\"halt\">Halted: \(e(reason))</p>" }
            if let waiting = rollout.waitingFor {
                out += "<p class=\"waiting\">Waiting for: \(e(waiting))\(rollout.until.map { " until \(e($0.formatted(.iso8601)))" } ?? "")</p>"
            }
            if !rollout.phase.isFinal {
                out += "<div class=\"actions\">"
                if rollout.phase == .awaitingApproval {
                    out += button("approve", environment.name, commit: rollout.commit, role: "approver")
                }
                out += rollout.phase == .paused || rollout.phase == .halted ? button("resume", environment.name) : button("pause", environment.name)
                out += "</div>"
            }
        }
        if let rejected = environment.rejected {
            out += "<p class=\"halt\">Rejected <code>\(e(String(rejected.commit.prefix(12))))</code>: \(e(rejected.errors))</p>"
        }
        if let grid {
            out += pipeline(grid, rollout: rollout, forecast: environment.stages)
            out += table(grid)
        }
        return out + "</section>\n"
    }

    private func button(_ action: String, _ environment: String, commit: String? = nil, role: String = "operator") -> String {
        let e = HTML.escape
        return "<button class=\"\(role)\" data-env=\"\(e(environment))\" data-action=\"\(action)\"\(commit.map { " data-commit=\"\(e($0))\"" } ?? "")"
            + " onclick=\"act(this)\">\(action)</button>"
    }

    /// Stages left to right, their batches, the one under way marked, and the earliest time
    /// each stage still ahead can start.
    private func pipeline(_ grid: VersionMatrix.Environment, rollout: StatusReport.Rollout?, forecast: [StatusReport.StageForecast]) -> String {
        let e = HTML.escape
        let current = grid.stages.firstIndex { $0.name == rollout?.stage }
        var out = "<ol class=\"pipeline\">"
        for (index, stage) in grid.stages.enumerated() {
            let state = current.map { index < $0 ? "done" : index == $0 ? "current" : "ahead" } ?? (rollout?.phase == .done ? "done" : "ahead")
            out += "<li class=\"\(state)\" data-stage=\"\(e(stage.name))\"><b>\(e(stage.name))</b>"
            if let start = forecast.first(where: { $0.name == stage.name }), state == "ahead" {
                out += "<div class=\"muted\">" + (start.waitsForApproval ? "after an approval" : start.earliestStart.map { "from \(e($0.formatted(.iso8601)))" } ?? "") + "</div>"
            }
            out += "<ol class=\"batches\">"
            for (number, batch) in stage.batches.enumerated() {
                let under = state == "current" && rollout?.batch == number + 1
                out += "<li\(under ? " class=\"batch-current\"" : "")>\(e(batch.joined(separator: ", ")))</li>"
            }
            out += "</ol></li>"
        }
        return out + "</ol>"
    }

    /// Clusters as rows grouped by stage, add-ons as columns, cells coloured by version.
    private func table(_ grid: VersionMatrix.Environment) -> String {
        let e = HTML.escape
        var out = "<table class=\"matrix\"><tr><th>cluster</th>" + grid.addons.map { "<th>\(e($0))</th>" }.joined() + "</tr>"
        var stage: String?? = .none
        for row in grid.clusters {
            if stage != .some(row.stage) {
                stage = .some(row.stage)
                out += "<tr class=\"stage-row\"><th colspan=\"\(grid.addons.count + 1)\">\(e(row.stage ?? "not in the pipeline"))</th></tr>"
            }
            let cells = Dictionary(row.cells.map { ($0.addon, $0) }, uniquingKeysWith: { a, _ in a })
            out += "<tr><th><a href=\"/clusters/\(e(row.cluster))\">\(e(row.cluster))</a>\(row.rollout.map { " <span class=\"muted\">\(e($0))</span>" } ?? "")</th>"
            for addon in grid.addons {
                guard let cell = cells[addon] else { out += "<td></td>"; continue }
                let version = cell.version ?? String(cell.commit.prefix(7))
                let title = "commit \(cell.commit.prefix(12))\n" + cell.images.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n")
                let mark = cell.state == .rolling ? " ⟳" : cell.state == .failed ? " ✗" : cell.state == .pending ? " …" : ""
                out += "<td class=\"cell \(cell.state.rawValue)\" data-cluster=\"\(e(row.cluster))\" data-addon=\"\(e(addon))\" "
                    + "style=\"background:hsl(\(HTML.hue(version)),65%,88%)\" title=\"\(e(title))\">\(e(version))\(mark)</td>"
            }
            out += "</tr>"
        }
        return out + "</table>"
    }

    func clusterPage(_ name: String) async throws -> String? {
        guard let view = try await ClusterView.make(store: store, models: models, cluster: name, historyLimit: 30, drivers: drivers, now: await clock.now()) else { return nil }
        let e = HTML.escape
        var main = "<h2>Cluster \(e(view.cluster))</h2>"
        if !view.defined { main += "<p class=\"waiting\">HEAD's fleet repo no longer defines this cluster; these are its records.</p>" }
        for placement in view.environments {
            main += "<section class=\"env\"><h3>\(e(placement.environment))\(placement.stage.map { " · stage \(e($0))" } ?? "")</h3>"
            if let rollout = placement.rollout { main += "<p>In the rollout of <code>\(e(String((placement.rolloutCommit ?? "").prefix(12))))</code>: \(e(rollout))</p>" }
            main += "<table><tr><th>add-on</th><th>version</th><th>images</th><th>commit</th><th>applied</th><th>state</th></tr>"
            for cell in placement.addons {
                main += "<tr><td>\(e(cell.addon))</td><td>\(e(cell.version ?? "?"))</td><td>"
                    + cell.images.sorted { $0.key < $1.key }.map { "\(e($0.key)): \(e($0.value))" }.joined(separator: "<br>")
                    + "</td><td><code>\(e(String(cell.commit.prefix(12))))</code></td><td>\(e(cell.appliedAt.formatted(.iso8601)))</td>"
                    + "<td class=\"\(cell.state.rawValue)\">\(cell.state.rawValue)</td></tr>"
            }
            main += "</table>"
            for finding in placement.drift { main += "<p class=\"waiting\">Drift in \(e(finding.addon)): \(e(finding.detail))</p>" }
            main += "</section>"
        }
        if let live = view.live { main += liveSection(live) }
        main += "<h3>Recent history</h3>" + events(view.history.reversed())
        return HTML.page(title: "Cluster \(view.cluster)", main: main)
    }

    /// What the cluster runs, read from it now: each add-on's objects and workloads' pods.
    private func liveSection(_ live: ClusterLiveState) -> String {
        let e = HTML.escape
        var out = "<section class=\"env\" id=\"live\"><h3>Live, read \(e(live.readAt.formatted(.iso8601)))</h3>"
        if let problem = live.problem { return out + "<p class=\"halt\">The cluster could not be read: \(e(problem))</p></section>" }
        out += "<table><tr><th>add-on</th><th>objects</th><th>health</th><th>workloads (ready/updated/desired)</th></tr>"
        for addon in live.addons {
            let workloads = addon.workloads.map { "\(e($0.kind)) \(e($0.namespace))/\(e($0.name)): \($0.ready)/\($0.updated)/\($0.desired)"
                + ($0.partition > 0 ? ", partition \($0.partition)" : "") }.joined(separator: "<br>")
            out += "<tr data-addon=\"\(e(addon.addon))\"><td>\(e(addon.addon))</td><td>\(addon.objects)</td>"
                + "<td class=\"live-\(addon.health.rawValue)\">\(addon.health.rawValue)\(addon.problem.map { ": " + e($0) } ?? "")</td><td>\(workloads)</td></tr>"
        }
        return out + "</table></section>"
    }

    func historyPage(_ query: [String: String]) async throws -> String {
        let e = HTML.escape
        var filter = HistoryFilter(environment: query["environment"].flatMap { $0.isEmpty ? nil : $0 },
                                   cluster: query["cluster"].flatMap { $0.isEmpty ? nil : $0 },
                                   addon: query["addon"].flatMap { $0.isEmpty ? nil : $0 }, limit: 200)
        if let since = query["since"], !since.isEmpty { filter.since = HistoryQuery.time(since, now: await clock.now()) }
        let found = try await HistoryQuery.events(store, filter)
        var main = "<h2>History</h2><form method=\"get\" action=\"/history\">"
        for field in ["environment", "cluster", "addon", "since"] {
            main += "<label>\(field) <input name=\"\(field)\" value=\"\(e(query[field] ?? ""))\" size=\"12\"></label> "
        }
        main += "<button>Filter</button> <span class=\"muted\">the newest 200, newest first; since: a time, or 1h, 30m ago</span></form>"
        return HTML.page(title: "History", main: main + events(found.reversed().map(HistoryEntry.init)))
    }

    private func events(_ entries: [HistoryEntry]) -> String {
        let e = HTML.escape
        var out = "<table class=\"history\"><tr><th>at</th><th>kind</th><th>where</th><th>commit</th><th>what</th></tr>"
        for entry in entries {
            let place = [entry.environment, entry.cluster, entry.addon].compactMap { $0 }.joined(separator: "/")
            out += "<tr><td>\(e(entry.at.formatted(.iso8601)))</td><td>\(e(entry.outcome ?? entry.kind))</td><td>\(e(place))</td>"
                + "<td><code>\(e(String((entry.commit ?? "").prefix(12))))</code></td><td>\(e(entry.detail))</td></tr>"
        }
        return out + "</table>"
    }
}
