#!/usr/bin/env bash
# TCP (L4) benchmark: the same wrk load through three L4 proxies to the same nginx backends, in one run, with ratios:
# this proxy (listener protocol tcp), HAProxy `mode tcp` and nginx `stream {}`, each pinned to one core. A separate
# script from run.sh because L4 rows need other peers and configs (and run.sh's HTTP rows are edited elsewhere).
# See bench/proxy/README.md, "TCP mode".
#
# Env: BENCH_SECS=10  BENCH_RUNS=1  BENCH_WARMUP_SECS=2  BENCH_PORT=29080 (base port)  BENCH_CONNS=64
#      BENCH_TCP_MODES=keepalive,close  (close: wrk sends `Connection: close`, so every request is a new connection)
#      BENCH_TARGETS=comma list of rows (direct,nginx-stream,haproxy-tcp,plain-node-tcp,this-proxy-tcp; all)
#      BENCH_PROXY_CPU=0  BENCH_LOAD_CPU=1
# Traffic stays on loopback: nginx backends on 127.0.0.11-13, proxies on 127.0.0.10.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SECS=${BENCH_SECS:-10}
RUNS=${BENCH_RUNS:-1}
WARMUP=${BENCH_WARMUP_SECS:-2}
PORT=${BENCH_PORT:-29080}
CONNS=${BENCH_CONNS:-64}
MODES=${BENCH_TCP_MODES:-keepalive,close}
TARGETS=${BENCH_TARGETS:-}
PCPU=${BENCH_PROXY_CPU:-0}
LCPU=${BENCH_LOAD_CPU:-1}

PROXY_HOST=127.0.0.10
B1=127.0.0.11 B2=127.0.0.12 B3=127.0.0.13
P_NGINX=$((PORT + 1)) P_HAPROXY=$((PORT + 2)) P_PLAIN=$((PORT + 3)) P_LB=$((PORT + 4)) P_ADMIN=$((PORT + 5))
BUNDLE="$ROOT/lib/proxy.bundle.js"

[[ "$SECS" =~ ^[0-9]+$ && "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 && "$CONNS" =~ ^[0-9]+$ ]] ||
  { echo "BENCH_SECS, BENCH_RUNS and BENCH_CONNS must be positive integers" >&2; exit 2; }
for m in ${MODES//,/ }; do
  [[ $m == keepalive || $m == close ]] || { echo "BENCH_TCP_MODES takes keepalive and close, got '$m'" >&2; exit 2; }
done
for tool in node wrk taskset nginx; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y wrk util-linux nginx)" >&2; exit 2; }
done
[[ -f $BUNDLE ]] || { echo "$BUNDLE is missing; run npm run build first" >&2; exit 2; }
HAVE_HAPROXY=1
command -v haproxy >/dev/null || { HAVE_HAPROXY=0; echo "warning: haproxy not installed (apt-get install -y haproxy); skipping it" >&2; }
# Debian builds the stream module as a dynamic module (package libnginx-mod-stream); other builds have it built in.
STREAM_LOAD=""
HAVE_STREAM=1
if nginx -V 2>&1 | grep -q -- '--with-stream=dynamic'; then
  so=""
  for d in /usr/lib/nginx/modules /usr/share/nginx/modules /etc/nginx/modules; do
    [[ -f $d/ngx_stream_module.so ]] && { so=$d/ngx_stream_module.so; break; }
  done
  if [[ -n $so ]]; then STREAM_LOAD="load_module $so;"; else
    HAVE_STREAM=0
    echo "warning: nginx's stream module is not installed (apt-get install -y libnginx-mod-stream); skipping nginx-stream" >&2
  fi
elif ! nginx -V 2>&1 | grep -q -- '--with-stream'; then
  HAVE_STREAM=0
  echo "warning: this nginx has no stream module; skipping nginx-stream" >&2
fi

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$ROOT/.bench-out/tcp-$STAMP"
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/bench-tcp.XXXXXX)
chmod 755 "$TMP"

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in $PORT $P_NGINX $P_HAPROXY $P_PLAIN $P_LB $P_ADMIN; do
  if ss -Hltn "sport = :$p" | grep -q .; then echo "port $p is in use; set BENCH_PORT to another base" >&2; exit 2; fi
done

log() { printf '[bench-tcp %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
bg() { # bg <logfile> <cmd...>: start in the background, remember the pid (LAST_PID) for cleanup
  local logf=$1; shift
  "$@" >"$logf" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}
stop() {
  local pid=$1 i
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local keep=() p
  for p in "${PIDS[@]}"; do [[ $p != "$pid" ]] && keep+=("$p"); done
  PIDS=("${keep[@]}")
}
run() { # a foreground command a signal can still interrupt
  "$@" &
  local pid=$!
  PIDS+=("$pid")
  local rc=0
  wait "$pid" || rc=$?
  local keep=() p
  for p in "${PIDS[@]}"; do [[ $p != "$pid" ]] && keep+=("$p"); done
  PIDS=("${keep[@]}")
  return $rc
}
wait_http() { timeout 20 node "$HERE/wait-http.js" "$1" "${2:-10000}"; }
want() { [[ -z "$TARGETS" || ",$TARGETS," == *",$1,"* ]]; }

# ---------- backends: one nginx worker serving a 13-byte body on three addresses ----------
start_backends() {
  local dir="$TMP/nginx-backend"
  mkdir -p "$dir/logs"
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  default_type text/plain;
  client_body_temp_path $dir/body;
  server { listen $B1:$PORT; location / { return 200 "hello, world\n"; } }
  server { listen $B2:$PORT; location / { return 200 "hello, world\n"; } }
  server { listen $B3:$PORT; location / { return 200 "hello, world\n"; } }
}
CONF
  bg "$OUT/backend-nginx.log" taskset -c "$LCPU" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" -g 'daemon off;'
  local h
  for h in $B1 $B2 $B3; do wait_http "http://$h:$PORT/"; done
}

# ---------- the L4 proxies, round robin, 1 s connect timeout, 60 s idle ----------
start_nginx_stream() {
  local dir="$TMP/nginx-stream"
  mkdir -p "$dir/logs"
  cat >"$dir/nginx.conf" <<CONF
$STREAM_LOAD
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 8192; }
stream {
  upstream app { server $B1:$PORT; server $B2:$PORT; server $B3:$PORT; }
  server { listen $PROXY_HOST:$P_NGINX; proxy_pass app; proxy_connect_timeout 1s; proxy_timeout 60s; }
}
CONF
  bg "$OUT/nginx-stream.log" taskset -c "$PCPU" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" -g 'daemon off;'
  URL="http://$PROXY_HOST:$P_NGINX/"
}
start_haproxy_tcp() {
  local cfg="$TMP/haproxy-tcp.cfg"
  cat >"$cfg" <<CONF
global
  nbthread 1
  maxconn 8192
defaults
  mode tcp
  timeout connect 1s
  timeout client 60s
  timeout server 60s
frontend fe
  bind $PROXY_HOST:$P_HAPROXY
  default_backend app
backend app
  balance roundrobin
  server b1 $B1:$PORT
  server b2 $B2:$PORT
  server b3 $B3:$PORT
CONF
  bg "$OUT/haproxy-tcp.log" taskset -c "$PCPU" haproxy -db -f "$cfg"
  URL="http://$PROXY_HOST:$P_HAPROXY/"
}
start_plain_tcp() {
  bg "$OUT/plain-tcp.log" taskset -c "$PCPU" node "$HERE/plain-tcp-proxy.js" --host $PROXY_HOST --port $P_PLAIN \
    --backends "$B1:$PORT,$B2:$PORT,$B3:$PORT"
  URL="http://$PROXY_HOST:$P_PLAIN/"
}
start_lb_tcp() {
  local f="$TMP/lb-tcp.json"
  cat >"$f" <<CONF
{
  "version": 1,
  "listener": { "protocol": "tcp", "host": "$PROXY_HOST", "port": $P_LB },
  "admin": { "host": "$PROXY_HOST", "port": $P_ADMIN },
  "upstream": {
    "port": $PORT,
    "sources": [{ "kind": "static", "endpoints": [{ "address": "$B1" }, { "address": "$B2" }, { "address": "$B3" }] }]
  },
  "algorithm": { "kind": "round-robin" },
  "limits": { "maxInFlight": 100000, "maxInFlightPerEndpoint": 100000 },
  "shutdownDelayMs": 0,
  "drainMs": 1000,
  "logging": { "level": "warn", "accessLog": false }
}
CONF
  bg "$OUT/lb-tcp.log" taskset -c "$PCPU" node ${PROXY_NODE_FLAGS:---max-semi-space-size=4} "$BUNDLE" --config "$f"
  wait_http "http://$PROXY_HOST:$P_ADMIN/readyz" 15000 || true
  URL="http://$PROXY_HOST:$P_LB/"
}

# measure <mode> <target> <start-fn|none>
measure() {
  local mode=$1 target=$2 startfn=$3
  want "$target" || return 0
  local hdr=() run pid wrkout
  [[ $mode == close ]] && hdr=(-H 'Connection: close')
  for run in $(seq 1 "$RUNS"); do
    pid=""
    if [[ $startfn == none ]]; then URL="http://$B1:$PORT/"; else
      "$startfn"
      pid=$LAST_PID
    fi
    if ! wait_http "$URL" 15000; then
      log "$target did not answer through $URL; see $OUT/*.log"
      [[ -n $pid ]] && stop "$pid"
      echo "{\"kind\":\"failed\",\"mode\":\"$mode\",\"target\":\"$target\",\"run\":$run}" >>"$OUT/raw.jsonl"
      return 0
    fi
    log "$mode: $target run $run/$RUNS: warm-up ${WARMUP}s, measure ${SECS}s, $CONNS connections"
    run taskset -c "$LCPU" timeout $((WARMUP + 30)) wrk -t1 -c"$CONNS" -d"${WARMUP}s" "${hdr[@]}" "$URL" >/dev/null
    wrkout="$OUT/wrk-$mode-$target-$run.txt"
    run taskset -c "$LCPU" timeout $((SECS + 30)) wrk -t1 -c"$CONNS" -d"${SECS}s" --timeout 5s --latency "${hdr[@]}" "$URL" >"$wrkout"
    node "$HERE/parse-wrk.js" "$wrkout" \
      "{\"kind\":\"wrk\",\"mode\":\"$mode\",\"target\":\"$target\",\"run\":$run,\"conns\":$CONNS,\"secs\":$SECS}" >>"$OUT/raw.jsonl"
    [[ -n $pid ]] && stop "$pid"
    # Let TIME_WAIT sockets of a close-mode row settle before the next row.
    if [[ $mode == close ]]; then sleep 1; fi
  done
}

cat >"$OUT/meta.json" <<META
{
  "date": "$(date -u +%FT%TZ)",
  "commit": "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "secs": $SECS, "runs": $RUNS, "warmupSecs": $WARMUP, "conns": $CONNS,
  "cpus": $(nproc), "loadavgAtStart": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "node": "$(node --version)",
  "nginx": "$( (nginx -v 2>&1 || true) | sed 's/.*nginx\///')",
  "haproxy": "$( (haproxy -v 2>/dev/null || true) | head -1 | awk '{print $3}')",
  "wrk": "$( (wrk -v 2>&1 || true) | head -1 | awk '{print $2}')"
}
META

log "backends: nginx x3 addresses on CPU $LCPU; proxies on CPU $PCPU"
start_backends
for mode in ${MODES//,/ }; do
  measure "$mode" direct none
  [[ $HAVE_STREAM == 1 ]] && measure "$mode" nginx-stream start_nginx_stream
  [[ $HAVE_HAPROXY == 1 ]] && measure "$mode" haproxy-tcp start_haproxy_tcp
  measure "$mode" plain-node-tcp start_plain_tcp
  measure "$mode" this-proxy-tcp start_lb_tcp
done
log "load average at end: $(cut -d' ' -f1-3 /proc/loadavg) (a busy machine makes every number noisy)"
node "$HERE/tcp-report.js" "$OUT"
