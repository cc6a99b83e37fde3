#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds metricdb and serves it on
# 127.0.0.1:50051 with its data in ./data, the HTTP/JSON API on
# http://127.0.0.1:8080/v1/ and Prometheus metrics on
# http://127.0.0.1:9464/metrics. Extra arguments go to the server.
#
# Authentication is on: the first run generates an admin token in
# ./secrets/admin.token (for clients: export METRICDB_TOKEN_FILE=...) and its
# SHA-256 in ./secrets/tokens (the server's token file; add read/write tokens
# there, see README "Security").
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
if [[ ! -f secrets/tokens ]]; then
  (
    umask 077
    mkdir -p secrets
    token=$(head -c 30 /dev/urandom | base64 | tr -d '/+=\n')
    printf '%s\n' "$token" > secrets/admin.token
    printf 'admin %s admin\n' "$(printf %s "$token" | sha256sum | cut -d' ' -f1)" > secrets/tokens
  )
  echo "generated an admin token; clients: export METRICDB_TOKEN_FILE=$PWD/secrets/admin.token"
fi
exec build/server/metricdb-server --listen 127.0.0.1:50051 --data-dir ./data \
  --auth-tokens secrets/tokens --http-listen 127.0.0.1:8080 --metrics-listen 127.0.0.1:9464 "$@"
