#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds metricdb and runs every test.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j2 --timeout 900
