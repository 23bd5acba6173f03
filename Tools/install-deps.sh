#!/usr/bin/env bash
# Installs what building and testing CallLedger needs on a fresh Debian machine with Swift:
# liblmdb (the log's storage engine) and libxlsxwriter (spreadsheet export), both linked through
# pkg-config, Python's jsonschema and openpyxl, the independent readers the tests check our
# output with, and Debian's chromium and chromedriver with Selenium, which drive the web pages in
# the browser tests (Tests/Web/pages.py), and curl (a stream client in the shutdown test). Safe to
# run again: it installs only what is missing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
missing=()
for p in liblmdb-dev lmdb-utils libxlsxwriter-dev zlib1g-dev pkg-config chromium chromium-driver curl; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}…" >&2
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! python3 -c 'import jsonschema, referencing, rfc3339_validator, openpyxl' 2>/dev/null; then
  echo "installing Python jsonschema and openpyxl (test readers)…" >&2
  python3 -m pip install -q jsonschema referencing rfc3339-validator openpyxl
fi
# The server's independent checkers: Prometheus' text parser, and OpenAPI tools that read
# Schemas/openapi.yaml and test the live server against it.
if ! python3 -c 'import prometheus_client, openapi_spec_validator, schemathesis' 2>/dev/null; then
  echo "installing prometheus-client, openapi-spec-validator and schemathesis (server checkers)…" >&2
  python3 -m pip install -q prometheus-client openapi-spec-validator schemathesis
fi
if ! python3 -c 'import selenium' 2>/dev/null; then
  echo "installing Python selenium (drives the browser tests)…" >&2
  python3 -m pip install -q selenium
fi
# The live panel's alert tests: msmtp, the sendmail interface alerts are e-mailed through, and
# Python's aiosmtpd, the SMTP sink that receives them.
if ! dpkg -s msmtp >/dev/null 2>&1; then
  echo "installing msmtp (alert e-mails)…" >&2
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq msmtp >/dev/null
fi
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  echo "installing Python aiosmtpd (SMTP sink of the alert tests)…" >&2
  python3 -m pip install -q aiosmtpd
fi
