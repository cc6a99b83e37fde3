#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds metricdb and serves it on
# 127.0.0.1:50051 with its data in ./data. Extra arguments go to the server.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
exec build/server/metricdb-server --listen 127.0.0.1:50051 --data-dir ./data "$@"
