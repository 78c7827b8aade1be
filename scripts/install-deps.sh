#!/usr/bin/env bash
# Installs the system packages Rally builds and tests with (Debian 12). Idempotent.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
packages=(libssl-dev zlib1g-dev libhiredis-dev libsqlite3-dev openssl python3 python3-pip)
# The test run also drives the demo page in a headless browser (Tests/python/test_browser.py).
[ "${1:-}" = "--test" ] && packages+=(chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
if [ "${1:-}" = "--test" ]; then
  python3 -c 'import websockets, pytest, jwt, cryptography, jsonschema, yaml, openapi_core, openapi_spec_validator' 2>/dev/null \
    || python3 -m pip install -q --disable-pip-version-check --break-system-packages websockets pytest pyjwt cryptography jsonschema pyyaml openapi-core openapi-spec-validator 2>/dev/null \
    || python3 -m pip install -q --disable-pip-version-check websockets pytest pyjwt cryptography jsonschema pyyaml openapi-core openapi-spec-validator
fi
