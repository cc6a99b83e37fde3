#!/usr/bin/env bash
# Installs the Python client (package `metricdb`) for Debian's python3: its
# Debian dependencies, the generated stubs (built by CMake), and the package
# in the system's site-packages. Then `import metricdb` works anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh > /dev/null
target="$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
mkdir -p "$target"
rm -rf "$target/metricdb"
cp -r build/python/metricdb "$target/metricdb"
echo "installed metricdb into $target"
