#!/usr/bin/env bash
# live-browser-bench: issue 8's end-to-end target, "with 20 k events/s arriving, the page's update
# reaches the browser within 1 s", on the real server and a real headless Chromium.
#
#   bash Tools/Benchmarks/live-browser-bench.sh [EVENTS_PER_S] [HISTORY_EVENTS]
#
# Loads HISTORY_EVENTS simulated events (default 1,000,000) into a fresh ledger, starts the release
# `call-ledger serve` on it with live thresholds and alerts for four departments, and runs
# Tests/Web/live.py: while a thread posts EVENTS_PER_S (default 20,000) events of other calls to
# support, the page of a quiet department is opened and four changes of its in_queue tile (three calls queued
# one by one, then all hung up) are timed from the append's HTTP answer to the tile showing the new
# value and zone. Prints the summary line of live.py (seconds per update, achieved load).
# Needs chromium, chromium-driver and Python's selenium (Tools/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
rate=${1:-20000}
history=${2:-1000000}
work=.build-bench-work/live-browser-bench
swift build -c release --scratch-path .build-bench --product call-ledger --product simulate >&2
bin=.build-bench/release
rm -rf "$work" && mkdir -p "$work"
echo "loading $history simulated events …" >&2
# History ends months before today: the live window (the last hours) holds only this run's calls.
"$bin/simulate" --events "$history" --start 2025-01-06 --output "$work/history.ndjson"
"$bin/call-ledger" append --data "$work/ledger" "$work/history.ndjson" >&2
cat > "$work/server.json" <<'JSON'
{"live": {"thresholds": {"in_queue": {"yellow": 1, "red": 3}, "free_agents": {"yellow": 0, "direction": "below"}},
          "departments": {"desk": {}, "sales": {}, "support": {}, "billing": {}}, "refresh_ms": 500}}
JSON
port=$((20000 + RANDOM % 20000))
CALL_LEDGER_TOKENS="reader-token-1=reader:read,appender-token-1=appender:append" \
  "$bin/call-ledger" serve --data "$work/ledger" --port "$port" --config "$work/server.json" > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/healthz" > /dev/null || { cat "$work/serve.log" >&2; exit 1; }
# The measured page is of "desk", a department of one available member (as sales in
# LiveServerTests), so that its tiles start where live.py expects; the history and the load are
# other departments', whose panels the server recomputes too.
now_ms() { date -u -d "@$(($(date +%s) - 600))" +%Y-%m-%dT%H:%M:%S.000Z; }
at=$(now_ms)
printf '%s\n%s\n' \
  "{\"id\":\"lbb-join-$port\",\"type\":\"agent.joined\",\"at\":\"$at\",\"data\":{\"agent\":\"a1\",\"department\":\"desk\",\"name\":\"Анна\"}}" \
  "{\"id\":\"lbb-status-$port\",\"type\":\"agent.status\",\"at\":\"$at\",\"data\":{\"agent\":\"a1\",\"status\":\"available\"}}" |
  curl -sf -X POST -H "Authorization: Bearer appender-token-1" -H "Content-Type: application/x-ndjson" \
    --data-binary @- "http://127.0.0.1:$port/v1/events" > /dev/null
python3 Tests/Web/live.py "http://127.0.0.1:$port" reader-token-1 appender-token-1 desk "$work/artifacts" "$rate" support | tail -1
