#!/usr/bin/env bash
# The main job, from a fresh machine: install dependencies, build, and run the server on a
# throw-away ledger holding three simulated days of a call center (embedded LMDB, nothing else to
# start). It prints the URL and an admin token; Ctrl-C stops it. Extra arguments go to
# `call-ledger serve` (e.g. --port 9000 or --host 0.0.0.0).
set -euo pipefail
cd "$(dirname "$0")/.."
bash Tools/install-deps.sh
swift build --product call-ledger
exec .build/debug/call-ledger serve --demo "$@"
