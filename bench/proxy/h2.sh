#!/usr/bin/env bash
# HTTP/2 and gRPC rows of the proxy benchmark: the same h2load load sent directly to a backend, through nginx,
# HAProxy and this proxy (lib/proxy.bundle.js with listener.protocol http2, grpc or http), in one run, with ratios
# against the better peer. See bench/proxy/README.md ("HTTP/2 and gRPC rows").
#   h2:    h2c clients, h2c backends (listener.protocol http2)
#   grpc:  gRPC unary calls, h2c on both sides (listener.protocol grpc)
#   h2-h1: h2c clients, HTTP/1.1 backends (listener.protocol http, the default)
#
# Env: BENCH_MODE=h2|grpc|h2-h1|all (all = the three)  BENCH_SECS=10  BENCH_RUNS=1  BENCH_WARMUP_SECS=2
#      BENCH_H2_CLIENTS=16  BENCH_H2_STREAMS=10 (h2load -c and -m: connections, and concurrent streams on each)
#      BENCH_PORT=28080 (base port)  BENCH_TARGETS=comma list (direct,nginx,haproxy,this-proxy,this-proxy-24)
#      BENCH_POD_NODE=1  BENCH_PROXY_CPU=0  BENCH_LOAD_CPU=1  PROXY_NODE_FLAGS=--max-semi-space-size=4
# Traffic stays on loopback: backends on 127.0.0.11-13, proxies on 127.0.0.10.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SECS=${BENCH_SECS:-10}
RUNS=${BENCH_RUNS:-1}
MODE=${BENCH_MODE:-all}
WARMUP=${BENCH_WARMUP_SECS:-2}
CLIENTS=${BENCH_H2_CLIENTS:-16}
STREAMS=${BENCH_H2_STREAMS:-10}
PORT=${BENCH_PORT:-28080}
TARGETS=${BENCH_TARGETS:-}
PCPU=${BENCH_PROXY_CPU:-0}
LCPU=${BENCH_LOAD_CPU:-1}

PROXY_HOST=127.0.0.10
B1=127.0.0.11 B2=127.0.0.12 B3=127.0.0.13
P_NGINX=$((PORT + 1)) P_HAPROXY=$((PORT + 2)) P_LB=$((PORT + 4)) P_ADMIN=$((PORT + 5))
BUNDLE="$ROOT/lib/proxy.bundle.js"
H2_BODY=$'hello, world\n' # the HTTP/2 row's response body (13 bytes)

case "$MODE" in h2 | grpc | h2-h1 | all) ;; *) echo "h2.sh: BENCH_MODE must be h2, grpc, h2-h1 or all, got '$MODE'" >&2; exit 2 ;; esac
[[ "$SECS" =~ ^[0-9]+$ && "$SECS" -ge 1 && "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 && "$WARMUP" =~ ^[0-9]+$ ]] ||
  { echo "BENCH_SECS, BENCH_RUNS and BENCH_WARMUP_SECS must be integers (SECS, RUNS >= 1)" >&2; exit 2; }
[[ "$CLIENTS" =~ ^[0-9]+$ && "$STREAMS" =~ ^[0-9]+$ && "$CLIENTS" -ge 1 && "$STREAMS" -ge 1 ]] ||
  { echo "BENCH_H2_CLIENTS and BENCH_H2_STREAMS must be positive integers" >&2; exit 2; }
for tool in node h2load taskset nginx; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y nghttp2-client nginx util-linux); nginx also serves the h2c backends" >&2; exit 2; }
done
HAVE_HAPROXY=1
command -v haproxy >/dev/null || { HAVE_HAPROXY=0; echo "warning: haproxy not installed (apt-get install -y haproxy); skipping it" >&2; }
HAVE_GRPC_JS=1
node -e "require.resolve('@grpc/grpc-js', { paths: ['$ROOT'] })" 2>/dev/null || HAVE_GRPC_JS=0

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$ROOT/.bench-out/proxy-h2-$STAMP"
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/bench-proxy-h2.XXXXXX)
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
for p in $PORT $P_NGINX $P_HAPROXY $P_LB $P_ADMIN; do
  if ss -Hltn "sport = :$p" | grep -q .; then echo "port $p is in use; set BENCH_PORT to another base" >&2; exit 2; fi
done

log() { printf '[bench-h2 %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
# bg <logfile> <cmd...>: start in the background, remember the pid (LAST_PID) for cleanup.
bg() {
  local logf=$1; shift
  "$@" >"$logf" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}
forget() {
  local keep=() p
  for p in "${PIDS[@]}"; do [[ $p != "$1" ]] && keep+=("$p"); done
  PIDS=("${keep[@]}")
}
stop() {
  local pid=$1 i
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget "$pid"
}
# run <cmd...>: a foreground command that a signal can still interrupt (see run.sh).
run() {
  "$@" &
  local pid=$!
  PIDS+=("$pid")
  local rc=0
  wait "$pid" || rc=$?
  forget "$pid"
  return $rc
}
want() { [[ -z "$TARGETS" || ",$TARGETS," == *",$1,"* ]]; }
wait_http() { timeout 20 node "$HERE/wait-http.js" "$1" "${2:-10000}"; }
# wait_h2 <url> [ms]: a GET over h2c (prior knowledge) answers 200; on failure the reason is on stderr.
wait_h2() { timeout 20 node "$HERE/wait-h2.js" "$1" "${2:-10000}"; }
# check_target <host:port> <phase> <mode> <target> <run>: 30 requests over one client connection, all must succeed:
# real @grpc/grpc-js unary calls in grpc mode (status OK and the expected reply), h2c GETs otherwise (200 and the
# body). The JSON result (with `backends`: how many answers each backend gave, from its x-backend header) goes to
# raw.jsonl and to CHECK. Returns non-zero when a request failed.
check_target() {
  local rc=0
  if [[ $3 == grpc ]]; then
    if [[ $HAVE_GRPC_JS == 0 ]]; then CHECK='{"kind":"grpc-check","ok":null,"error":"@grpc/grpc-js not installed"}'; return 0; fi
    CHECK=$(timeout 20 node "$HERE/grpc-check.js" "$1" 30 3000) || rc=$?
  else
    CHECK=$(timeout 20 node "$HERE/h2-check.js" "http://$1/" 30 3000) || rc=$?
  fi
  [[ -z $CHECK ]] && CHECK='{"ok":false,"error":"the check timed out"}' && rc=1
  echo "$CHECK" | node -e "const l=JSON.parse(require('fs').readFileSync(0,'utf8'));console.log(JSON.stringify({...l,phase:'$2',mode:'$3',target:'$4',run:$5}))" >>"$OUT/raw.jsonl"
  return $rc
}

# nginx before 1.25.1 turns HTTP/2 on with `listen ... http2` (on a port without ssl: h2c with prior knowledge only);
# later versions deprecate that parameter for the `http2 on;` directive.
NGINX_VERSION=$( (nginx -v 2>&1 || true) | sed -n 's/.*nginx\/\([0-9.]*\).*/\1/p')
if [[ $(printf '%s\n1.25.1\n' "$NGINX_VERSION" | sort -V | head -1) == 1.25.1 ]]; then
  h2_listen() { echo "listen $1; http2 on;"; }
else
  h2_listen() { echo "listen $1 http2;"; }
fi
nginx_preamble() {
  # keepalive_requests also bounds the streams of one HTTP/2 connection (since nginx 1.19.7). At its default of 1000
  # nginx sends GOAWAY every 1000 streams, and h2load does not reconnect in a timed (-D) run.
  cat <<CONF
worker_processes 1;
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  client_body_temp_path $1/body;
CONF
}

# ---------- backends: one nginx (1 worker, LCPU) on B1, B2, B3: h2c only (h2, grpc), HTTP/1.1 (h2-h1) ----------
BACKEND_PID=""
start_backends() { # h2 | grpc | h2-h1
  local dir="$TMP/nginx-backend-$1" h
  mkdir -p "$dir/logs"
  node "$HERE/grpc-frame.js" reply "$dir/reply.bin"
  {
    nginx_preamble "$dir"
    for h in $B1 $B2 $B3; do
      if [[ $1 == h2 ]]; then
        echo "  server { $(h2_listen "$h:$PORT") location / { default_type text/plain; add_header x-backend $h; return 200 \"hello, world\\n\"; } }"
      elif [[ $1 == h2-h1 ]]; then
        echo "  server { listen $h:$PORT; location / { default_type text/plain; add_header x-backend $h; return 200 \"hello, world\\n\"; } }"
      else
        # A unary gRPC answer: 200, content-type application/grpc, one framed HelloReply (a file: the frame has NUL
        # bytes), trailer grpc-status 0. nginx's static module refuses POST with 405, which error_page turns into a GET
        # of the reply. `mirror` (with its default mirror_request_body on) makes nginx read the whole request body
        # first: answering before the request's END_STREAM makes nginx reset the stream (RST_STREAM NO_ERROR) after
        # the answer, and nginx's own grpc_pass then fails requests on that reused upstream connection ("upstream sent
        # frame for unknown stream").
        cat <<CONF
  server {
    $(h2_listen "$h:$PORT")
    location / { mirror /__read_body; root $dir; try_files /reply.bin =404; error_page 405 =200 /__reply; }
    location = /__reply { internal; default_type application/grpc; etag off; add_header x-backend $h; add_trailer grpc-status 0 always; alias $dir/reply.bin; }
    location = /__read_body { internal; return 204; }
  }
CONF
      fi
    done
    echo "}"
  } >"$dir/nginx.conf"
  bg "$OUT/backend-nginx-$1.log" taskset -c "$LCPU" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" -g 'daemon off;'
  BACKEND_PID=$LAST_PID
  local waitfn=wait_h2
  [[ $1 == h2-h1 ]] && waitfn=wait_http
  for h in $B1 $B2 $B3; do $waitfn "http://$h:$PORT/" || { log "the backends did not start; see $dir/logs/error.log"; cat "$dir/logs/error.log" >&2; exit 1; }; done
  if [[ $1 == grpc ]] && ! check_target "$B1:$PORT" backend grpc backend 0; then
    log "the gRPC backends do not answer gRPC: $CHECK"
    exit 1
  fi
}
stop_backends() {
  [[ -n $BACKEND_PID ]] && stop "$BACKEND_PID"
  BACKEND_PID=""
}

# ---------- proxies under test, pinned to PCPU; each sets LAST_PID, HOSTPORT (where h2load goes) and READY (h2: poll
# HOSTPORT with an h2c GET; else the URL to poll) ----------
start_nginx() { # mode
  # h2, grpc: nginx 1.22's proxy_pass speaks only HTTP/1.x to upstreams; grpc_pass is its HTTP/2 (h2c) upstream, and
  # it passes plain HTTP/2 requests as well as gRPC. It runs one stream per upstream connection, so the keepalive cache
  # must hold every in-flight stream's connection or nginx closes and reopens connections under load (the same holds
  # for proxy_pass over HTTP/1.1 in h2-h1).
  local dir="$TMP/nginx-proxy" ka=$((CLIENTS * STREAMS * 2))
  [[ $ka -lt 128 ]] && ka=128
  mkdir -p "$dir/logs"
  cat >"$dir/nginx.conf" <<CONF
$(nginx_preamble "$dir")
  proxy_temp_path $dir/proxy;
  upstream app {
    server $B1:$PORT;
    server $B2:$PORT;
    server $B3:$PORT;
    keepalive $ka;
    keepalive_requests 10000000;
  }
  server {
    $(h2_listen "$PROXY_HOST:$P_NGINX")
    location / { $(if [[ $1 == h2-h1 ]]; then echo 'proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";'; else echo 'grpc_pass grpc://app;'; fi) }
  }
}
CONF
  bg "$OUT/nginx.log" taskset -c "$PCPU" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" -g 'daemon off;'
  HOSTPORT="$PROXY_HOST:$P_NGINX"
  READY="h2"
}
start_haproxy() { # mode
  local cfg="$TMP/haproxy.cfg" proto=" proto h2"
  [[ $1 == h2-h1 ]] && proto=""
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
  bind $PROXY_HOST:$P_HAPROXY proto h2
  default_backend app
backend app
  balance roundrobin
  server b1 $B1:$PORT$proto
  server b2 $B2:$PORT$proto
  server b3 $B3:$PORT$proto
CONF
  bg "$OUT/haproxy.log" taskset -c "$PCPU" haproxy -db -f "$cfg"
  HOSTPORT="$PROXY_HOST:$P_HAPROXY"
  READY="h2"
}
lb_config() { # protocol (http2 | grpc | http) -> config file path
  local f="$TMP/lb-$1.json"
  cat >"$f" <<CONF
{
  "version": 1,
  "listener": { "protocol": "$1", "host": "$PROXY_HOST", "port": $P_LB },
  "admin": { "host": "$PROXY_HOST", "port": $P_ADMIN },
  "upstream": {
    "port": $PORT,
    "sources": [{ "kind": "static", "endpoints": [{ "address": "$B1" }, { "address": "$B2" }, { "address": "$B3" }] }]
  },
  "algorithm": { "kind": "round-robin" },
  "logging": { "level": "warn", "accessLog": false }
}
CONF
  echo "$f"
}
start_lb() { # protocol [node binary]
  local name="lb-$1${2:+-24}"
  cp "$(lb_config "$1")" "$OUT/$name.json"
  bg "$OUT/$name.log" taskset -c "$PCPU" "${2:-node}" ${PROXY_NODE_FLAGS:---max-semi-space-size=4} "$BUNDLE" --config "$OUT/$name.json"
  HOSTPORT="$PROXY_HOST:$P_LB"
  READY="http://$PROXY_HOST:$P_ADMIN/readyz"
}

cpu_ticks() { # "<busy> <total>" jiffies of CPU $1 from /proc/stat
  awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

# ---------- one measurement ----------
# measure <mode> <target> <via> <start-fn> [args...]
measure() {
  local mode=$1 target=$2 via=$3 startfn=$4
  shift 4
  want "$target" || return 0
  local run pid why
  for run in $(seq 1 "$RUNS"); do
    pid=""
    if [[ $startfn != none ]]; then
      "$startfn" "$@"
      pid=$LAST_PID
      why=""
      if [[ $READY == h2 ]]; then
        why=$(wait_h2 "http://$HOSTPORT/" 15000 2>&1) || true
        kill -0 "$pid" 2>/dev/null || why="it exited at start (see its log in $OUT)"
      elif ! why=$(wait_http "$READY" 15000 2>&1); then
        why="not ready on $READY: $why"
      else
        why=""
        # Ready on its admin port; now does its listener speak the protocol under test? (then check_target below)
        if [[ $mode != grpc ]]; then
          why=$(wait_h2 "http://$HOSTPORT/" 3000 2>&1) || true
        fi
      fi
      if [[ -z $why ]] && ! check_target "$HOSTPORT" before "$mode" "$target" "$run"; then
        why="$([[ $mode == grpc ]] && echo "gRPC calls" || echo "h2c GETs") through it failed: $CHECK"
      fi
      if [[ -n $why ]]; then
        if [[ $via == this-proxy ]]; then
          log "SKIPPED $mode/$target: this proxy (listener.protocol ${LB_PROTOCOL[$mode]}) does not answer ${WHAT[$mode]} yet: $why"
          echo "{\"kind\":\"skipped\",\"mode\":\"$mode\",\"target\":\"$target\",\"run\":$run,\"reason\":$(printf '%s' "$why" | node -e 'process.stdout.write(JSON.stringify(require("fs").readFileSync(0,"utf8")))')}" >>"$OUT/raw.jsonl"
        else
          log "FAILED $mode/$target: $why"
          echo "{\"kind\":\"failed\",\"mode\":\"$mode\",\"target\":\"$target\",\"run\":$run}" >>"$OUT/raw.jsonl"
        fi
        stop "$pid"
        return 0
      fi
    else
      HOSTPORT="$B1:$PORT"
    fi
    local url="http://$HOSTPORT/" extra=() body=${#H2_BODY} shape=(-c"$CLIENTS" -m"$STREAMS")
    # h2-h1 direct: the backends speak HTTP/1.1 only; one request at a time on each of clients x streams connections,
    # what a proxy's upstream side does.
    [[ $mode == h2-h1 && $via == direct ]] && shape=(--h1 -c$((CLIENTS * STREAMS)) -m1)
    if [[ $mode == grpc ]]; then
      url="http://$HOSTPORT/helloworld.Greeter/SayHello"
      extra=(-d "$TMP/grpc-request.bin" -H 'content-type: application/grpc' -H 'te: trailers')
      body=$(stat -c %s "$TMP/grpc-reply.bin")
    fi
    log "$mode: $target run $run/$RUNS: h2load ${shape[*]}, warm-up ${WARMUP}s, measure ${SECS}s"
    # Warm-up: its own h2load run, not recorded (h2load's --warm-up-time would keep the warm-up's bytes in its traffic
    # counters, which the body check below needs clean).
    [[ $WARMUP -gt 0 ]] && run taskset -c "$LCPU" timeout $((WARMUP + 30)) h2load -t1 "${shape[@]}" -D"$WARMUP" "${extra[@]}" "$url" >/dev/null 2>&1 || true
    # Memory of this proxy, sampled every 200 ms during the measured run.
    local sampler=""
    if [[ -n $pid && $via == this-proxy ]]; then
      (while kill -0 "$pid" 2>/dev/null; do awk '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} END {if (r) print r, a}' "/proc/$pid/status" 2>/dev/null || true; sleep 0.2; done) \
        >"$OUT/rss-$mode-$target-$run.txt" &
      sampler=$!
      PIDS+=("$sampler")
    fi
    # CPU busy share of both cores over the measured run: the proxy core should be near 100%; if the load core is,
    # h2load and the backends are the limit, not the proxy. Anything else running on the machine shows up here too.
    local cpuf="$TMP/cpu-$mode-$target-$run"
    echo "$(cpu_ticks "$PCPU") $(cpu_ticks "$LCPU")" >"$cpuf.0"
    local out="$OUT/h2load-$mode-$target-$run.txt" hlog="$OUT/h2load-$mode-$target-$run.log" rc=0
    run taskset -c "$LCPU" timeout $((SECS + 30)) h2load -t1 "${shape[@]}" -D"$SECS" \
      --log-file="$hlog" "${extra[@]}" "$url" >"$out" 2>&1 || rc=$?
    echo "$(cpu_ticks "$PCPU") $(cpu_ticks "$LCPU")" >"$cpuf.1"
    local alive=null
    if [[ -n $pid ]]; then
      alive=true
      kill -0 "$pid" 2>/dev/null || { alive=false; log "$mode/$target: the proxy exited during the run; see its log in $OUT"; }
    fi
    local cpu0=null cpu1=null
    if [[ -s $cpuf.0 ]]; then
      read -r a0 t0 a1 t1 <"$cpuf.0"
      read -r b0 u0 b1 u1 <"$cpuf.1"
      cpu0=$(awk -v a="$a0" -v b="$b0" -v t="$t0" -v u="$u0" 'BEGIN { printf "%.1f", (u > t) ? 100 * (b - a) / (u - t) : 0 }')
      cpu1=$(awk -v a="$a1" -v b="$b1" -v t="$t1" -v u="$u1" 'BEGIN { printf "%.1f", (u > t) ? 100 * (b - a) / (u - t) : 0 }')
      [[ -z $cpu0 ]] && cpu0=null
      [[ -z $cpu1 ]] && cpu1=null
    fi
    local rss=null steady=null anon=null hwm=null
    if [[ -n $sampler ]]; then
      hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
      stop "$sampler"
      local f="$OUT/rss-$mode-$target-$run.txt"
      rss=$(sort -n "$f" | tail -1 | awk '{print $1}')
      steady=$(sort -n "$f" | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]}')
      anon=$(sort -n -k2 "$f" | awk '{v[NR]=$2} END {if (NR) print v[int((NR+1)/2)]}')
      [[ -z $rss ]] && rss=null
      [[ -z $steady ]] && steady=null
      [[ -z $anon ]] && anon=null
      [[ -z $hwm ]] && hwm=null
    fi
    # After the run: the same requests again (a proxy can be fine at first and broken after the load), and how they
    # spread over the backends.
    local after=null
    if [[ $mode == h2-h1 && $via == direct ]]; then
      CHECK=null # the HTTP/1.1 backend does not speak h2c
    elif ! check_target "$HOSTPORT" after "$mode" "$target" "$run"; then
      log "$mode/$target: the requests after the run failed: $CHECK"
    fi
    after=$CHECK
    [[ $rc != 0 ]] && log "$mode/$target: h2load exited with $rc (see $out)"
    node "$HERE/parse-h2load.js" "$out" "$hlog" "$body" \
      "{\"kind\":\"h2load\",\"mode\":\"$mode\",\"target\":\"$target\",\"via\":\"$via\",\"run\":$run,\"clients\":$CLIENTS,\"streams\":$STREAMS,\"secs\":$SECS,\"h2loadExit\":$rc,\"proxyAlive\":$alive,\"cpuProxyPct\":$cpu0,\"cpuLoadPct\":$cpu1,\"checkAfter\":$after,\"rssMaxKb\":$rss,\"rssSteadyKb\":$steady,\"anonSteadyKb\":$anon,\"hwmKb\":$hwm}" \
      >>"$OUT/raw.jsonl"
    gzip -f "$hlog" 2>/dev/null || true
    if [[ -n $pid ]]; then stop "$pid"; fi
  done
}

declare -A LB_PROTOCOL=([h2]=http2 [grpc]=grpc [h2-h1]=http)
declare -A BACKEND_KIND=([h2]=h2c [grpc]="h2c gRPC" [h2-h1]=HTTP/1.1)
declare -A WHAT=([h2]="HTTP/2 (h2c with prior knowledge)" [grpc]="gRPC unary calls over h2c" [h2-h1]="HTTP/2 (h2c with prior knowledge) on its listener")
node "$HERE/grpc-frame.js" request "$TMP/grpc-request.bin"
node "$HERE/grpc-frame.js" reply "$TMP/grpc-reply.bin"

POD_NODE=""
if [[ ${BENCH_POD_NODE:-1} == 1 ]] && want this-proxy-24; then POD_NODE=$(bash "$ROOT/scripts/pod-node.sh" 2>/dev/null || true); fi
[[ ${BENCH_POD_NODE:-1} == 1 && -z $POD_NODE ]] && want this-proxy-24 && log "warning: the pod's Node 24.11.1 could not be fetched; its rows are skipped"
HAVE_LB=1
if [[ ! -f $BUNDLE ]]; then
  HAVE_LB=0
  log "warning: $BUNDLE missing (npm run build); skipping this proxy"
fi
[[ $HAVE_GRPC_JS == 0 ]] && log "warning: @grpc/grpc-js is not installed: the gRPC rows cannot check grpc-status, only HTTP status and body bytes"

run_mode() { # h2 | grpc | h2-h1
  log "$1 mode: nginx ${BACKEND_KIND[$1]} backends on CPU $LCPU, proxies on CPU $PCPU, h2load -c$CLIENTS -m$STREAMS on CPU $LCPU"
  start_backends "$1"
  measure "$1" direct direct none
  measure "$1" nginx nginx start_nginx "$1"
  [[ $HAVE_HAPROXY == 1 ]] && measure "$1" haproxy haproxy start_haproxy "$1"
  [[ $HAVE_LB == 1 ]] && measure "$1" this-proxy this-proxy start_lb "${LB_PROTOCOL[$1]}"
  [[ $HAVE_LB == 1 && -n $POD_NODE ]] && measure "$1" this-proxy-24 this-proxy start_lb "${LB_PROTOCOL[$1]}" "$POD_NODE"
  stop_backends
}

cat >"$OUT/meta.json" <<META
{
  "date": "$(date -u +%FT%TZ)",
  "commit": "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "secs": $SECS, "runs": $RUNS, "warmupSecs": $WARMUP, "clients": $CLIENTS, "streams": $STREAMS,
  "cpus": $(nproc), "loadavgAtStart": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "node": "$(node --version)",
  "podNode": "$([[ -n $POD_NODE ]] && "$POD_NODE" --version || echo none)",
  "nginx": "$NGINX_VERSION",
  "haproxy": "$( (haproxy -v 2>/dev/null || true) | head -1 | awk '{print $3}')",
  "h2load": "$( (h2load --version 2>&1 || true) | head -1 | awk '{print $2}')",
  "modes": {
    "h2": { "describe": "HTTP/2 (h2c prior knowledge) on both sides: GET, nginx h2c backends x3 answering a 13-byte body; nginx grpc_pass, HAProxy proto h2, this proxy listener.protocol http2", "bodyBytes": ${#H2_BODY} },
    "h2-h1": { "describe": "h2c clients, HTTP/1.1 backends: GET, nginx HTTP/1.1 backends x3 answering a 13-byte body; nginx proxy_pass (HTTP/1.1, keepalive), HAProxy bind proto h2 + HTTP/1.1 servers, this proxy listener.protocol http (the default); direct = h2load --h1 -c<clients x streams> -m1", "bodyBytes": ${#H2_BODY} },
    "grpc": { "describe": "gRPC unary over h2c on both sides: POST /helloworld.Greeter/SayHello (12-byte framed request), nginx backends x3 answering a 18-byte framed reply + grpc-status 0 trailer; nginx grpc_pass, HAProxy proto h2, this proxy listener.protocol grpc", "bodyBytes": $(stat -c %s "$TMP/grpc-reply.bin") }
  }
}
META

[[ $MODE == h2 || $MODE == all ]] && run_mode h2
[[ $MODE == grpc || $MODE == all ]] && run_mode grpc
[[ $MODE == h2-h1 || $MODE == all ]] && run_mode h2-h1
log "load average at end: $(cut -d' ' -f1-3 /proc/loadavg) (a busy machine makes every number noisy)"
node "$HERE/h2-report.js" "$OUT"
