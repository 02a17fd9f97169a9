#!/usr/bin/env bash
# Proxy benchmark: the same wrk load sent directly to a backend, through nginx, HAProxy, a plain Node proxy and this
# proxy (lib/proxy.bundle.js), in one run, with ratios. See bench/proxy/README.md.
#
# Env: BENCH_MODE=throughput|slow|all (all; h2|grpc|h2-h1: h2.sh)  BENCH_SECS=10  BENCH_RUNS=1  BENCH_WARMUP_SECS=2
#      BENCH_PORT=28080 (base port)  BENCH_BACKEND=nginx|node (throughput-mode backends; nginx)
#      BENCH_TARGETS=comma list of target names to run (all)  BENCH_STARTS=5 (starts for the readiness timing)
#      BENCH_PROXY_CPU=0  BENCH_LOAD_CPU=1
# Traffic stays on loopback: backends on 127.0.0.11-13, proxies on 127.0.0.10.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SECS=${BENCH_SECS:-10}
RUNS=${BENCH_RUNS:-1}
MODE=${BENCH_MODE:-all}
WARMUP=${BENCH_WARMUP_SECS:-2}
PORT=${BENCH_PORT:-28080}
BACKEND=${BENCH_BACKEND:-nginx}
TARGETS=${BENCH_TARGETS:-}
STARTS=${BENCH_STARTS:-5}
PCPU=${BENCH_PROXY_CPU:-0}
LCPU=${BENCH_LOAD_CPU:-1}

PROXY_HOST=127.0.0.10
B1=127.0.0.11 B2=127.0.0.12 B3=127.0.0.13
P_NGINX=$((PORT + 1)) P_HAPROXY=$((PORT + 2)) P_PLAIN=$((PORT + 3)) P_LB=$((PORT + 4)) P_ADMIN=$((PORT + 5))
BUNDLE="$ROOT/lib/proxy.bundle.js"

case "$MODE" in
  throughput | slow | all) ;;
  h2 | grpc | h2-h1) exec bash "$HERE/h2.sh" ;; # the HTTP/2 and gRPC rows (h2load); `npm run bench:h2` runs them all
  *) echo "BENCH_MODE must be throughput, slow, all, h2, grpc or h2-h1, got '$MODE'" >&2; exit 2 ;;
esac
[[ "$SECS" =~ ^[0-9]+$ && "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 ]] || { echo "BENCH_SECS and BENCH_RUNS must be positive integers" >&2; exit 2; }
for tool in node wrk taskset; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y wrk util-linux)" >&2; exit 2; }
done
HAVE_NGINX=1 HAVE_HAPROXY=1
command -v nginx >/dev/null || { HAVE_NGINX=0; echo "warning: nginx not installed (apt-get install -y nginx); skipping it" >&2; }
command -v haproxy >/dev/null || { HAVE_HAPROXY=0; echo "warning: haproxy not installed (apt-get install -y haproxy); skipping it" >&2; }
[[ "$BACKEND" == nginx && $HAVE_NGINX == 0 ]] && BACKEND=node

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$ROOT/.bench-out/proxy-$STAMP"
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/bench-proxy.XXXXXX)
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

# Every port we use must be free, so that we never measure someone else's server.
for p in $PORT $P_NGINX $P_HAPROXY $P_PLAIN $P_LB $P_ADMIN; do
  if ss -Hltn "sport = :$p" | grep -q .; then echo "port $p is in use; set BENCH_PORT to another base" >&2; exit 2; fi
done

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
# bg <logfile> <cmd...>: start in the background, remember the pid (LAST_PID) for cleanup.
bg() {
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
# run <cmd...>: a foreground command that a signal can still interrupt (bash runs traps only between commands, but
# `wait` returns at once on a trapped signal, and cleanup then kills the child).
run() {
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

# ---------- backends ----------
BACKEND_PIDS=()
COUNTING=0 # node backends count requests (GET /__count); nginx backends do not
start_node_backends() { # delays for B1 B2 B3
  local d=("$@") i=0 h
  for h in $B1 $B2 $B3; do
    bg "$OUT/backend-$h.log" taskset -c "$LCPU" node "$HERE/backend.js" --host "$h" --port "$PORT" --delay-ms "${d[$i]}" --name "$h"
    BACKEND_PIDS+=("$LAST_PID")
    i=$((i + 1))
  done
  COUNTING=1
  for h in $B1 $B2 $B3; do wait_http "http://$h:$PORT/"; done
}
# The part of an nginx.conf shared by the nginx backends and the nginx proxy: one worker, paths under $1, an open
# http block (the caller closes it).
nginx_preamble() {
  cat <<CONF
worker_processes 1;
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
CONF
}
start_nginx_backends() {
  local dir="$TMP/nginx-backend"
  mkdir -p "$dir/logs"
  cat >"$dir/nginx.conf" <<CONF
$(nginx_preamble "$dir")
  default_type text/plain;
  client_body_temp_path $dir/body;
  server { listen $B1:$PORT; location / { add_header x-backend $B1; return 200 "hello, world\n"; } }
  server { listen $B2:$PORT; location / { add_header x-backend $B2; return 200 "hello, world\n"; } }
  server { listen $B3:$PORT; location / { add_header x-backend $B3; return 200 "hello, world\n"; } }
}
CONF
  bg "$OUT/backend-nginx.log" taskset -c "$LCPU" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" -g 'daemon off;'
  BACKEND_PIDS+=("$LAST_PID")
  local h
  for h in $B1 $B2 $B3; do wait_http "http://$h:$PORT/"; done
}
stop_backends() {
  local p
  for p in "${BACKEND_PIDS[@]}"; do stop "$p"; done
  BACKEND_PIDS=()
  COUNTING=0
}

# ---------- proxies under test ----------
# Each start_* starts one proxy pinned to PCPU, sets LAST_PID and URL (where wrk goes) and READY (what to poll).
start_nginx() { # balance: round-robin | least_conn
  local dir="$TMP/nginx-proxy" balance=""
  [[ $1 == least_conn ]] && balance="least_conn;"
  mkdir -p "$dir/logs"
  cat >"$dir/nginx.conf" <<CONF
$(nginx_preamble "$dir")
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  upstream app {
    $balance
    server $B1:$PORT;
    server $B2:$PORT;
    server $B3:$PORT;
    keepalive 128;
    keepalive_requests 10000000;
  }
  server {
    listen $PROXY_HOST:$P_NGINX;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
CONF
  bg "$OUT/nginx.log" taskset -c "$PCPU" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" -g 'daemon off;'
  URL="http://$PROXY_HOST:$P_NGINX/"
  READY=$URL
}
start_haproxy() { # balance: roundrobin | leastconn
  local cfg="$TMP/haproxy.cfg"
  cat >"$cfg" <<CONF
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 1s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
  http-reuse always
frontend fe
  bind $PROXY_HOST:$P_HAPROXY
  default_backend app
backend app
  balance $1
  server b1 $B1:$PORT
  server b2 $B2:$PORT
  server b3 $B3:$PORT
CONF
  bg "$OUT/haproxy.log" taskset -c "$PCPU" haproxy -db -f "$cfg"
  URL="http://$PROXY_HOST:$P_HAPROXY/"
  READY=$URL
}
start_plain() { # [node binary]
  bg "$OUT/plain-proxy.log" taskset -c "$PCPU" "${1:-node}" "$HERE/plain-proxy.js" --host $PROXY_HOST --port $P_PLAIN \
    --backends "$B1:$PORT,$B2:$PORT,$B3:$PORT"
  URL="http://$PROXY_HOST:$P_PLAIN/"
  READY=$URL
}
lb_config() { # algorithm kind -> config file path
  local f="$TMP/lb-$1.json"
  cat >"$f" <<CONF
{
  "version": 1,
  "listener": { "host": "$PROXY_HOST", "port": $P_LB },
  "admin": { "host": "$PROXY_HOST", "port": $P_ADMIN },
  "upstream": {
    "port": $PORT,
    "sources": [{ "kind": "static", "endpoints": [{ "address": "$B1" }, { "address": "$B2" }, { "address": "$B3" }] }]
  },
  "algorithm": { "kind": "$1" },
  "logging": { "level": "warn", "accessLog": false }
}
CONF
  echo "$f"
}
start_lb() { # algorithm kind [node binary]
  bg "$OUT/lb-$1.log" taskset -c "$PCPU" "${2:-node}" ${PROXY_NODE_FLAGS:---max-semi-space-size=4} "$BUNDLE" --config "$(lb_config "$1")"
  URL="http://$PROXY_HOST:$P_LB/"
  READY="http://$PROXY_HOST:$P_ADMIN/readyz"
}

# ---------- one measurement ----------
# measure <mode> <conns> <target> <via> <algorithm> <start-fn> [args...]
measure() {
  local mode=$1 conns=$2 target=$3 via=$4 alg=$5 startfn=$6
  shift 6
  want "$target" || return 0
  local run pid sampler wrkout
  for run in $(seq 1 "$RUNS"); do
    pid=""
    if [[ $startfn != none ]]; then
      "$startfn" "$@"
      pid=$LAST_PID
      if ! wait_http "$READY" 15000; then
        log "$target did not become ready; see $OUT/*.log"
        stop "$pid"
        echo "{\"kind\":\"failed\",\"mode\":\"$mode\",\"target\":\"$target\",\"run\":$run}" >>"$OUT/raw.jsonl"
        return 0
      fi
    else
      URL="http://$B1:$PORT/"
    fi
    log "$mode: $target ($alg) run $run/$RUNS: warm-up ${WARMUP}s, measure ${SECS}s, $conns connections"
    run taskset -c "$LCPU" timeout $((WARMUP + 30)) wrk -t1 -c"$conns" -d"${WARMUP}s" "$URL" >/dev/null
    sampler=""
    if [[ -n $pid && ($via == this-proxy || $via == plain-node) ]]; then
      (while kill -0 "$pid" 2>/dev/null; do awk '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} END {if (r) print r, a}' "/proc/$pid/status" 2>/dev/null || true; sleep 0.2; done) \
        >"$OUT/rss-$mode-$target-$run.txt" &
      sampler=$!
      PIDS+=("$sampler")
    fi
    wrkout="$OUT/wrk-$mode-$target-$run.txt"
    local c0=null c1=null
    if [[ $COUNTING == 1 ]]; then c0=$(node "$HERE/count.js" "$B1:$PORT" "$B2:$PORT" "$B3:$PORT"); fi
    run taskset -c "$LCPU" timeout $((SECS + 30)) wrk -t1 -c"$conns" -d"${SECS}s" --timeout 5s --latency "$URL" >"$wrkout"
    if [[ $COUNTING == 1 ]]; then c1=$(node "$HERE/count.js" "$B1:$PORT" "$B2:$PORT" "$B3:$PORT"); fi
    local rss=null hwm=null steady=null anon=null anonMax=null
    if [[ -n $sampler ]]; then
      hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo null)
      stop "$sampler"
      # Samples taken during the measured window: peak, and the median as the steady figure.
      local f="$OUT/rss-$mode-$target-$run.txt"
      rss=$(sort -n "$f" | tail -1 | awk '{print $1}')
      anonMax=$(sort -n -k2 "$f" | tail -1 | awk '{print $2}')
      steady=$(sort -n "$f" | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]}')
      anon=$(sort -n -k2 "$f" | awk '{v[NR]=$2} END {if (NR) print v[int((NR+1)/2)]}')
      [[ -z $rss ]] && rss=null
      [[ -z $steady ]] && steady=null
      [[ -z $anon ]] && anon=null
      [[ -z $anonMax ]] && anonMax=null
    fi
    node "$HERE/parse-wrk.js" "$wrkout" \
      "{\"kind\":\"wrk\",\"mode\":\"$mode\",\"target\":\"$target\",\"via\":\"$via\",\"algorithm\":\"$alg\",\"run\":$run,\"conns\":$conns,\"secs\":$SECS,\"rssMaxKb\":$rss,\"rssSteadyKb\":$steady,\"anonSteadyKb\":$anon,\"anonMaxKb\":$anonMax,\"hwmKb\":${hwm:-null},\"backendCountsBefore\":$c0,\"backendCountsAfter\":$c1}" \
      >>"$OUT/raw.jsonl"
    if [[ -n $pid ]]; then stop "$pid"; fi
  done
}

# The pod image's Node (24.11.1), fetched from the npm registry once; its rows are marked -24.
POD_NODE=""
if [[ ${BENCH_POD_NODE:-1} == 1 ]]; then POD_NODE=$(bash "$ROOT/scripts/pod-node.sh" 2>/dev/null || true); fi
[[ -z $POD_NODE ]] && log "warning: the pod's Node 24.11.1 could not be fetched; its rows are skipped"

HAVE_LB=1
if [[ ! -f $BUNDLE ]]; then
  HAVE_LB=0
  log "warning: $BUNDLE missing (npm run build); skipping this proxy"
fi

run_throughput() {
  log "throughput mode: backends are $BACKEND on CPU $LCPU"
  if [[ $BACKEND == nginx ]]; then start_nginx_backends; else start_node_backends 0 0 0; fi
  measure throughput 64 direct direct - none
  [[ $HAVE_NGINX == 1 ]] && measure throughput 64 nginx nginx round-robin start_nginx round-robin
  [[ $HAVE_HAPROXY == 1 ]] && measure throughput 64 haproxy haproxy roundrobin start_haproxy roundrobin
  measure throughput 64 plain-node plain-node round-robin start_plain
  [[ -n $POD_NODE ]] && measure throughput 64 plain-node-24 plain-node round-robin start_plain "$POD_NODE"
  [[ $HAVE_LB == 1 ]] && measure throughput 64 this-proxy this-proxy round-robin start_lb round-robin
  [[ $HAVE_LB == 1 && -n $POD_NODE ]] && measure throughput 64 this-proxy-24 this-proxy round-robin start_lb round-robin "$POD_NODE"
  stop_backends
}
run_slow() {
  log "slow mode: node backends with 1 ms, 1 ms, 20 ms on CPU $LCPU"
  start_node_backends 1 1 20
  measure slow 32 direct direct "- (1 ms backend)" none
  [[ $HAVE_NGINX == 1 ]] && measure slow 32 nginx nginx least_conn start_nginx least_conn
  [[ $HAVE_HAPROXY == 1 ]] && measure slow 32 haproxy haproxy leastconn start_haproxy leastconn
  measure slow 32 plain-node plain-node round-robin start_plain
  if [[ $HAVE_LB == 1 ]]; then
    measure slow 32 this-proxy-peak-ewma this-proxy peak-ewma start_lb peak-ewma
    [[ -n $POD_NODE ]] && measure slow 32 this-proxy-peak-ewma-24 this-proxy peak-ewma start_lb peak-ewma "$POD_NODE"
    measure slow 32 this-proxy-p2c this-proxy power-of-two-choices start_lb power-of-two-choices
    measure slow 32 this-proxy-least-conn this-proxy least-connections start_lb least-connections
    measure slow 32 this-proxy-rr this-proxy round-robin start_lb round-robin
  fi
  stop_backends
}

cat >"$OUT/meta.json" <<META
{
  "date": "$(date -u +%FT%TZ)",
  "commit": "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "secs": $SECS, "runs": $RUNS, "warmupSecs": $WARMUP,
  "cpus": $(nproc), "loadavgAtStart": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "node": "$(node --version)",
  "podNode": "$([[ -n $POD_NODE ]] && "$POD_NODE" --version || echo none)",
  "nginx": "$( (nginx -v 2>&1 || true) | sed 's/.*nginx\///')",
  "haproxy": "$( (haproxy -v 2>/dev/null || true) | head -1 | awk '{print $3}')",
  "wrk": "$( (wrk -v 2>&1 || true) | head -1 | awk '{print $2}')",
  "throughputBackend": "$BACKEND",
  "modes": {
    "throughput": { "conns": 64, "describe": "fast backends ($BACKEND x3, no delay), round robin everywhere; direct = wrk to one backend address ($B1)" },
    "slow": { "conns": 32, "describe": "node backends delayed 1 ms, 1 ms, 20 ms; nginx least_conn, HAProxy leastconn; direct = wrk to the 1 ms backend ($B1)" }
  }
}
META

if [[ $HAVE_LB == 1 ]] && want startup; then
  log "this proxy: spawn to /readyz 200, $STARTS starts"
  run taskset -c "$LCPU" timeout 120 node "$HERE/start-time.js" "$(lb_config round-robin)" "http://$PROXY_HOST:$P_ADMIN/readyz" "$STARTS" "$PCPU" \
    >>"$OUT/raw.jsonl" || log "startup timing failed"
fi
[[ $MODE == throughput || $MODE == all ]] && run_throughput
[[ $MODE == slow || $MODE == all ]] && run_slow
log "load average at end: $(cut -d' ' -f1-3 /proc/loadavg) (a busy machine makes every number noisy)"
node "$HERE/report.js" "$OUT"
