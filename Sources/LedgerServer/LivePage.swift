/// The live panel page, `/live/{department}`: one tile per metric coloured by its zone, the
/// members with their status and time in status, and the alerts as they come; kept current by the
/// panel's event stream without reloading. Self-contained (no CDN): the token is asked once and
/// kept in `localStorage` under `callLedgerToken` (the `/ui/` pages' sign-in, `callLedger.token`, is used when present).
enum LivePage {
    static func html(department: String) -> String {
        let d = escape(department)
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Live: \(d) · CallLedger</title>
        <style>\(css)</style></head>
        <body data-department="\(d)">
        <header><h1>Live panel · <span id="dept">\(d)</span></h1>
        <span id="conn" class="conn">connecting…</span> <span id="at"></span></header>
        <form id="login" hidden><label>Bearer token (read scope) <input id="token" type="password" autocomplete="off"></label>
        <button type="submit">Show the panel</button> <span id="login-error"></span></form>
        <main id="panel" hidden>
        <section id="tiles" class="tiles"></section>
        <p id="sl-rule" class="rule"></p>
        <h2>Agents</h2>
        <table id="agents"><thead><tr><th>agent</th><th>status</th><th>in status</th><th>occupancy</th><th>answered (1 h)</th><th>outbound (1 h)</th><th>avg inbound talk</th><th>avg outbound talk</th></tr></thead><tbody></tbody></table>
        <h2>Alerts</h2>
        <ul id="alerts"></ul>
        </main>
        <script>\(script)</script>
        </body></html>
        """
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let css = """
    body{font-family:system-ui,sans-serif;margin:1rem 2rem;color:#222}
    header{display:flex;gap:1rem;align-items:baseline}h1{font-size:1.4rem;margin:0}
    .conn{font-size:.8rem;color:#666}.conn.live{color:#1a7f37}.conn.lost{color:#b42318}
    .tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.6rem;margin:1rem 0}
    .tile{border-radius:.4rem;padding:.6rem .8rem;background:#f2f4f7;border:1px solid #d0d5dd}
    .tile .v{font-size:1.6rem;font-weight:600}.tile .n{font-size:.8rem;color:#475467}
    .tile.zone-green{background:#e7f6ec;border-color:#7ac68f}.tile.zone-yellow{background:#fff6d6;border-color:#e8b500}
    .tile.zone-red{background:#fde4e1;border-color:#d92d20}.tile.no-data .v{color:#98a2b3}
    table{border-collapse:collapse}td,th{padding:.25rem .6rem;border-bottom:1px solid #e4e7ec;text-align:left}
    .st-talking{color:#175cd3}.st-available{color:#1a7f37}.st-break,.st-dnd{color:#b54708}.st-offline{color:#667085}
    .rule{font-size:.8rem;color:#475467}#alerts li.raised{color:#b42318}#alerts li.cleared{color:#1a7f37}
    """

    static let script = #"""
    (function () {
      "use strict";
      const dept = document.body.dataset.department;
      const labels = {
        in_queue: "calls in queue", max_queue_wait_s: "longest wait now", avg_queue_wait_s: "average wait (1 h)",
        free_agents: "free agents", agents_on_queue_calls: "on queue calls", agents_on_personal_calls: "on personal calls",
        answered_last_hour: "answered (1 h)", missed_last_hour: "missed (1 h)", missed_pct_last_hour: "missed % (1 h)",
        occupancy_pct: "occupancy", service_level_pct: "service level", immediate_answer_pct: "immediate answer",
        outbound_last_hour: "outbound (1 h)", outbound_per_agent: "outbound per agent", avg_outbound_talk_s: "avg outbound talk",
        successful_outbound_pct: "successful outbound", dial_success_pct: "dial success", avg_inbound_talk_s: "avg inbound talk",
        successful_inbound_pct: "successful inbound"
      };
      const $ = (id) => document.getElementById(id);
      let source = null;

      function fmt(name, v) {
        if (name.endsWith("_pct") || name.startsWith("missed_pct")) return v.toFixed(1) + " %";
        if (name.endsWith("_s")) return duration(v);
        return Number.isInteger(v) ? String(v) : v.toFixed(2);
      }
      function duration(s) {
        if (s == null) return "";
        s = Math.round(s);
        if (s < 60) return s + " s";
        if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
        return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
      }
      function tile(name, value, zone, threshold, noData) {
        let t = document.getElementById("tile-" + name);
        if (!t) {
          t = document.createElement("div");
          t.id = "tile-" + name;
          t.dataset.metric = name;
          t.innerHTML = '<div class="v"></div><div class="n"></div>';
          $("tiles").appendChild(t);
        }
        t.className = "tile" + (zone ? " zone-" + zone : "") + (noData ? " no-data" : "");
        t.title = noData ? "nothing to measure in the last hour (0 by definition): no zone, no alert" : "";
        t.dataset.zone = zone || "";
        t.dataset.value = String(value);
        t.querySelector(".v").textContent = fmt(name, value);
        let n = labels[name] || name;
        if (threshold) {
          const dir = threshold.direction === "below" ? "≤" : "≥";
          n += " (" + [threshold.yellow != null ? "yellow " + dir + " " + threshold.yellow : null,
                       threshold.red != null ? "red " + dir + " " + threshold.red : null].filter(Boolean).join(", ") + ")";
        }
        t.querySelector(".n").textContent = n;
      }
      function render(p) {
        $("panel").hidden = false;
        $("at").textContent = "at " + p.at;
        for (const [name, value] of Object.entries(p.metrics)) tile(name, value, (p.zones || {})[name], (p.thresholds || {})[name], (p.no_data || []).includes(name));
        $("sl-rule").textContent = "Service level: " + p.service_level.formula + ". Immediate answer: first ring within " +
          p.service_level.immediate_answer_s + " s of queueing. Successful talk: over " + p.service_level.successful_talk_s + " s.";
        const body = $("agents").tBodies[0];
        body.replaceChildren(...p.agents.map((a) => {
          const tr = document.createElement("tr");
          tr.dataset.agent = a.agent;
          const cells = [a.name ? a.name + " (" + a.agent + ")" : a.agent, a.status + (a.call ? " · " + a.call : ""),
                         duration(a.in_status_s), a.occupancy_pct.toFixed(1) + " %", a.answered_last_hour, a.outbound_last_hour,
                         duration(a.avg_inbound_talk_s), duration(a.avg_outbound_talk_s)];
          for (const c of cells) { const td = document.createElement("td"); td.textContent = String(c); tr.appendChild(td); }
          tr.children[1].className = "st-" + a.status;
          return tr;
        }));
      }
      function alert(a) {
        const li = document.createElement("li");
        li.className = a.state;
        li.dataset.metric = a.metric;
        li.textContent = a.at.slice(0, 19).replace("T", " ") + " · " + (labels[a.metric] || a.metric) + ": " +
          (a.state === "cleared" ? "back to green" : a.zone) + " (" + fmt(a.metric, a.value) + ", was " + a.previous_zone + ")";
        $("alerts").prepend(li);
      }
      function askToken(message) {
        if (source) { source.close(); source = null; }
        $("panel").hidden = true;
        $("login").hidden = false;
        $("login-error").textContent = message || "";
      }
      async function start() {
        const token = localStorage.getItem("callLedgerToken") || localStorage.getItem("callLedger.token");
        if (!token) return askToken();
        const r = await fetch("/v1/departments/" + encodeURIComponent(dept) + "/live", { headers: { Authorization: "Bearer " + token } });
        if (r.status === 401 || r.status === 403) return askToken(r.status === 401 ? "unknown token" : "this token lacks the read scope");
        if (!r.ok) { $("conn").textContent = "error " + r.status; return; }
        render(await r.json());
        source = new EventSource("/v1/departments/" + encodeURIComponent(dept) + "/live/stream?token=" + encodeURIComponent(token));
        source.addEventListener("open", () => { $("conn").textContent = "live"; $("conn").className = "conn live"; });
        source.addEventListener("error", () => { $("conn").textContent = "reconnecting…"; $("conn").className = "conn lost"; });
        source.addEventListener("panel", (e) => render(JSON.parse(e.data)));
        source.addEventListener("alert", (e) => alert(JSON.parse(e.data)));
      }
      $("login").addEventListener("submit", (e) => {
        e.preventDefault();
        localStorage.setItem("callLedgerToken", $("token").value.trim());
        $("login").hidden = true;
        start();
      });
      start();
    })();
    """#
}
