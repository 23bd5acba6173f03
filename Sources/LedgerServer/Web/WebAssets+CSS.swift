// The pages' one stylesheet, served at /ui/app.css. Kept in Swift so the binary carries it and
// the pages work offline; system fonts only.
extension WebAssets {
    static let css = #"""
:root { --fg: #1d2330; --muted: #6b7280; --line: #e5e7eb; --bg: #f7f8fa; --accent: #2563eb; --bad: #dc2626; --good: #16a34a;
        --warn: #d97706; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 14px; color: var(--fg); }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); }
header.top { display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.2rem; background: #111827; color: #fff; flex-wrap: wrap; }
header.top a { color: #d1d5db; text-decoration: none; }
header.top a.brand { color: #fff; font-weight: 700; }
header.top nav { display: flex; gap: 1rem; flex: 1; flex-wrap: wrap; }
header.top nav a[aria-current] { color: #fff; border-bottom: 2px solid var(--accent); }
#who { color: #9ca3af; font-size: .9em; }
main { padding: 1rem 1.2rem 3rem; max-width: 1400px; }
h1 { font-size: 1.4rem; margin: .2rem 0 .8rem; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .6rem; }
h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
.subtitle, .hint { color: var(--muted); }
#status:empty { display: none; }
#status { padding: .4rem .6rem; background: #eef2ff; border-radius: 4px; }
#status.error, .error { color: var(--bad); }
#status.error { background: #fef2f2; }
form.controls { display: flex; flex-wrap: wrap; gap: .6rem 1rem; align-items: end; margin-bottom: 1rem; padding: .7rem; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
label { display: inline-flex; flex-direction: column; gap: .2rem; font-size: .85em; color: var(--muted); }
input, select, textarea, button { font: inherit; color: var(--fg); padding: .3rem .5rem; border: 1px solid #cbd5e1; border-radius: 4px; background: #fff; }
button { cursor: pointer; background: #f3f4f6; }
button[type=submit], button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
.downloads { display: inline-flex; gap: .3rem; margin-left: auto; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 1rem; max-width: 32rem; display: flex; flex-direction: column; gap: .8rem; }
.tabs { display: flex; gap: .2rem; border-bottom: 1px solid var(--line); margin-bottom: .6rem; }
.tab { border: none; border-bottom: 3px solid transparent; background: none; border-radius: 0; padding: .5rem .9rem; }
.tab.active { border-bottom-color: var(--accent); font-weight: 600; }
.count { color: var(--muted); font-weight: 400; }
table.grid { border-collapse: collapse; background: #fff; width: 100%; border: 1px solid var(--line); }
table.grid th, table.grid td { padding: .35rem .6rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
table.grid th { background: #f9fafb; font-weight: 600; font-size: .9em; white-space: nowrap; }
table.grid .num { text-align: right; font-variant-numeric: tabular-nums; }
table.clickable tbody tr.row { cursor: pointer; }
table.clickable tbody tr.row:hover { background: #eff6ff; }
tr.removed td { color: #9ca3af; }
tr.removed td:first-child::after { content: " (removed)"; }
tr.sub td { background: #f9fafb; padding-left: 2rem; }
tr.sub table { width: auto; }
.live { font-size: .85em; color: var(--good); }
.live.off { color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: .6rem; }
.cards .metric { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .5rem .8rem; min-width: 8.5rem; }
.metric .v { font-size: 1.3rem; font-weight: 600; display: block; }
.metric .k { color: var(--muted); font-size: .85em; }
.chart svg { background: #fff; border: 1px solid var(--line); border-radius: 6px; max-width: 100%; height: auto; }
.chart text { font-size: 11px; fill: var(--fg); }
.chart .axis { stroke: #9ca3af; }
.chart .grid-line { stroke: #eef0f3; }
.bar-agents { fill: var(--bad); } .bar-capacity { fill: var(--warn); } .bar-schedule { fill: #6366f1; } .bar-other { fill: #9ca3af; }
.bar-answered { fill: var(--good); } .bar-missed { fill: var(--bad); }
.legend span { display: inline-flex; align-items: center; gap: .3rem; margin-right: 1rem; font-size: .85em; }
.legend i { width: .8rem; height: .8rem; display: inline-block; border-radius: 2px; }
dialog { border: 1px solid var(--line); border-radius: 8px; padding: 1.2rem; min-width: 26rem; max-width: 60rem; }
dialog form { display: flex; flex-direction: column; gap: .8rem; }
dialog label { color: var(--fg); }
.actions { display: flex; justify-content: flex-end; gap: .5rem; margin-top: .6rem; }
details#column-chooser { margin-bottom: .6rem; }
details .columns { display: flex; flex-wrap: wrap; gap: .3rem 1rem; padding: .5rem; background: #fff; border: 1px solid var(--line); }
details .columns label { flex-direction: row; align-items: center; color: var(--fg); }
.empty { color: var(--muted); padding: 1rem; }
body:not(.can-handle) .needs-handle { display: none; }
.print-only { display: none; }
main.stale table.grid, main.stale #report, main.stale .cards, main.stale .chart { opacity: .35; }
@media print {
  .print-only { display: block; color: #000; margin: 0 0 .6rem; }
  main.stale table.grid, main.stale #report, main.stale .cards, main.stale .chart { display: none !important; }
  :root { font-size: 10pt; }
  body { background: #fff; }
  .no-print, header.top, form.controls, dialog, button, #status, details { display: none !important; }
  main { padding: 0; max-width: none; }
  .pane[hidden] { display: none; }
  table.grid { border: none; page-break-inside: auto; }
  table.grid tr { page-break-inside: avoid; }
  table.grid th { background: none; border-bottom: 1.5px solid #000; }
  section { page-break-inside: avoid; }
  .cards .metric, .chart svg { border-color: #999; }
  a { color: inherit; text-decoration: none; }
}
"""#
}
