/// The pages' assets, compiled into the binary.
enum WebAssets {}

// The pages' one script, served at /ui/app.js. Plain ES2020 with no dependencies. Data is
// inserted as text nodes (never innerHTML), so names and comments from the ledger cannot inject
// markup.
extension WebAssets {
    static let script = #"""
'use strict';
const TOKEN_KEY = 'callLedger.token', DEPT_KEY = 'callLedger.department', COLS_KEY = 'callLedger.callColumns';
const $ = (s, r = document) => r.querySelector(s);
const $$ = (s, r = document) => Array.from(r.querySelectorAll(s));
const sleep = ms => new Promise(r => setTimeout(r, ms));
const SVG = 'http://www.w3.org/2000/svg';

function el(tag, attrs, ...kids) {
  const e = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k === 'className' ? 'class' : k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k != null) e.append(k instanceof Node ? k : String(k));
  return e;
}
const td = (v, cls) => el('td', { class: cls }, v);

const token = () => localStorage.getItem(TOKEN_KEY);
class ApiError extends Error {
  constructor(status, body) { super((body && body.message) || ('HTTP ' + status)); this.status = status; this.body = body; }
}
function signOut() {
  localStorage.removeItem(TOKEN_KEY);
  location.href = '/ui/signin?next=' + encodeURIComponent(location.pathname + location.search);
}
async function api(path, opts = {}) {
  // URLSearchParams writes a space as '+', which the API reads as a plus (RFC 3986): a filter with
  // a space ("Анна Смирнова", "service call") matched nothing. It writes a real '+' as %2B, and
  // paths are encoded with encodeURIComponent, so every '+' here is a space.
  path = path.replace(/\+/g, '%20');
  let r;
  try {
    r = await fetch(path, { ...opts, headers: { ...(opts.headers || {}), Authorization: 'Bearer ' + token() } });
  } catch (_) {
    throw new ApiError(0, { message: 'The server cannot be reached: check the connection, then try again.' });
  }
  if (r.status === 401) { signOut(); throw new ApiError(401, null); }
  if (!r.ok) { let b = null; try { b = await r.json(); } catch (_) {} throw new ApiError(r.status, b); }
  return r;
}
const getJSON = async p => (await api(p)).json();

// A confirmation (e.g. "Handled …") stays a few seconds: the live reload that follows an
// action must not wipe it at once.
let statusHeldUntil = 0;
function status(text, isError, holdMs = 0) {
  const s = $('#status'); if (!s) return;
  if (!text && !isError && Date.now() < statusHeldUntil) return;
  statusHeldUntil = holdMs ? Date.now() + holdMs : 0;
  s.textContent = text || ''; s.classList.toggle('error', !!isError);
}
function state(v) { $('main').dataset.state = v; }

// Formatting: times stay in the zone the report gives them in (the department's).
const fmtTime = s => s ? s.slice(0, 19).replace('T', ' ') : '';
const fmtDate = s => s ? s.slice(0, 10) : '';
// With the offset, where rows come from departments in different zones (the audit).
const fmtTimeZone = s => s ? fmtTime(s) + ' ' + ((/(Z|[+-]\d\d:\d\d)$/.exec(s) || [''])[0].replace('Z', 'UTC')) : '';
const fmtNum = x => x == null ? '' : (Number.isInteger(x) ? String(x) : x.toFixed(1));
const fmtPct = x => (x * 100).toFixed(1) + '%';
function fmtDuration(s) {
  if (s == null) return '';
  s = Math.round(s);
  if (s < 60) return s + ' s';
  const m = Math.floor(s / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
  if (d > 0) return d + ' d ' + (h % 24) + ' h';
  if (h > 0) return m % 60 ? h + ' h ' + String(m % 60).padStart(2, '0') + ' min' : h + ' h';
  return m + ' min';
}
// The pages' wording of reason codes (WebPage.labels, filled in when the script is served).
const LABELS = /*LABELS*/{};
const label = code => LABELS[code] || (code || '').replace(/_/g, ' ');
const REASON_CLASS = { outside_hours: 'schedule', routing_failed: 'other', forbidden_destination: 'other', abandoned_greeting: 'other',
  abandoned_ivr: 'other', abandoned_short: 'other', not_answered: 'agents', no_free_agents: 'capacity' };

// The departments the ledger knows (GET /v1/departments), loaded once at boot: the picker's
// list, each one's time zone for the as-of picker, and the notice for a misspelt name.
let DEPARTMENTS = null;
const departmentZone = d => ((DEPARTMENTS || []).find(x => x.department === d) || {}).timezone;
function unknownDepartment(d) {
  if (!DEPARTMENTS || !d || DEPARTMENTS.some(x => x.department === d)) return null;
  const known = DEPARTMENTS.map(x => x.department);
  return 'No department “' + d + '” is configured in the ledger' + (known.length ? ' (known: ' + known.join(', ') + ')' : '') +
    '; check the spelling. Nothing is shown for it.';
}
// A wall-clock time ("2026-11-16T12:00:00", as a datetime-local input gives it) in an IANA zone,
// as an instant: the offset at the guess, then again at the result (a DST change between them).
function zonedToUTC(local, zone) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?/.exec(local);
  if (!m || !zone) return new Date(local);
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  const offset = t => {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit',
      day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(t)).map(p => [p.type, p.value]));
    return Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second) - Math.floor(t / 1000) * 1000;
  };
  try {
    const first = wall - offset(wall);
    return new Date(wall - offset(first));
  } catch (_) { return new Date(local); }
}

// Controls: initial values from the address (so a link reproduces a view), then from memory.
function defaultDate(offsetDays) {
  const d = new Date(); d.setDate(d.getDate() + offsetDays);
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
}
// Returns what the address asked for that a control refused (a value it cannot hold), so the
// page can say so instead of silently showing something else.
function initControls(form) {
  const q = new URLSearchParams(location.search), refused = [];
  for (const i of form.elements) {
    if (!i.name || i.type === 'checkbox') continue;
    let v = q.get(i.name);
    if (v == null && i.name === 'department' && i.required) v = localStorage.getItem(DEPT_KEY);
    if (v == null && i.name === 'from' && i.required) v = defaultDate(-7);
    if (v == null && i.name === 'to' && i.required) v = defaultDate(1);
    if (v != null) {
      i.value = v;
      if (v !== '' && i.value === '') refused.push(i.name + '=' + v);
    }
  }
  const list = $('#departments');
  if (list) {
    // Remembered names the ledger does not know (a typo once shown) are not offered again.
    for (const d of JSON.parse(localStorage.getItem(DEPT_KEY + 's') || '[]')) if (!unknownDepartment(d)) list.append(el('option', { value: d }));
    const have = new Set([...list.options].map(o => o.value));
    for (const d of DEPARTMENTS || []) if (!have.has(d.department)) list.append(el('option', { value: d.department, label: d.name || d.department }));
  }
  return refused;
}
function rememberDepartment(d) {
  if (unknownDepartment(d)) return;
  localStorage.setItem(DEPT_KEY, d);
  const all = JSON.parse(localStorage.getItem(DEPT_KEY + 's') || '[]');
  if (!all.includes(d)) localStorage.setItem(DEPT_KEY + 's', JSON.stringify([d, ...all].slice(0, 10)));
}
// The form's values as the address's query (what the user picked).
function formQuery(form) {
  const p = new URLSearchParams();
  for (const i of form.elements) if (i.name && i.type !== 'checkbox' && i.value !== '') p.set(i.name, i.value);
  return p;
}
// The API's query: the as-of picker becomes as_of or as_of_recorded (RFC 3339, UTC). The picked
// time is read in the department's zone, like every time the pages show, so a link means the
// same cut in any browser; without a department, in the browser's zone.
function apiQuery(form, names) {
  const f = formQuery(form), p = new URLSearchParams();
  for (const n of names) if (f.has(n)) p.set(n, f.get(n));
  const kind = f.get('asof_kind'), at = f.get('asof_at');
  if (kind && at) p.set(kind, zonedToUTC(at, departmentZone(f.get('department'))).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  return p;
}
// What the page shows, in words: printed above the data (the form itself does not print).
function describeView(form) {
  const parts = [], zone = form.elements.department && departmentZone(form.elements.department.value);
  for (const i of form.elements) {
    if (!i.name || i.type === 'checkbox' || i.value === '' || i.name === 'asof_at') continue;
    if (i.name === 'asof_kind') {
      const at = form.elements.asof_at && form.elements.asof_at.value;
      if (at) parts.push(i.options[i.selectedIndex].text + ' ' + at.replace('T', ' ') + (zone ? ' (' + zone + ')' : ''));
      continue;
    }
    const caption = i.closest('label') ? i.closest('label').firstChild.textContent.trim() : i.name;
    parts.push(caption + ': ' + (i.tagName === 'SELECT' ? i.options[i.selectedIndex].text : i.value));
  }
  return parts.join(' · ');
}
function onSubmit(form, load) {
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    history.replaceState(null, '', location.pathname + '?' + formQuery(form));
    load();
  });
}

// Downloads go through fetch (they need the Bearer header), then a blob link.
async function download(path, params, format) {
  const p = new URLSearchParams(params); p.set('format', format);
  try {
    const r = await api(path + '?' + p);
    const disposition = r.headers.get('Content-Disposition') || '';
    const utf8 = /filename\*=UTF-8''([^;]+)/.exec(disposition);
    const name = (utf8 && decodeURIComponent(utf8[1])) || (/filename="([^"]+)"/.exec(disposition) || [])[1] || ('report.' + format);
    const url = URL.createObjectURL(await r.blob());
    const a = el('a', { href: url, download: name }); document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    status('Downloaded ' + name);
  } catch (e) { status(e.message, true); }
}
function wireDownloads(root, target) {
  for (const b of $$('[data-download]', root)) b.addEventListener('click', () => {
    const t = target(b.dataset.report); if (t) download(t.path, t.params, b.dataset.download);
  });
}

// Redraws only when the rows (or `shape`: which columns, whether Handle is offered) changed: live
// reloads then keep the user's selection and focus.
function fill(table, rows, render, shape = '') {
  const key = shape + JSON.stringify(rows);
  if (table.dataset.key === key) return;
  table.dataset.key = key;
  const body = $('tbody', table); body.replaceChildren(...rows.map(render));
  const empty = table.parentElement.querySelector('.empty'); if (empty) empty.hidden = rows.length > 0;
}

// Live refresh: poll the log's last position (GET /healthz: tiny, no token) and reload when it
// moves. Polling rather than holding /v1/events/stream open, because an open stream keeps a
// server handler waiting for the next event, and that holds up the server's shutdown.
async function watch(onChange, indicator) {
  // The read models follow the log a moment later, so reload soon and once more after a pause.
  let soon = null, later = null, last = null;
  const changed = () => { clearTimeout(soon); clearTimeout(later); soon = setTimeout(onChange, 300); later = setTimeout(onChange, 1500); };
  for (;;) {
    try {
      const position = (await (await fetch('/healthz', { cache: 'no-store' })).json()).last_position;
      indicator.textContent = '● live'; indicator.classList.remove('off');
      if (last !== null && position !== last) changed();
      last = position;
    } catch (_) { indicator.textContent = '○ offline'; indicator.classList.add('off'); }
    await sleep(2000);
  }
}

// Every data page: `render` fetches and draws (or returns a hint for the status line); it runs
// now and on each submit, with the page
// marked busy meanwhile (tests wait for data-state="ready") and errors shown in the status line.
// Download buttons under `root` fetch `target(report)` as CSV or XLSX. Returns the reload.
function dataPage(form, render, target, root = form) {
  async function load() {
    state('loading');
    const context = $('#print-context'); if (context) context.textContent = describeView(form);
    try {
      const hint = await render();
      $('main').classList.remove('stale');
      status(hint || '');
    } catch (e) {
      // What is still on screen belongs to the last view that worked: dimmed, and not printed.
      $('main').classList.add('stale');
      status(e.message, true);
    }
    state('ready');
  }
  wireDownloads(root, target);
  onSubmit(form, load);
  load();
  return load;
}

const NEED_DEPARTMENT = 'Choose a department (and a period) and press Show.';
const pages = {};

pages.signin = () => {
  state('ready');
  $('#signin-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    const t = $('#token').value.trim();
    const r = await fetch('/v1/me', { headers: { Authorization: 'Bearer ' + t } });
    if (!r.ok) { $('#signin-error').textContent = r.status === 401 ? 'This token is not known to the server.' : 'Sign-in failed (' + r.status + ').'; return; }
    localStorage.setItem(TOKEN_KEY, t);
    const next = new URLSearchParams(location.search).get('next');
    location.href = next && next.startsWith('/ui/') && !next.startsWith('/ui/signin') ? next : '/ui/queue';
  });
};

pages.queue = (me) => {
  const form = $('#filters'), canHandle = me.can('handle');
  const dept = () => $('#department').value.trim();
  let tab = new URLSearchParams(location.search).get('tab') === 'processed' ? 'processed' : 'unprocessed';
  function show(t) {
    tab = t;
    for (const b of $$('.tab')) b.classList.toggle('active', b.dataset.tab === t);
    $('#pane-unprocessed').hidden = t !== 'unprocessed'; $('#pane-processed').hidden = t !== 'processed';
  }
  for (const b of $$('.tab')) b.addEventListener('click', () => {
    show(b.dataset.tab);
    $('h1').textContent = tab === 'processed' ? 'Processed missed calls' : 'Unprocessed missed calls';
  });
  show(tab);
  const base = () => '/v1/departments/' + encodeURIComponent(dept());

  async function render() {
    if (!dept()) return NEED_DEPARTMENT;
    rememberDepartment(dept());
    $('h1').textContent = tab === 'processed' ? 'Processed missed calls' : 'Unprocessed missed calls';
    const q = apiQuery(form, []);
    // A past view (as of a time or position) is for reading: a Handle there would dismiss the
    // client's episode open now, which may not be the row on screen.
    const past = q.toString() !== '';
    const [open, closed] = await Promise.all([getJSON(base() + '/unprocessed?' + q),
                                              getJSON(base() + '/processed?limit=501&' + apiQuery(form, ['from', 'to']))]);
    // The newest 500 are shown: say so when there are more (a period narrows the list).
    const more = closed.length > 500; if (more) closed.length = 500;
    $('#count-unprocessed').textContent = '(' + open.length + ')';
    $('#count-processed').textContent = more ? '(newest 500; pick a period for older ones)' : '(' + closed.length + ')';
    fill($('#unprocessed'), open, r => el('tr', { class: 'row', 'data-client': r.client },
      td(r.client), td(fmtTime(r.first_call_at)), td(fmtTime(r.last_call_at)), td(fmtDuration(r.lost_for_s)),
      td(r.missed_calls, 'num'), td(r.callback_attempts, 'num'), td(label(r.last_reason)),
      el('td', { class: 'no-print needs-handle' }, canHandle && !past ? el('button', { type: 'button', class: 'handle', onclick: () => openHandle(r) }, 'Handle')
        : past && canHandle ? el('span', { class: 'hint', title: 'Handle works on the queue as it is now' }, 'past view') : null)), past ? 'past' : 'now');
    fill($('#processed'), closed, r => el('tr', { class: 'row', 'data-client': r.client },
      td(r.client), td(fmtTime(r.first_call_at)), td(r.missed_calls, 'num'), td(r.callback_attempts, 'num'),
      td(fmtTime(r.closed_at)), td(label(r.closed_how)), td(r.closed_by || ''), td([label(r.reason), r.comment].filter(Boolean).join(': '))));
    // An empty queue of a misspelt department must not read as "all handled".
    if (!open.length && !closed.length) return unknownDepartment(dept());
  }

  const dialog = $('#handle-dialog'); let current = null;
  function openHandle(row) {
    current = row; $('#handle-client').textContent = row.client; $('#handle-error').textContent = '';
    $('#handle-reason').value = 'called_back_other_channel'; $('#handle-comment').value = '';
    dialog.showModal();
  }
  $('#handle-cancel').addEventListener('click', () => dialog.close());
  $('#handle-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    const reason = $('#handle-reason').value, comment = $('#handle-comment').value.trim();
    if (reason === 'other' && !comment) { $('#handle-error').textContent = 'Say what happened: a comment is required for “other”.'; return; }
    try {
      const body = JSON.stringify(comment ? { reason, comment } : { reason });
      await api(base() + '/unprocessed/' + encodeURIComponent(current.client) + '/handle',
                { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
      dialog.close();
      await load();
      status('Handled ' + current.client + '.', false, 8000);
    } catch (e) { $('#handle-error').textContent = e.message; }
  });
  const load = dataPage(form, render, () => dept() && { path: base() + '/' + tab, params: apiQuery(form, tab === 'processed' ? ['from', 'to'] : []) });
  watch(load, $('#live'));
};

// A bar chart of reasons, coloured by class.
function reasonsChart(reasons) {
  const keys = Object.keys(reasons), max = Math.max(1, ...keys.map(k => reasons[k]));
  // Room on the left for the longest label (about 6.5 px a character at 11 px).
  const left = Math.max(120, 16 + 6.5 * Math.max(...keys.map(k => label(k).length))), W = left + 480, rowH = 24, H = keys.length * rowH + 10;
  const svg = el('svg:svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': 'Missed calls by reason' });
  keys.forEach((k, i) => {
    const y = 5 + i * rowH, w = (W - left - 60) * reasons[k] / max;
    svg.append(el('svg:text', { x: left - 8, y: y + 15, 'text-anchor': 'end' }, label(k)),
               el('svg:rect', { x: left, y: y + 3, width: Math.max(w, reasons[k] > 0 ? 2 : 0), height: rowH - 8, class: 'bar-' + (REASON_CLASS[k] || 'other') },
                  el('svg:title', {}, label(k) + ': ' + reasons[k])),
               el('svg:text', { x: left + w + 6, y: y + 15, class: 'bar-value' }, String(reasons[k])));
  });
  return svg;
}

// Dynamics: answered and missed per bucket as stacked bars, with a y axis.
function dynamicsChart(buckets) {
  const W = Math.max(480, 60 + buckets.length * 46), H = 260, left = 44, bottom = 40, top = 12;
  const max = Math.max(1, ...buckets.map(b => b.answered + b.missed));
  const step = Math.pow(10, Math.floor(Math.log10(max))), ticks = [];
  for (let t = 0; t <= max; t += step * (max / step > 5 ? 2 : 1)) ticks.push(t);
  const y = v => H - bottom - (H - bottom - top) * v / max, bw = (W - left - 10) / buckets.length;
  const svg = el('svg:svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': 'Incoming calls over time', id: 'dynamics-svg' });
  for (const t of ticks) svg.append(el('svg:line', { x1: left, x2: W - 10, y1: y(t), y2: y(t), class: 'grid-line' }),
                                   el('svg:text', { x: left - 6, y: y(t) + 4, 'text-anchor': 'end' }, String(t)));
  buckets.forEach((b, i) => {
    const x = left + i * bw + bw * 0.15, w = bw * 0.7;
    svg.append(el('svg:rect', { x, y: y(b.answered), width: w, height: y(0) - y(b.answered), class: 'bar-answered' }, el('svg:title', {}, fmtDate(b.start) + ': ' + b.answered + ' answered')),
               el('svg:rect', { x, y: y(b.answered + b.missed), width: w, height: y(b.answered) - y(b.answered + b.missed), class: 'bar-missed' },
                  el('svg:title', {}, fmtDate(b.start) + ': ' + b.missed + ' missed')),
               el('svg:text', { x: x + w / 2, y: H - bottom + 16, 'text-anchor': 'middle' }, fmtDate(b.start).slice(5)));
  });
  svg.append(el('svg:line', { x1: left, x2: W - 10, y1: y(0), y2: y(0), class: 'axis' }));
  const legend = el('div', { class: 'legend' }, el('span', {}, el('i', { class: 'bar-answered', style: 'background:var(--good)' }), 'answered'),
                    el('span', {}, el('i', { style: 'background:var(--bad)' }), 'missed'));
  return [svg, legend];
}

const metric = (k, v) => el('div', { class: 'metric' }, el('span', { class: 'v' }, v), el('span', { class: 'k' }, k));

pages.report = () => {
  const form = $('#filters');
  const target = () => ({ path: '/v1/departments/' + encodeURIComponent($('#department').value.trim()) + '/report',
                          params: apiQuery(form, ['from', 'to', 'by']) });
  dataPage(form, async () => {
    const d = $('#department').value.trim(); if (!d || !form.checkValidity()) return NEED_DEPARTMENT;
    rememberDepartment(d);
    const t = target(), r = await getJSON(t.path + '?' + t.params);
    $('#report').hidden = false;
    $('#report-period').textContent = r.department + ': ' + fmtTime(r.from) + ' – ' + fmtTime(r.to) +
      (t.params.has('as_of') ? ' · happened by ' + t.params.get('as_of') : t.params.has('as_of_recorded') ? ' · recorded by ' + t.params.get('as_of_recorded') : '');
    const v = r.volume, c = r.callbacks;
    $('#volume').replaceChildren(metric('incoming', v.incoming), metric('answered', v.answered), metric('missed', v.missed),
      metric('missed share', fmtPct(v.missed_share)), metric('unique missed', v.unique_missed), metric('repeat missed', v.repeat_missed),
      metric('hidden numbers', v.hidden_missed), metric('average wait', fmtDuration(v.avg_wait_s)), metric('average total wait', fmtDuration(v.avg_total_wait_s)));
    $('#reasons-chart').replaceChildren(reasonsChart(v.reasons));
    $('#classes').textContent = 'By class: ' + Object.entries(v.classes).map(([k, n]) => k + ' ' + n).join(', ');
    $('#callbacks').replaceChildren(metric('episodes', c.episodes), metric('called back by the department', c.called_back_by_department),
      metric('got through elsewhere', c.called_back_elsewhere), metric('dismissed', c.dismissed), metric('not called back', c.not_called_back),
      metric('average callback delay', fmtDuration(c.avg_callback_delay_s)),
      ...Object.entries(c.resolved_within).map(([s, x]) => metric('resolved within ' + fmtDuration(Number(s)), fmtPct(x))));
    fill($('#agents'), r.agents, a => el('tr', { class: a.removed ? 'removed' : null, title: a.removed ? 'removed from the department' : null },
      td(a.agent), td(a.name || ''), td(a.offered, 'num'), td(a.answered, 'num'), td(a.missed_offered, 'num'), td(a.rejected, 'num'),
      td(fmtPct(a.missed_share), 'num'), td(a.callback_attempts, 'num'), td(fmtNum(a.avg_attempts_per_episode), 'num')));
    const dyn = r.dynamics || [];
    $('#dynamics-chart').replaceChildren(...(dyn.length ? dynamicsChart(dyn) : []));
    fill($('#dynamics'), dyn, b => el('tr', {}, td(fmtDate(b.start)), td(b.incoming, 'num'), td(b.answered, 'num'), td(b.missed, 'num'),
      td(fmtPct(b.missed_share), 'num'), td(b.episodes, 'num'), td(b.called_back_by_department, 'num'), td(b.called_back_elsewhere, 'num'),
      td(b.dismissed, 'num'), td(b.not_called_back, 'num')));
    if (!v.incoming && !r.agents.length) return unknownDepartment(d);
  }, target);
};

pages.calls = () => {
  const form = $('#filters'), boxes = $$('#column-chooser input[name=col]');
  const saved = JSON.parse(localStorage.getItem(COLS_KEY) || 'null');
  if (saved) for (const b of boxes) b.checked = saved.includes(b.value);
  const columns = () => boxes.filter(b => b.checked).map(b => b.value);
  let rows = [];
  const cell = (r, c) => {
    switch (c) {
      case 'started_at': return fmtTime(r.started_at);
      case 'reason': return label(r.reason);
      case 'ivr_options': return r.ivr_options.join(' ');
      case 'queue_wait_s': case 'total_wait_s': return fmtDuration(r[c]);
      case 'rung': return r.rung.map(x => x.agent + ': ' + x.outcome).join(', ');
      case 'client': return r.client || 'hidden';
      default: return r[c] == null ? '' : r[c];
    }
  };
  function render() {
    const cols = columns();
    $('#calls thead tr').replaceChildren(...cols.map(c => el('th', { class: c.endsWith('_s') ? 'num' : null }, label(c))));
    fill($('#calls'), rows, r => el('tr', { class: 'row', 'data-call': r.call_id, onclick: () => openCall(r.call_id) },
      cols.map(c => td(cell(r, c), c.endsWith('_s') ? 'num' : null))), cols.join(','));
  }
  for (const b of boxes) b.addEventListener('change', () => { localStorage.setItem(COLS_KEY, JSON.stringify(columns())); render(); });
  const target = () => {
    const p = apiQuery(form, ['from', 'to', 'result', 'reason']); p.set('columns', columns().join(','));
    return { path: '/v1/departments/' + encodeURIComponent($('#department').value.trim()) + '/calls', params: p };
  };
  async function load() {
    const d = $('#department').value.trim(); if (!d || !form.checkValidity()) return NEED_DEPARTMENT;
    rememberDepartment(d);
    const t = target(); t.params.delete('columns');
    rows = await getJSON(t.path + '?' + t.params);
    $('#calls-count').textContent = rows.length + ' calls. Click a call for its timeline.';
    render();
    if (!rows.length) return unknownDepartment(d);
  }
  const dialog = $('#call-dialog');
  $('#call-close').addEventListener('click', () => dialog.close());
  async function openCall(id) {
    try {
      const d = await getJSON('/v1/calls/' + encodeURIComponent(id) + '?' + apiQuery(form, []));
      const summary = d.summary.map(s => el('li', {}, (s.client || 'hidden number') + ' → ' + label(s.result) + (s.reason ? ' (' + label(s.reason) + ')' : '') +
        (s.queue_wait_s == null ? ', never queued' : ', queue wait ' + fmtDuration(s.queue_wait_s)) +
        (s.total_wait_s == null ? '' : ', total wait ' + fmtDuration(s.total_wait_s)) +
        (s.answered_by ? ', answered by ' + s.answered_by : s.last_rung ? ', last rung ' + s.last_rung : '')));
      const rung = d.summary.flatMap(s => s.rung);
      // (replaceChildren would show a null as the text "null": a call with no rings has no line.)
      $('#call-detail').replaceChildren(...[el('h2', {}, 'Call ' + d.call_id), el('ul', { id: 'call-summary' }, summary),
        rung.length ? el('p', {}, 'Rung: ' + rung.map(x => x.agent + ' (' + label(x.outcome) + ')').join(', ')) : null,
        el('table', { class: 'grid', id: 'timeline' }, el('thead', {}, el('tr', {}, el('th', {}, 'At'), el('th', {}, 'What'))),
           el('tbody', {}, d.timeline.map(s => el('tr', {}, td(fmtTime(s.at)), td(s.text)))))].filter(Boolean));
      dialog.showModal();
    } catch (e) { status(e.message, true); }
  }
  dataPage(form, load, target);
};

pages.audit = () => {
  const form = $('#filters');
  const target = () => ({ path: '/v1/audit/dismissals', params: apiQuery(form, ['by', 'reason', 'department', 'client', 'from', 'to']) });
  dataPage(form, async () => {
    const t = target(), rows = await getJSON(t.path + '?' + t.params);
    fill($('#dismissals'), rows, r => el('tr', { class: 'row' }, td(fmtTimeZone(r.at)), td(r.by), td(r.department), td(r.client || 'hidden'), td(label(r.reason)),
      td(r.comment || ''), td(r.attempts_before, 'num'), td(r.contacted_later ? 'yes' : 'no'),
      td(r.closed_episode ? r.closed_episode.missed_calls + ' missed since ' + fmtTimeZone(r.closed_episode.first_call_at) : 'none open')));
  }, target);
};

pages.leads = () => {
  const form = $('#filters');
  const target = report => ({ path: '/v1/leads/' + report, params: apiQuery(form, ['from', 'to', 'type', 'timezone']) });
  dataPage(form, async () => {
    const p = target('x').params;
    const [conv, emp, lost, calls] = await Promise.all(['conversion', 'employees', 'lost', 'calls'].map(r => getJSON('/v1/leads/' + r + '?' + p)));
    fill($('#conversion'), [...conv.types, conv.total], x => el('tr', { class: x.type == null ? 'total' : null }, td(x.type == null ? '(all types)' : x.type),
      td(x.leads, 'num'), td(x.to_order, 'num'), td(x.to_sale, 'num'), td(x.converted, 'num'), td(x.conversion_pct.toFixed(1), 'num')));
    const body = $('#employees tbody'); body.replaceChildren();
    for (const e of emp.employees) {
      const sub = el('tr', { class: 'sub', hidden: true }, el('td', { colspan: 5 }, el('table', { class: 'grid' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Lead'), el('th', {}, 'Type'), el('th', {}, 'Status'))),
        el('tbody', {}, e.leads_list.map(l => el('tr', {}, td(l.lead_id), td(l.type), td(l.status || '')))))));
      const row = el('tr', { class: 'row employee', 'aria-expanded': 'false', onclick: () => {
        sub.hidden = !sub.hidden; row.setAttribute('aria-expanded', String(!sub.hidden)); } },
        td('▸ ' + (e.assignee || '(unassigned)')), td(e.leads, 'num'), td(e.to_order, 'num'), td(e.to_sale, 'num'), td(e.conversion_pct.toFixed(1), 'num'));
      body.append(row, sub);
    }
    $('#lost-by-status').textContent = 'By status: ' + Object.entries(lost.by_status).map(([k, n]) => k + ' ' + n).join(', ');
    fill($('#lost'), lost.leads, x => el('tr', {}, td(x.lead_id), td(x.type), td(x.status), td(x.assignee || ''), td(fmtTime(x.created_at)), td(fmtTime(x.closed_at))));
    $('#lead-calls-summary').textContent = calls.with_missed_calls + ' leads had missed calls; ' + calls.lost + ' of them were lost.';
    fill($('#lead-calls'), calls.leads, x => el('tr', {}, td(x.lead_id), td(x.type), td(x.status || ''), td(x.lost ? 'yes' : 'no'), td(x.client || ''),
      td(x.missed_calls, 'num'), td(x.waiting_in_queue ? 'yes' : 'no')));
  }, target, document);
};

async function boot() {
  const page = document.body.dataset.page;
  if (page === 'signin') return pages.signin();
  if (!token()) { signOut(); return; }
  $('#signout').addEventListener('click', signOut);
  let me;
  try { me = await getJSON('/v1/me'); } catch (e) { status(e.message, true); return; }
  me.can = s => me.scopes.includes(s);
  $('#who').textContent = me.user + ' (' + me.scopes.join(', ') + ')';
  for (const a of $$('[data-scope]')) if (!me.can(a.dataset.scope)) a.remove();
  document.body.classList.toggle('can-handle', me.can('handle'));
  if (!me.can('read')) {
    $('main').replaceChildren(el('h1', {}, 'No access'),
      el('p', { id: 'no-access' }, 'Signed in as ' + me.user + ', whose token has no read scope: it cannot see reports. Ask for a token with read.'));
    state('ready');
    return;
  }
  DEPARTMENTS = await getJSON('/v1/departments').catch(() => null);
  const live = $('#nav-live'), remembered = localStorage.getItem(DEPT_KEY);
  if (live) { live.hidden = !remembered; if (remembered) live.href = '/live/' + encodeURIComponent(remembered); }
  const form = $('#filters'), refused = form ? initControls(form) : [];
  pages[page](me);
  if (refused.length) setTimeout(() => status('Not understood in the address, so not applied: ' + refused.join(', ') + '.', true, 15000), 0);
}
boot();
"""#
}
