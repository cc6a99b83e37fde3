#!/usr/bin/env bash
# Checks the layout rules of issue #17 on the tracked sources; prints each
# violation and exits 1 if there is any:
#  1. rooms: a file in engine/<room>/ includes only engine headers of its own
#     room or of rooms below it, in the order
#       base <- storage <- index <- collection <- metric <- identity <- clustering
#     and the engine includes nothing of server/, client/, cluster/ or gRPC;
#  2. cluster/ (between server/ and engine/) includes nothing of server/ or
#     client/;
#  3. no .cc/.h under engine/, cluster/ or server/ longer than 600 lines;
#  4. no detached threads (.detach()) anywhere in the sources.
#   scripts/check-layout.sh
set -uo pipefail
cd "$(dirname "$0")/.."
rooms=(base storage index collection metric identity clustering)
rank() { local i; for i in "${!rooms[@]}"; do [[ ${rooms[$i]} == "$1" ]] && echo "$i" && return; done; echo -1; }
failed=0
fail() { echo "$1"; failed=1; }

for f in $(git ls-files 'engine/*.h' 'engine/*.cc'); do
  room=$(cut -d/ -f2 <<< "$f")
  own=$(rank "$room")
  if ((own < 0)); then fail "$f: not in a room (engine/{${rooms[*]}})"; continue; fi
  while IFS=: read -r line inc; do
    target=$(sed -E 's/.*"engine\/([a-z_]+)\/.*/\1/' <<< "$inc")
    if (($(rank "$target") > own)); then
      fail "$f:$line: includes $inc from room '$target', above '$room'"
    fi
  done < <(grep -n '#include "engine/' "$f" | sed -E 's/^([0-9]+):#include (.*)/\1:\2/')
  grep -nE '#include [<"](server/|client/|cluster/|grpc|grpcpp/)' "$f" |
    while IFS= read -r hit; do echo "$f:$hit: the engine includes no gRPC, server or client"; done |
    grep . && failed=1
done

for f in $(git ls-files 'cluster/*.h' 'cluster/*.cc'); do
  grep -nE '#include [<"](server/|client/)' "$f" |
    while IFS= read -r hit; do echo "$f:$hit: cluster/ includes no server or client"; done |
    grep . && failed=1
done

for f in $(git ls-files 'engine/*.h' 'engine/*.cc' 'cluster/*.h' 'cluster/*.cc' 'server/*.h' 'server/*.cc'); do
  n=$(wc -l < "$f")
  ((n > 600)) && fail "$f: $n lines (at most 600)"
done

if git grep -n '\.detach()' -- '*.cc' '*.h'; then
  fail "detached threads (above): give each thread an owner that joins it"
fi

((failed)) && exit 1
echo "layout ok: rooms ${rooms[*]}; cluster below server; no file over 600 lines; no detached thread"
