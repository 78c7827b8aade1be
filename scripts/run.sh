#!/usr/bin/env bash
# Builds and runs rally-server (release build). Extra arguments go to the server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product rally-server
exec .build/release/rally-server "$@"
