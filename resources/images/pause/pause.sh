#!/bin/sh
# Fallback pause, used only when no C compiler could build the static one: the same contract
# (exit 0 at once on SIGTERM/SIGINT, otherwise wait forever) in POSIX sh. As PID 1, sh reaps
# the orphans it inherits while it waits.
# The pod's resolv.conf, as pause.c writes it (rewritten in place: the file is a bind mount).
if [ -n "$FLOTILLA_RESOLV_CONF" ]; then printf '%s' "$FLOTILLA_RESOLV_CONF" > /etc/resolv.conf; fi
child=
trap 'kill "$child" 2>/dev/null; exit 0' TERM INT
while :; do
  sleep 2147483647 &
  child=$!
  wait "$child"
done
