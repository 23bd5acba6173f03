#!/usr/bin/env bash
# The test command: dependencies, the import-direction check, one build, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Tools/install-deps.sh
bash Tools/check-imports.sh
swift build --build-tests
swift test --skip-build
