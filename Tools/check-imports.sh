#!/usr/bin/env bash
# Enforces the one direction of imports:
#   LedgerCLI → LedgerServer → LedgerExport → LedgerReports → LedgerProjections → LedgerLog → LedgerStorage → CLMDB,
#   and LedgerEvents (Foundation only) used by all.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
bad() { echo "import rule broken: $1" >&2; echo "$2" | sed 's/^/  /' >&2; fail=1; }
check() { local rule=$1 found; found=$(eval "$2" || true); [ -z "$found" ] || bad "$rule" "$found"; }

check "only LedgerStorage imports CLMDB" \
  "grep -rlE '^\s*(@_implementationOnly |package |internal )?import CLMDB' Sources Tools Tests | grep -v '^Sources/LedgerStorage/'"
# (Tools/Benchmarks holds the raw-C baselines it compiles with gcc: C code, not Swift calling LMDB.)
check "only LedgerXLSX imports CXLSXWriter" \
  "grep -rlE '^\s*import CXLSXWriter' Sources Tools Tests | grep -v '^Sources/LedgerXLSX/'"
check "only LedgerStorage/LMDB calls mdb_*" \
  "grep -rlE '\bmdb_[a-z_]+\(' --include='*.swift' Sources Tools Examples | grep -vE '^(Sources/LedgerStorage/LMDB/|Tools/Benchmarks/)'"
check "LedgerProjections and LedgerReports never import CLMDB, NIO, Hummingbird or ArgumentParser" \
  "grep -rlE '^\s*import (CLMDB|NIO|Hummingbird|ArgumentParser)' Sources/LedgerProjections Sources/LedgerReports"
check "LedgerReports reads storage only through LedgerProjections" \
  "grep -rlE '^\s*import LedgerStorage' Sources/LedgerReports"
check "LedgerExport (report files) sits above the reports: nothing below it imports it" \
  "grep -rlE '^\s*import LedgerExport' Sources/LedgerReports Sources/LedgerProjections Sources/LedgerLog Sources/LedgerStorage Sources/LedgerEvents Sources/LedgerXLSX"
check "HTTP stays at the edge: only LedgerServer imports Hummingbird" \
  "grep -rlE '^\s*import (Hummingbird|NIO)' Sources | grep -vE '^Sources/LedgerServer/'"
check "LedgerEvents imports nothing of ours" \
  "grep -rlE '^\s*import (Ledger|CLMDB|ArgumentParser)' Sources/LedgerEvents"
check "LedgerAsterisk (the PBX adapter) imports only LedgerEvents of ours" \
  "grep -rnE '^\s*import (Ledger|CLMDB|CXLSXWriter|ArgumentParser)' Sources/LedgerAsterisk | grep -vE ':\s*import LedgerEvents$'"
check "LedgerStorage does not know events" \
  "grep -rlE '^\s*import (LedgerEvents|LedgerLog|ArgumentParser)' Sources/LedgerStorage"
check "libraries never import ArgumentParser or the CLI" \
  "grep -rlE '^\s*import (ArgumentParser|LedgerCLI)' Sources | grep -v '^Sources/LedgerCLI/'"
check "LedgerLog does not import the CLI" \
  "grep -rlE '^\s*import LedgerCLI' Sources/LedgerLog"
check "unsafe pointers only in the LMDB room (and the CRC over its buffers) and the XLSX writer" \
  "grep -rlE 'Unsafe(Mutable)?(Raw)?(Buffer)?Pointer|withUnsafe' Sources | grep -vE '^Sources/(LedgerStorage/(LMDB/|CRC32C.swift|RecordFormat.swift|TailIndex.swift)|LedgerXLSX/)'"
[ $fail = 0 ] && echo "imports: ok" >&2
exit $fail
