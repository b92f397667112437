#!/usr/bin/env bash
# Loads every core with a busy loop while a command runs, to check that the suites do not depend on
# an idle machine:  scripts/cpu-burn.sh npm test   (or: scripts/cpu-burn.sh -n 2 npm run test:faults)
# Without a command it burns until interrupted. The burners are niced to 0 (the same priority as the
# tests) and are stopped when the command ends, however it ends.
set -uo pipefail
workers=$(nproc)
if [ "${1:-}" = "-n" ]; then workers=$2; shift 2; fi

pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done; }
trap stop EXIT INT TERM
for _ in $(seq 1 "$workers"); do
  node -e 'for (;;) {}' &
  pids+=($!)
done
echo "cpu-burn: ${workers} busy loop(s) running (pids ${pids[*]})" >&2

if [ $# -eq 0 ]; then wait; exit 0; fi
"$@"
