#!/bin/sh
# Fallback pause, used only when no C compiler could build the static one: the same contract
# (exit 0 at once on SIGTERM/SIGINT, otherwise wait forever) in POSIX sh. As PID 1, sh reaps
# the orphans it inherits while it waits.
child=
trap 'kill "$child" 2>/dev/null; exit 0' TERM INT
while :; do
  sleep 2147483647 &
  child=$!
  wait "$child"
done
