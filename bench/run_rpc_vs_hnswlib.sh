#!/usr/bin/env bash
# HNSW through the server against hnswlib in-process (issue #8: "through the
# server with concurrent clients >= 0.8x hnswlib"): ROUNDS alternating runs of
# bench/hnswlib_reference.py (ef 16 and 32, one query at a time on one
# thread) and `ann_bench --mode rpc` (one query per RPC from 1, 2, 4 clients,
# each with its own connection), every round's ratio and the median. This
# machine's speed drifts by up to 1.5x from one minute to the next, so the
# two sides alternate and each ratio compares neighbours in time. Markdown.
#   bench/run_rpc_vs_hnswlib.sh [ROUNDS]      (default 3)
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
rounds=${1:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for r in $(seq 1 "$rounds"); do
  /usr/bin/python3 bench/hnswlib_reference.py bench/data 1000 16,32 > "$out/hnswlib.$r"
  build/bench/ann_bench --mode rpc --data bench/data --queries 4000 > "$out/rpc.$r"
done
/usr/bin/python3 - "$out" "$rounds" <<'PY'
import statistics, sys

out, rounds = sys.argv[1], int(sys.argv[2])

def rows(path):
    for line in open(path):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0].isdigit():
            yield cells

print("| round | ef_search | hnswlib recall@10 | hnswlib q/s | server q/s, 1 / 2 / 4 clients "
      "| server CPU per query, 4 clients (us) | 4 clients / hnswlib |")
print("|---|---|---|---|---|---|---|")
ratios = {}
for r in range(1, rounds + 1):
    ref = {int(c[0]): (c[1], float(c[2])) for c in rows(f"{out}/hnswlib.{r}")}
    rpc = {}
    for c in rows(f"{out}/rpc.{r}"):
        rpc.setdefault(int(c[0]), {})[int(c[1])] = (float(c[2]), c[3])
    for ef in sorted(ref):
        recall, qps = ref[ef]
        by_clients = rpc[ef]
        ratio = by_clients[4][0] / qps
        ratios.setdefault(ef, []).append(ratio)
        print(f"| {r} | {ef} | {recall} | {qps:.0f} | "
              + " / ".join(f"{by_clients[c][0]:.0f}" for c in (1, 2, 4))
              + f" | {by_clients[4][1]} | {ratio:.2f} |")
print()
for ef, rs in sorted(ratios.items()):
    print(f"ef {ef}: median 4 clients / hnswlib = {statistics.median(rs):.2f} "
          f"(rounds: {', '.join(f'{x:.2f}' for x in rs)})")
PY
