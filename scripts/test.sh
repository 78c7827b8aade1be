#!/usr/bin/env bash
# The whole test suite: Swift unit and loopback tests, the end-to-end suite (conformance,
# handshakes, a third-party client, TLS, slow consumers) against a release build, and each
# fuzz target for FUZZ_SECONDS (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test

echo "== swift test"
log=$(mktemp)
if ! swift test >"$log" 2>&1; then
  grep -E 'error|failed|Fatal|Issue recorded|✘' "$log" | head -100
  tail -20 "$log"
  echo "swift test failed"
  exit 1
fi
grep -E 'Test run with|Executed [0-9]+ test' "$log" | tail -3

echo "== end-to-end (Tests/python) against a release build"
swift build -c release   # rally-server, and rally-bench for the browser test's RallyClient
RALLY_SERVER="$PWD/.build/release/rally-server" python3 -m pytest Tests/python -q -p no:cacheprovider

if [ -d Fuzz ] && [ "${FUZZ_SECONDS:-60}" != "0" ]; then
  echo "== fuzzing"
  Fuzz/run.sh "${FUZZ_SECONDS:-60}"
fi
