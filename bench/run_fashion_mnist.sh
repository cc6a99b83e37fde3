#!/usr/bin/env bash
# The foundation benchmark on Fashion-MNIST (60k train as records with their
# class as label, 10k test as queries). Prints a markdown table.
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
build/bench/server_bench --data bench/data --cli build/client/metricdb "$@"
