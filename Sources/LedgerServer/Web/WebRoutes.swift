import Foundation
import Hummingbird
import LedgerEvents
import LedgerExport
import LedgerReports

/// The managers' pages under `/ui/`: server-rendered HTML shells with one stylesheet and one
/// script, all served from this binary so the pages work offline (no CDN).
///
/// Pages and assets need no token: they hold no data. The browser keeps the token the user signs
/// in with and sends it as `Authorization: Bearer` on its fetches of the `/v1` JSON endpoints, so
/// a page shows only what the token's scopes allow (`GET /v1/me` tells the script which).
struct WebRoutes {
    func register(on router: Router<LedgerRequestContext>) {
        router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/ui/queue"]) }
        router.get("/ui") { _, _ in Response(status: .seeOther, headers: [.location: "/ui/queue"]) }
        router.get("/ui/app.css") { _, _ in asset(WebAssets.css, type: "text/css; charset=utf-8") }
        // The script gets the pages' wording of reason codes, so options and cells read the same.
        var labels: [UInt8] = []
        JSONWriter.write(.object(JSONObject(WebPage.labels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })), into: &labels)
        let script = WebAssets.script.replacingOccurrences(of: "/*LABELS*/{}", with: String(decoding: labels, as: UTF8.self))
        router.get("/ui/app.js") { _, _ in asset(script, type: "text/javascript; charset=utf-8") }
        for page in WebPage.allCases {
            let html = page.html()
            router.get(RouterPath("/ui/\(page.rawValue)")) { _, _ in
                Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                         body: .init(byteBuffer: ByteBuffer(string: html)))
            }
        }
    }

    func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// One page: its path under `/ui/`, its title and the body the script fills in.
enum WebPage: String, CaseIterable {
    case signin, queue, report, calls, audit, leads

    var title: String {
        switch self {
        case .signin: "Sign in"
        case .queue: "Unprocessed missed calls"
        case .report: "Department report"
        case .calls: "Calls"
        case .audit: "Audit of dismissals"
        case .leads: "Lead reports"
        }
    }

    /// The whole document. Nothing user-supplied is interpolated here; the script inserts data as
    /// text nodes, never as HTML.
    func html() -> String {
        let nav = WebPage.allCases.filter { $0 != .signin }.map { p in
            "<a href=\"/ui/\(p.rawValue)\" data-scope=\"read\"\(p == self ? " aria-current=\"page\"" : "")>\(p.navTitle)</a>"
        }.joined()
        return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) · CallLedger</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/ui/app.css">
        <script src="/ui/app.js" defer></script>
        </head>
        <body data-page="\(rawValue)">
        <header class="top no-print">
        <a class="brand" href="/ui/queue">CallLedger</a>
        <nav>\(self == .signin ? "" : nav + "<a id=\"nav-live\" href=\"/ui/queue\" data-scope=\"read\" hidden>Live panel</a>")</nav>
        <span id="who"></span>
        \(self == .signin ? "" : "<button type=\"button\" id=\"signout\">Sign out</button>")
        </header>
        <main data-state="loading">
        <h1>\(title)</h1>
        <p id="print-context" class="print-only"></p>
        <p id="status" role="status"></p>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    var navTitle: String {
        switch self {
        case .queue: "Unprocessed"
        case .report: "Department report"
        case .calls: "Calls"
        case .audit: "Audit"
        case .leads: "Leads"
        case .signin: "Sign in"
        }
    }

    static func options(_ values: [String], any: String? = nil) -> String {
        (any.map { ["<option value=\"\">\($0)</option>"] } ?? []).joined()
            + values.map { "<option value=\"\($0)\">\(label($0))</option>" }.joined()
    }

    /// How a reason code reads on a page (Ringostat's wording where it has one); codes stay the values.
    static func label(_ code: String) -> String {
        labels[code] ?? code.replacingOccurrences(of: "_", with: " ")
    }

    static let labels = [
        "outside_hours": "Outside of business hours", "routing_failed": "Call forwarding scheme did not work",
        "forbidden_destination": "Forbidden destination", "abandoned_greeting": "Abandoned during welcome message",
        "abandoned_ivr": "Abandoned in the IVR", "abandoned_short": "Abandoned before 10 seconds",
        "not_answered": "Not answered by agents", "no_free_agents": "All agents busy or unavailable",
        "called_back_other_channel": "Reached through another channel", "not_a_client": "Not a client", "spam": "Spam",
        "duplicate": "Duplicate", "other": "Another variant (say what)",
    ]

    static let department = """
        <label>Department <input name="department" id="department" required list="departments" autocomplete="off"></label>
        <datalist id="departments"></datalist>
        """
    static let period = """
        <label>From <input type="date" name="from" id="from" required></label>
        <label>To (exclusive) <input type="date" name="to" id="to" required></label>
        """
    /// The as-of picker: what had happened by a time, or what the ledger knew at a time.
    static let asOf = """
        <label>As of <select name="asof_kind" id="asof_kind"><option value="">now</option>
        <option value="as_of">happened by</option><option value="as_of_recorded">recorded by</option></select></label>
        <input type="datetime-local" step="1" name="asof_at" id="asof_at" aria-label="as-of time">
        """
    static let downloads = """
        <span class="downloads no-print"><button type="button" data-download="csv">CSV</button>
        <button type="button" data-download="xlsx">XLSX</button></span>
        """

    var body: String {
        switch self {
        case .signin:
            return """
            <form id="signin-form" class="card">
            <p>Paste the API token you were given. It stays in this browser and is sent only to this server.</p>
            <label>Token <input type="password" id="token" name="token" required autocomplete="off"></label>
            <button type="submit" id="signin">Sign in</button>
            <p class="error" id="signin-error"></p>
            </form>
            """
        case .queue:
            let reasons = WebPage.options(DismissalReason.allCases.map(\.rawValue))
            return """
            <form id="filters" class="controls">\(WebPage.department)\(WebPage.asOf)
            <label>Processed from <input type="date" name="from" id="from"></label><label>to <input type="date" name="to" id="to"></label>
            <button type="submit">Show</button>
            <span id="live" class="live no-print"></span>\(WebPage.downloads)</form>
            <div class="tabs no-print" role="tablist">
            <button type="button" role="tab" class="tab" id="tab-unprocessed" data-tab="unprocessed">Unprocessed <span class="count" id="count-unprocessed"></span></button>
            <button type="button" role="tab" class="tab" id="tab-processed" data-tab="processed">Processed <span class="count" id="count-processed"></span></button>
            </div>
            <section id="pane-unprocessed" class="pane">
            <table id="unprocessed" class="grid"><thead><tr><th>Client</th><th>First call</th><th>Last call</th><th>Lost for</th>
            <th class="num">Missed calls</th><th class="num">Attempts</th><th>Reason</th><th class="no-print needs-handle"></th></tr></thead><tbody></tbody></table>
            <p class="empty" hidden>No unprocessed missed calls. 🎉</p>
            </section>
            <section id="pane-processed" class="pane" hidden>
            <table id="processed" class="grid"><thead><tr><th>Client</th><th>First call</th><th class="num">Missed calls</th><th class="num">Attempts</th>
            <th>Closed</th><th>How</th><th>By</th><th>Reason</th></tr></thead><tbody></tbody></table>
            <p class="empty" hidden>Nothing processed yet.</p>
            </section>
            <dialog id="handle-dialog">
            <form id="handle-form" method="dialog">
            <h2>Handle <span id="handle-client"></span></h2>
            <label>Reason <select name="reason" id="handle-reason" required>\(reasons)</select></label>
            <label>Comment <span class="hint">(required for “other”)</span><textarea name="comment" id="handle-comment" rows="3"></textarea></label>
            <p class="error" id="handle-error" role="alert"></p>
            <div class="actions"><button type="button" id="handle-cancel">Cancel</button><button type="submit" id="handle-submit">Handle</button></div>
            </form>
            </dialog>
            """
        case .report:
            return """
            <form id="filters" class="controls">\(WebPage.department)\(WebPage.period)
            <label>Dynamics by <select name="by" id="by"><option value="day">day</option><option value="week">week</option><option value="month">month</option></select></label>
            \(WebPage.asOf)<button type="submit">Show</button>\(WebPage.downloads)</form>
            <div id="report" hidden>
            <p class="subtitle" id="report-period"></p>
            <section id="section-volume"><h2>I. Volume and why calls were missed</h2>
            <div class="cards" id="volume"></div>
            <h3>Reasons</h3><div id="reasons-chart" class="chart"></div><p id="classes" class="subtitle"></p></section>
            <section id="section-callbacks"><h2>II. Callbacks</h2>
            <p class="subtitle">Status of each episode at the end of the day it opened.</p><div class="cards" id="callbacks"></div></section>
            <section id="section-agents"><h2>III. Agents</h2>
            <table id="agents" class="grid"><thead><tr><th>Agent</th><th>Name</th><th class="num">Offered</th><th class="num">Answered</th>
            <th class="num">Missed</th><th class="num">Rejected</th><th class="num">Missed %</th><th class="num">Callback attempts</th>
            <th class="num">Attempts / episode</th></tr></thead><tbody></tbody></table>
            <p class="subtitle">Agents removed from the department are shown in grey.</p></section>
            <section id="section-dynamics"><h2>IV. Dynamics</h2><div id="dynamics-chart" class="chart"></div>
            <table id="dynamics" class="grid"><thead><tr><th>Start</th><th class="num">Incoming</th><th class="num">Answered</th><th class="num">Missed</th>
            <th class="num">Missed %</th><th class="num">Episodes</th><th class="num">Called back</th><th class="num">Elsewhere</th>
            <th class="num">Dismissed</th><th class="num">Not called back</th></tr></thead><tbody></tbody></table></section>
            </div>
            """
        case .calls:
            let reasons = WebPage.options(MissedReason.allCases.map(\.rawValue), any: "any")
            let columns = CallColumns.all.map { c in
                "<label><input type=\"checkbox\" name=\"col\" value=\"\(c)\"\(CallColumns.tableDefault.contains(c) ? " checked" : "")> \(c)</label>"
            }.joined()
            return """
            <form id="filters" class="controls">\(WebPage.department)\(WebPage.period)
            <label>Result <select name="result" id="result"><option value="">any</option><option value="answered">answered</option>
            <option value="missed">missed</option><option value="in_progress">in progress</option></select></label>
            <label>Reason <select name="reason" id="reason">\(reasons)</select></label>
            \(WebPage.asOf)<button type="submit">Show</button>\(WebPage.downloads)</form>
            <details id="column-chooser" class="no-print"><summary>Columns</summary><div class="columns">\(columns)</div></details>
            <p class="subtitle" id="calls-count"></p>
            <table id="calls" class="grid clickable"><thead><tr></tr></thead><tbody></tbody></table>
            <dialog id="call-dialog"><div id="call-detail"></div><div class="actions"><button type="button" id="call-close">Close</button></div></dialog>
            """
        case .audit:
            let reasons = WebPage.options(DismissalReason.allCases.map(\.rawValue), any: "any")
            return """
            <form id="filters" class="controls">
            <label>By <input name="by" id="by"></label><label>Reason <select name="reason" id="reason">\(reasons)</select></label>
            <label>Department <input name="department" id="department"></label><label>Client <input name="client" id="client"></label>
            <label>From <input type="date" name="from" id="from"></label><label>To <input type="date" name="to" id="to"></label>
            \(WebPage.asOf)<button type="submit">Show</button>\(WebPage.downloads)</form>
            <table id="dismissals" class="grid"><thead><tr><th>At</th><th>By</th><th>Department</th><th>Client</th><th>Reason</th><th>Comment</th>
            <th class="num">Attempts before</th><th>Contact later</th><th>Episode closed</th></tr></thead><tbody></tbody></table>
            <p class="empty" hidden>No dismissals match.</p>
            """
        case .leads:
            return """
            <form id="filters" class="controls">
            <label>From <input type="date" name="from" id="from"></label><label>To (exclusive) <input type="date" name="to" id="to"></label>
            <label>Type <input name="type" id="type"></label><label>Time zone <input name="timezone" id="timezone" placeholder="UTC"></label>
            \(WebPage.asOf)<button type="submit">Show</button></form>
            <section id="section-conversion"><h2>Conversion by lead type</h2>\(WebPage.downloads.replacingOccurrences(of: "data-download", with: "data-report=\"conversion\" data-download"))
            <table id="conversion" class="grid"><thead><tr><th>Type</th><th class="num">Leads</th><th class="num">To order</th><th class="num">To sale</th>
            <th class="num">Converted</th><th class="num">Conversion %</th></tr></thead><tbody></tbody></table></section>
            <section id="section-employees"><h2>Employees</h2>\(WebPage.downloads.replacingOccurrences(of: "data-download", with: "data-report=\"employees\" data-download"))
            <p class="subtitle no-print">Click an employee to see their leads.</p>
            <table id="employees" class="grid clickable"><thead><tr><th>Assignee</th><th class="num">Leads</th><th class="num">To order</th>
            <th class="num">To sale</th><th class="num">Conversion %</th></tr></thead><tbody></tbody></table></section>
            <section id="section-lost"><h2>Lost leads</h2>\(WebPage.downloads.replacingOccurrences(of: "data-download", with: "data-report=\"lost\" data-download"))
            <p id="lost-by-status" class="subtitle"></p>
            <table id="lost" class="grid"><thead><tr><th>Lead</th><th>Type</th><th>Status</th><th>Assignee</th><th>Created</th><th>Closed</th></tr></thead><tbody></tbody></table></section>
            <section id="section-lead-calls"><h2>Leads with missed calls</h2>\(WebPage.downloads.replacingOccurrences(of: "data-download", with: "data-report=\"calls\" data-download"))
            <p id="lead-calls-summary" class="subtitle"></p>
            <table id="lead-calls" class="grid"><thead><tr><th>Lead</th><th>Type</th><th>Status</th><th>Lost</th><th>Client</th><th class="num">Missed calls</th>
            <th>Waiting in queue</th></tr></thead><tbody></tbody></table></section>
            """
        }
    }
}
