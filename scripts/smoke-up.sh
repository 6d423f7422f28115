#!/usr/bin/env bash
# Runs the README's `npx flotilla up` as written, waits until its three nodes are Ready, stops it the
# way a user does (Ctrl-C, i.e. SIGINT to its process group) and removes the cluster with
# `npx flotilla down`. Used by .ci/run; fails loudly with the app's output when anything is off.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
setsid npx flotilla up >"$log" 2>&1 &
pid=$!
# Ctrl-C to the whole group, as a terminal sends it; true when `up` exited within 60 s.
stop() {
  kill -INT -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 1; done
  return 1
}
cleanup() {
  stop || kill -KILL -- "-$pid" 2>/dev/null || true
  npx flotilla down >/dev/null 2>&1 || true
}
trap cleanup EXIT
kubeconfig="$HOME/.flotilla/kubeconfig"
ready=0
for _ in $(seq 1 600); do
  if ! kill -0 "$pid" 2>/dev/null; then echo "flotilla up exited early:"; cat "$log"; exit 1; fi
  if [ -f "$kubeconfig" ] && [ "$(kubectl --kubeconfig "$kubeconfig" get nodes --no-headers 2>/dev/null | grep -c ' Ready ')" = 3 ]; then ready=1; break; fi
  sleep 1
done
if [ "$ready" != 1 ]; then echo "3 nodes were not Ready within 600 s:"; cat "$log"; kubectl --kubeconfig "$kubeconfig" get nodes || true; exit 1; fi
kubectl --kubeconfig "$kubeconfig" get nodes
echo "flotilla up: 3 nodes Ready (output: $(wc -l <"$log") lines)"
# The user's story: a sample app, exposed by an Ingress, opens at http://hello.localhost[:port].
port=$(sed -n 's|.*Ingress: http://<name>\.localhost:\{0,1\}\([0-9]*\) and.*|\1|p' "$log")
port=${port:-80}
k() { kubectl --kubeconfig "$kubeconfig" "$@"; }
k create deployment hello --image=flotilla/hello:1.0 --port=8080 >/dev/null
k expose deployment hello --port=80 --target-port=8080 >/dev/null
k create ingress hello --rule='hello.localhost/*=hello:80' >/dev/null
opened=0
for _ in $(seq 1 120); do
  if node -e "require('http').get({host:'127.0.0.1',port:$port,headers:{Host:'hello.localhost'}},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>{console.log(b.trim());process.exit(r.statusCode===200?0:1)})}).on('error',()=>process.exit(1))"; then opened=1; break; fi
  sleep 1
done
if [ "$opened" != 1 ]; then echo "http://hello.localhost:$port did not answer within 120 s:"; cat "$log"; k get pods -A -o wide || true; k describe ingress hello || true; exit 1; fi
echo "http://hello.localhost:$port answered through the ingress controller"
# The dashboard: `flotilla dashboard` gives the URL `up` serves; its token trades for the session cookie.
dash=$(npx flotilla dashboard | sed -n 's|^Dashboard: ||p')
if ! node -e "require('http').get(process.argv[1],r=>process.exit(r.statusCode===303&&/HttpOnly/.test(r.headers['set-cookie'])?0:1)).on('error',()=>process.exit(1))" "$dash"; then echo "the dashboard did not answer at ${dash%%\?*}:"; cat "$log"; exit 1; fi
echo "the dashboard answered at ${dash%%\?*}"
trap - EXIT
if ! stop; then kill -KILL -- "-$pid" 2>/dev/null || true; echo "flotilla up did not stop on Ctrl-C within 60 s"; cat "$log"; exit 1; fi
npx flotilla down
echo "flotilla up stopped on Ctrl-C; flotilla down removed the cluster"
