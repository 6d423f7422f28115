#!/usr/bin/env bash
# Every benchmark in its --quick mode, one after the other: a smoke test (CI runs it after the
# tests, from .ci/run). Each phase of each benchmark must run to the end with every request
# answered (a benchmark exits non-zero otherwise); their verdicts are printed but do not fail
# this script, because quick numbers are not comparable. Afterwards nothing a benchmark made may
# be left: no Docker container, network or volume of a bench-* cluster, no new temp folder.
# Needs the build (`npm run build`) and, for bench:nodes, Docker with the node images (the first
# `flotilla up` builds them). Usage: bash bench/quick.sh [name ...] (default: all).
set -uo pipefail
cd "$(dirname "$0")/.."

benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(api scheduler deployments nodes soak dns proxy ingress)

# Docker objects of benchmark clusters (every benchmark names its cluster bench-<name>-<unique>).
leftovers() {
  command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 || return 0
  {
    docker ps -a --filter label=flotilla.dev/cluster --format '{{.Label "flotilla.dev/cluster"}} container {{.Names}}'
    docker network ls --filter label=flotilla.dev/cluster --format '{{.Label "flotilla.dev/cluster"}} network {{.Name}}'
    docker volume ls --filter label=flotilla.dev/cluster --format '{{.Label "flotilla.dev/cluster"}} volume {{.Name}}'
  } | grep '^bench-' || true
}
tmpdirs() { ls -d "${TMPDIR:-/tmp}"/flotilla-bench-* 2>/dev/null | sort || true; }

before_docker=$(leftovers)
before_tmp=$(tmpdirs)
log=$(mktemp)
failed=()
start=$(date +%s)
for b in "${benches[@]}"; do
  t0=$(date +%s)
  echo "== bench:$b --quick"
  # stdout is the JSON document (also saved under bench/results); stderr the progress and table.
  if timeout --signal=TERM --kill-after=60 300 npx tsx "bench/$b/run.ts" --quick >/dev/null 2>"$log"; then
    sed -n '/^+---/,$p' "$log"
    echo "bench:$b --quick: ok in $(( $(date +%s) - t0 )) s"
  else
    rc=$?
    tail -60 "$log"
    echo "bench:$b --quick: FAILED (exit $rc) after $(( $(date +%s) - t0 )) s"
    failed+=("$b")
  fi
done
rm -f "$log"

new_docker=$(comm -13 <(echo "$before_docker" | sort) <(leftovers | sort))
new_tmp=$(comm -13 <(echo "$before_tmp") <(tmpdirs))
if [ -n "$new_docker" ]; then echo "left behind in Docker:"; echo "$new_docker"; failed+=("docker leftovers"); fi
if [ -n "$new_tmp" ]; then echo "left behind in ${TMPDIR:-/tmp}:"; echo "$new_tmp"; failed+=("temp leftovers"); fi
echo "benchmarks (quick) took $(( $(date +%s) - start )) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
