#!/usr/bin/env bash
# The main job, from a fresh machine: install dependencies, build, simulate three days of a
# call center into ./ledger-data, and print a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Tools/install-deps.sh
swift build --product call-ledger
.build/debug/call-ledger demo --data "${CALL_LEDGER_DATA:-./ledger-data}" "$@"
