#!/usr/bin/env bash
# Installs the Debian packages metricdb needs (Debian 12). Runs apt-get only
# when something is missing, so repeated runs are fast.
#   scripts/install-deps.sh          build, run and test
#   scripts/install-deps.sh --bench  also the benchmark's data and tools
#   scripts/install-deps.sh --sanitizers  also clang (scripts/check-sanitizers.sh)
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libabsl-dev libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libfaiss-dev libopenblas-dev libeigen3-dev librocksdb-dev libhnswlib-dev
  libcli11-dev libspdlog-dev nlohmann-json3-dev libhdf5-dev zlib1g-dev libssl-dev libcpp-httplib-dev
  libgtest-dev openssl  # openssl: the TLS test makes its certificates
  clang-format git  # scripts/check-format.sh and check-layout.sh, run by the tests
  python3-numpy python3-sklearn  # the tests export scikit-learn's datasets
  python3-grpcio python3-protobuf python3-pytest python3-matplotlib  # Python client, examples
  etcd-server dataset-fashion-mnist  # the cluster tests: a throwaway etcd, real data
  chromium  # the web console's test, in a headless browser
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3-hnswlib)
fi
if [[ "${1:-}" == "--sanitizers" ]]; then
  packages+=(clang)  # with libclang-common: the sanitizer runtimes and libFuzzer
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
