#!/usr/bin/env bash
# The scale-out cloud for real on loopback: Redis, PostgreSQL, an S3 server (moto), two
# ingest/API nodes behind an nginx load balancer, two workers, and nginx as the edge cache.
#
#   deploy/local-cluster.sh up       start everything; stdout: INGEST=, API=, PUBLIC=, TOKEN=
#   deploy/local-cluster.sh down     stop every process `up` started (its pid files), only those
#   deploy/local-cluster.sh status   what runs (exit 0: all of it, 3: not all)
#
# State (pid files, logs, ports, the token): $REELEDITOR_CLUSTER_DIR, default
# /tmp/reeleditor-cluster. The `reeleditor` run is $REELEDITOR_BIN, else the one on PATH;
# moto_server is $MOTO_SERVER, else the one beside it, else on PATH; PostgreSQL's programs
# are in $PG_BIN, else on PATH, else the newest /usr/lib/postgresql/*/bin. Ports are free
# ones picked at `up`, or $REELEDITOR_CLUSTER_PORT_BASE .. +7. $REELEDITOR_CLUSTER_SERVE_ARGS
# and $REELEDITOR_CLUSTER_WORKER_ARGS add words to the nodes' and workers' command lines;
# $REELEDITOR_CLUSTER_WORKERS sets how many workers (default 2).
# deploy/README.md says what each piece is in production.
set -euo pipefail

STATE=${REELEDITOR_CLUSTER_DIR:-/tmp/reeleditor-cluster}
BUCKET=reeleditor
DATABASE=reeleditor
WAIT=${REELEDITOR_CLUSTER_WAIT:-60} # seconds a piece may take to answer
WORKERS=${REELEDITOR_CLUSTER_WORKERS:-2} # how many `reeleditor worker` processes
case $WORKERS in '' | *[!0-9]* | 0) echo "REELEDITOR_CLUSTER_WORKERS must be 1 or more" >&2; exit 2 ;; esac
pieces() { # what up starts (the workers as many as the state says, else as asked)
  local n=$WORKERS
  [ -f "$STATE/cluster.env" ] && n=$(sed -n 's/^WORKERS=//p' "$STATE/cluster.env")
  printf 'redis postgres s3 node1 node2 nginx'
  seq -f ' worker%g' 1 "${n:-$WORKERS}" | tr -d '\n'
}
# Extra words for the nodes' and the workers' command lines (tests shorten the job lease).
SERVE_ARGS=${REELEDITOR_CLUSTER_SERVE_ARGS:-}
WORKER_ARGS=${REELEDITOR_CLUSTER_WORKER_ARGS:-}

log() { printf 'local-cluster: %s\n' "$*" >&2; }

# -- processes we started: "<pid> <start time>" in $STATE/pids/<name>.pid ----------------------
start_time() { # the kernel's start time of a pid (field 22 of /proc/PID/stat), or nothing
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) } # the fields after "(comm) "
  set -- $stat
  case $1 in Z | X) return 0 ;; esac # a zombie has stopped; only its parent's wait is left
  printf '%s' "${20}"
}

group_of() { # the process group of a pid (field 5 of /proc/PID/stat; no procps needed)
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  set -- $stat
  printf '%s' "$3"
}

record() { # NAME PID: remember PID as ours, with its start time so a reused pid is not ours
  local started
  started=$(start_time "$2")
  [ -n "$started" ] || return 1
  printf '%s %s\n' "$2" "$started" >"$STATE/pids/$1.pid"
}

pid_of() { # NAME: the pid if that process of ours still runs, else nothing
  local file=$STATE/pids/$1.pid pid started
  [ -f "$file" ] || return 0
  read -r pid started <"$file" || return 0
  [ -n "$pid" ] && [ "$(start_time "$pid")" = "$started" ] && printf '%s' "$pid"
  return 0
}

# `setsid CMD` as a background job is not a group leader, so it execs in place: $! is CMD,
# and CMD leads its own session (its children die with it; Ctrl-C of the caller spares it).
spawn() { # NAME CMD...
  local name=$1
  shift
  setsid "$@" >"$STATE/logs/$name.log" 2>&1 </dev/null &
  local pid=$!
  sleep 0.05
  record "$name" "$pid" || fail "$name exited at once: $(last_line "$STATE/logs/$name.log")"
}

last_line() { # FILE: its last non-empty line, for a one-line reason
  [ -f "$1" ] || { printf '(no log)'; return; }
  local line
  line=$(grep -v '^[[:space:]]*$' "$1" | tail -n 1 | cut -c1-300)
  printf '%s' "${line:-(empty log)}"
}

stop_one() { # NAME SIGNAL: signal our process (its whole session when it leads one), wait
  local name=$1 sig=$2 pid pgid n
  pid=$(pid_of "$name")
  if [ -z "$pid" ]; then
    rm -f "$STATE/pids/$name.pid"
    return 0
  fi
  pgid=$(group_of "$pid")
  if [ "$pgid" = "$pid" ]; then kill "-$sig" -- "-$pid" 2>/dev/null || true
  else kill "-$sig" "$pid" 2>/dev/null || true; fi
  for n in $(seq 1 100); do # 10 s, then SIGKILL
    [ -n "$(pid_of "$name")" ] || break
    sleep 0.1
  done
  if [ -n "$(pid_of "$name")" ]; then
    log "$name did not stop on SIG$sig; killing it"
    if [ "$pgid" = "$pid" ]; then kill -KILL -- "-$pid" 2>/dev/null || true
    else kill -KILL "$pid" 2>/dev/null || true; fi
    sleep 0.2
  fi
  rm -f "$STATE/pids/$name.pid"
}

stop_all() {
  # front to back: nothing new comes in while the back ends stop
  stop_one nginx TERM
  stop_one node1 TERM
  stop_one node2 TERM
  local file
  for file in "$STATE"/pids/worker*.pid; do
    [ -e "$file" ] || continue
    file=${file##*/}
    stop_one "${file%.pid}" TERM
  done
  stop_one s3 TERM
  stop_one redis TERM
  stop_one postgres INT # fast shutdown: active sessions are ended, not waited for
  if [ -f "$STATE/cluster.env" ]; then
    local run
    run=$(sed -n 's/^RUN_DIR=//p' "$STATE/cluster.env")
    if [ -n "$run" ] && [ -d "$run" ]; then
      cp "$run"/pg/postgres.log "$STATE/logs/" 2>/dev/null || true
      rm -rf "$run"
    fi
  fi
}

fail() { # one line on stderr, stop what was started, exit 1
  trap - ERR
  log "up failed: $*"
  stop_all
  exit 1
}

# -- tools --------------------------------------------------------------------------------------
find_tools() {
  REELEDITOR=${REELEDITOR_BIN:-$(command -v reeleditor || true)}
  [ -n "$REELEDITOR" ] && [ -x "$REELEDITOR" ] ||
    fail "no reeleditor program (activate the venv, or set REELEDITOR_BIN)"
  MOTO=${MOTO_SERVER:-}
  if [ -z "$MOTO" ]; then
    MOTO=$(dirname "$REELEDITOR")/moto_server
    [ -x "$MOTO" ] || MOTO=$(command -v moto_server || true)
  fi
  [ -n "$MOTO" ] && [ -x "$MOTO" ] ||
    fail "no moto_server (pip install 'moto[server]', in the test extra; or set MOTO_SERVER)"
  if [ -z "${PG_BIN:-}" ]; then
    if command -v initdb >/dev/null; then PG_BIN=$(dirname "$(readlink -f "$(command -v initdb)")")
    else PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true); fi
  fi
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] ||
    fail "no PostgreSQL server programs (apt install postgresql, or set PG_BIN)"
  local tool
  for tool in redis-server nginx curl setsid python3; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-system-packages.sh --test)"
  done
  if [ "$(id -u)" -eq 0 ]; then
    getent passwd postgres >/dev/null ||
      fail "PostgreSQL refuses to run as root, and there is no 'postgres' user to run it as"
    command -v runuser >/dev/null || fail "runuser (util-linux) is not installed"
  fi
}

as_pg() { # PostgreSQL's server refuses root: run it as the postgres user then
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_ports() { # N free loopback ports (bound together, so all different)
  python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

wait_until() { # NAME WHAT CMD...: retry CMD until it succeeds; fail if NAME dies or time runs out
  local name=$1 what=$2 deadline=$((SECONDS + WAIT))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ -f "$STATE/pids/$name.pid" ] && [ -z "$(pid_of "$name")" ]; then
      fail "$name exited: $(last_line "$STATE/logs/$name.log")"
    fi
    [ "$SECONDS" -lt "$deadline" ] ||
      fail "$name did not $what within ${WAIT}s: $(last_line "$STATE/logs/$name.log")"
    sleep 0.2
  done
}

http_ok() { # URL [curl options]: a 2xx answer
  local url=$1
  shift
  curl -s -o /dev/null --max-time 3 -f "$@" "$url"
}

tus_ok() { # URL: answers OPTIONS like a tus server
  curl -s -o /dev/null -D - --max-time 3 -X OPTIONS -H 'Tus-Resumable: 1.0.0' "$1" |
    grep -qi '^tus-version:'
}

# -- up -----------------------------------------------------------------------------------------
write_nginx_conf() { # the ingest load balancer and the edge cache, one nginx
  local conf=$RUN_DIR/nginx/nginx.conf user=""
  [ "$(id -u)" -ne 0 ] || user="user nobody nogroup;" # workers drop root
  cat >"$conf" <<EOF
# Written by deploy/local-cluster.sh. Production: a load balancer and a CDN (deploy/README.md).
$user
worker_processes 1;
pid $RUN_DIR/nginx/nginx.pid;
error_log $STATE/logs/nginx-error.log warn;
events { worker_connections 1024; }
http {
    client_body_temp_path $RUN_DIR/nginx/tmp/body;
    proxy_temp_path $RUN_DIR/nginx/tmp/proxy;
    fastcgi_temp_path $RUN_DIR/nginx/tmp/fastcgi;
    uwsgi_temp_path $RUN_DIR/nginx/tmp/uwsgi;
    scgi_temp_path $RUN_DIR/nginx/tmp/scgi;
    server_tokens off;
    log_format upstream '\$remote_addr "\$request" \$status \$request_length '
                        'node=\$upstream_addr cache=\$upstream_cache_status \$request_time';
    # One key for the edge and its purge listener: the path and query, whoever asks.
    proxy_cache_key \$scheme\$proxy_host\$request_uri;

    # Round robin: consecutive requests of one upload go to different nodes, which share
    # nothing but the catalog, the queue and the bucket. A node that refuses a connection
    # is skipped for 5 s; a request is only retried on another before its body was sent.
    upstream ingest_nodes {
        server 127.0.0.1:$NODE1_PORT max_fails=1 fail_timeout=5s;
        server 127.0.0.1:$NODE2_PORT max_fails=1 fail_timeout=5s;
        keepalive 16;
    }
    # The edge's origin: the same stateless nodes read the bucket.
    upstream origin_nodes {
        server 127.0.0.1:$NODE1_PORT max_fails=1 fail_timeout=5s;
        server 127.0.0.1:$NODE2_PORT max_fails=1 fail_timeout=5s;
        keepalive 16;
    }
    proxy_cache_path $RUN_DIR/nginx/cache levels=1:2 keys_zone=edge:16m max_size=4g
                     inactive=30d use_temp_path=off;

    # The one ingest and API address (a load balancer in production).
    server {
        listen 127.0.0.1:$INGEST_PORT;
        access_log $STATE/logs/nginx-ingest.log upstream;
        client_max_body_size 0;          # the nodes enforce tus's Upload-Length limit
        client_body_timeout 60s;
        location / {
            proxy_pass http://ingest_nodes;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-Host \$http_host;
            proxy_request_buffering off; # PATCH bodies stream through, never spooled here
            proxy_buffering off;
            proxy_connect_timeout 2s;
            proxy_send_timeout 120s;
            proxy_read_timeout 120s;
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
            add_header X-Ingest-Node \$upstream_addr always;
        }
    }

    # The edge cache for what everyone reads (a CDN in production). Media URLs are
    # content-addressed, so the origin's Cache-Control (a year, immutable; a minute for
    # playlists and 404s; 10 s for lists) is trusted.
    server {
        listen 127.0.0.1:$EDGE_PORT;
        access_log $STATE/logs/nginx-edge.log upstream;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host \$http_host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
        proxy_connect_timeout 2s;
        proxy_next_upstream error timeout http_502 http_503;
        proxy_cache edge;
        proxy_cache_lock on;             # one origin fetch per object, however many ask
        proxy_cache_revalidate on;
        proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;
        add_header X-Cache-Status \$upstream_cache_status always;
        location /media/ {
            proxy_pass http://origin_nodes;
            proxy_cache_valid 200 30d;   # when the origin says nothing
            proxy_cache_valid 404 1m;
        }
        location = /feed.json {
            proxy_pass http://origin_nodes;
            proxy_cache_valid 200 5s;
        }
        location /api/reels {
            proxy_pass http://origin_nodes;
            # an owner's request is never answered from, nor stored in, the shared cache
            proxy_cache_bypass \$http_authorization;
            proxy_no_cache \$http_authorization;
        }
        # the web player: the page revalidates (no-cache), its files live under digests
        location = / {
            proxy_pass http://origin_nodes;
        }
        location /player/ {
            proxy_pass http://origin_nodes;
        }
        location / { return 404; }
    }

    # The edge's purge listener (a CDN's purge API in production): the nodes, after a
    # delete, GET each URL the reel had here (serve --edge). The same cache zone and key,
    # but the answer is always fetched from the origin and stored over what the edge held:
    # the reel's 404s and the lists without it. Loopback only: only the nodes may ask.
    server {
        listen 127.0.0.1:$PURGE_PORT;
        access_log $STATE/logs/nginx-purge.log upstream;
        allow 127.0.0.1;
        deny all;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host \$http_host;
        proxy_connect_timeout 2s;
        proxy_cache edge;
        proxy_cache_bypass 1;
        proxy_cache_valid 404 1m;
        location ~ ^/(media/|feed\\.json\$|api/reels) {
            limit_except GET { deny all; }
            proxy_pass http://origin_nodes;
        }
        location / { return 404; }
    }
}
EOF
}

cmd_up() {
  mkdir -p "$STATE/pids" "$STATE/logs"
  chmod 700 "$STATE"
  local name
  for name in $(pieces); do
    [ -z "$(pid_of "$name")" ] || { log "up failed: already up ($name runs); run down first"; exit 1; }
  done
  rm -f "$STATE"/pids/*.pid "$STATE"/logs/*.log
  if [ -f "$STATE/cluster.env" ]; then # a run that ended without `down`: its temp folder
    local stale
    stale=$(sed -n 's/^RUN_DIR=//p' "$STATE/cluster.env")
    case $stale in /tmp/reeleditor-cluster-run.*) rm -rf "$stale" ;; esac
  fi
  trap 'fail "unexpected error in ${BASH_SOURCE[0]} line $LINENO"' ERR
  find_tools

  local ports
  if [ -n "${REELEDITOR_CLUSTER_PORT_BASE:-}" ]; then
    ports=$(seq "$REELEDITOR_CLUSTER_PORT_BASE" $((REELEDITOR_CLUSTER_PORT_BASE + 7)) | tr '\n' ' ')
  else
    ports=$(free_ports 8)
  fi
  read -r REDIS_PORT PG_PORT S3_PORT NODE1_PORT NODE2_PORT INGEST_PORT EDGE_PORT PURGE_PORT <<<"$ports"
  # What must be reachable by the postgres user and nginx's workers (the state folder may be
  # private, say a test's tmp_path), and is removed by down.
  RUN_DIR=$(mktemp -d /tmp/reeleditor-cluster-run.XXXXXX)
  chmod 755 "$RUN_DIR"
  mkdir -p "$RUN_DIR/pg" "$RUN_DIR/nginx/tmp" "$RUN_DIR/nginx/cache" "$STATE/redis" "$STATE/home"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$RUN_DIR/pg"
    chown -R nobody:nogroup "$RUN_DIR/nginx/tmp" "$RUN_DIR/nginx/cache"
  fi
  chmod 700 "$RUN_DIR/pg"

  CATALOG="postgresql://postgres@127.0.0.1:$PG_PORT/$DATABASE"
  QUEUE="redis://127.0.0.1:$REDIS_PORT/0"
  STORAGE="s3://$BUCKET?endpoint=http://127.0.0.1:$S3_PORT"
  {
    echo "RUN_DIR=$RUN_DIR"
    echo "REDIS_PORT=$REDIS_PORT"
    echo "PG_PORT=$PG_PORT"
    echo "S3_PORT=$S3_PORT"
    echo "NODE1_PORT=$NODE1_PORT"
    echo "NODE2_PORT=$NODE2_PORT"
    echo "INGEST_PORT=$INGEST_PORT"
    echo "EDGE_PORT=$EDGE_PORT"
    echo "PURGE_PORT=$PURGE_PORT"
    echo "CATALOG=$CATALOG"
    echo "QUEUE=$QUEUE"
    echo "STORAGE=$STORAGE"
    echo "WORKERS=$WORKERS"
  } >"$STATE/cluster.env"

  # moto answers S3 with any key; production takes the real ones from the environment
  export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing}
  export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing}
  export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
  export REELEDITOR_HOME=$STATE/home # the cluster's processes keep nothing in a user's home

  log "starting the S3 server (moto) on 127.0.0.1:$S3_PORT"
  spawn s3 "$MOTO" -H 127.0.0.1 -p "$S3_PORT"
  log "starting redis on 127.0.0.1:$REDIS_PORT"
  # No persistence: the catalog journals every job; the queue only wakes workers, and a
  # lost message is re-sent by the sweeper (contracts.JobQueue).
  spawn redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" \
    --appendonly no --dir "$STATE/redis" --protected-mode yes
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  as_pg "$PG_BIN/initdb" -D "$RUN_DIR/pg/data" -U postgres -A trust -E UTF8 --no-sync \
    >"$STATE/logs/initdb.log" 2>&1 || fail "initdb failed: $(last_line "$STATE/logs/initdb.log")"
  as_pg "$PG_BIN/pg_ctl" -D "$RUN_DIR/pg/data" -l "$RUN_DIR/pg/postgres.log" -w -t "$WAIT" \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $RUN_DIR/pg" start \
    >"$STATE/logs/pg_ctl.log" 2>&1 || fail "PostgreSQL did not start: $(last_line "$RUN_DIR/pg/postgres.log") $(last_line "$STATE/logs/pg_ctl.log")"
  record postgres "$(head -n 1 "$RUN_DIR/pg/data/postmaster.pid")" ||
    fail "PostgreSQL started but its pid is gone"
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$DATABASE" \
    >"$STATE/logs/createdb.log" 2>&1 || fail "createdb failed: $(last_line "$STATE/logs/createdb.log")"

  wait_until redis "answer PING" redis_ok
  wait_until s3 "answer" http_ok "http://127.0.0.1:$S3_PORT/"
  http_ok "http://127.0.0.1:$S3_PORT/$BUCKET" -X PUT ||
    fail "could not create bucket $BUCKET on the S3 server"

  # The account first: its catalog connection makes the tables, once, before any node.
  log "creating an account"
  local token
  token=$("$REELEDITOR" cloud add-user creator --catalog "$CATALOG" 2>"$STATE/logs/add-user.log" |
    tail -n 1) || fail "reeleditor cloud add-user failed: $(last_line "$STATE/logs/add-user.log")"
  [ -n "$token" ] || fail "reeleditor cloud add-user printed no token"
  (umask 077 && echo "TOKEN=$token" >>"$STATE/cluster.env")

  local n port
  for n in 1 2; do
    port=NODE${n}_PORT
    log "starting ingest/API node $n on 127.0.0.1:${!port}"
    spawn "node$n" "$REELEDITOR" serve --host 127.0.0.1 --port "${!port}" \
      --storage "$STORAGE" --catalog "$CATALOG" --queue "$QUEUE" --workers 0 \
      --edge "http://127.0.0.1:$PURGE_PORT" $SERVE_ARGS
  done
  for n in $(seq 1 "$WORKERS"); do
    log "starting worker $n"
    spawn "worker$n" "$REELEDITOR" worker --storage "$STORAGE" --catalog "$CATALOG" \
      --queue "$QUEUE" --concurrency 1 $WORKER_ARGS
  done
  wait_until node1 "answer tus OPTIONS" tus_ok "http://127.0.0.1:$NODE1_PORT/files/"
  wait_until node2 "answer tus OPTIONS" tus_ok "http://127.0.0.1:$NODE2_PORT/files/"

  log "starting nginx: ingest on 127.0.0.1:$INGEST_PORT, edge on 127.0.0.1:$EDGE_PORT"
  write_nginx_conf
  nginx -p "$RUN_DIR/nginx" -c "$RUN_DIR/nginx/nginx.conf" -e "$STATE/logs/nginx-error.log" \
    >"$STATE/logs/nginx.log" 2>&1 || fail "nginx did not start: $(last_line "$STATE/logs/nginx-error.log")"
  local waited=0
  until [ -s "$RUN_DIR/nginx/nginx.pid" ] || [ "$waited" -ge 50 ]; do sleep 0.1; waited=$((waited + 1)); done
  record nginx "$(cat "$RUN_DIR/nginx/nginx.pid")" || fail "nginx exited: $(last_line "$STATE/logs/nginx-error.log")"
  wait_until nginx "pass tus OPTIONS to the nodes" tus_ok "http://127.0.0.1:$INGEST_PORT/files/"
  wait_until nginx "serve /feed.json from the nodes" http_ok "http://127.0.0.1:$EDGE_PORT/feed.json"
  for n in $(seq 1 "$WORKERS"); do
    # `reeleditor worker` says "worker NAME: N at a time from redis://..." once its catalog
    # and queue are open; one that cannot reach them exits with the reason instead
    wait_until "worker$n" "connect to the catalog and the queue" \
      grep -q " at a time from " "$STATE/logs/worker$n.log"
  done

  trap - ERR
  log "up; logs in $STATE/logs; 'deploy/local-cluster.sh down' stops it"
  echo "INGEST=http://127.0.0.1:$INGEST_PORT/files/"
  echo "API=http://127.0.0.1:$INGEST_PORT"
  echo "PUBLIC=http://127.0.0.1:$EDGE_PORT"
  echo "TOKEN=$token"
}

redis_ok() {
  if command -v redis-cli >/dev/null; then
    [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
  else
    exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" && printf 'PING\r\n' >&3 && read -r -t 2 reply <&3 &&
      exec 3>&- && [ "${reply%$'\r'}" = +PONG ]
  fi
}

cmd_down() {
  [ -d "$STATE/pids" ] || { log "nothing to stop (no $STATE/pids)"; return 0; }
  stop_all
  rm -f "$STATE/cluster.env"
  log "down"
}

cmd_status() {
  local name pid running=0 total=0 where
  [ -f "$STATE/cluster.env" ] && . "$STATE/cluster.env"
  for name in $(pieces); do
    total=$((total + 1))
    pid=$(pid_of "$name")
    case $name in
      redis) where=${REDIS_PORT:+127.0.0.1:$REDIS_PORT} ;;
      postgres) where=${PG_PORT:+127.0.0.1:$PG_PORT} ;;
      s3) where=${S3_PORT:+127.0.0.1:$S3_PORT} ;;
      node1) where=${NODE1_PORT:+127.0.0.1:$NODE1_PORT} ;;
      node2) where=${NODE2_PORT:+127.0.0.1:$NODE2_PORT} ;;
      nginx) where=${INGEST_PORT:+ingest 127.0.0.1:$INGEST_PORT, edge 127.0.0.1:$EDGE_PORT, purge 127.0.0.1:$PURGE_PORT} ;;
      *) where="" ;;
    esac
    if [ -n "$pid" ]; then
      running=$((running + 1))
      printf '%-8s running  pid %-7s %s\n' "$name" "$pid" "$where"
    else
      printf '%-8s stopped\n' "$name"
    fi
  done
  if [ -n "${INGEST_PORT:-}" ] && [ "$running" -gt 0 ]; then
    echo "INGEST=http://127.0.0.1:$INGEST_PORT/files/"
    echo "API=http://127.0.0.1:$INGEST_PORT"
    echo "PUBLIC=http://127.0.0.1:$EDGE_PORT"
  fi
  [ "$running" -eq "$total" ] || return 3
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
