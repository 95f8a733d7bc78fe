#!/usr/bin/env bash
# Several app servers on one machine, as production lays them out (docs/DEPLOY.md): two gunicorn app
# servers sharing one PostgreSQL database and one Redis (API rate limits and the login throttle), behind
# Debian's nginx as the load balancer. For rehearsals, the load harness (bench/load_faults.py --servers 2)
# and tests/test_cluster.py. Everything it writes is under $CLUSTER_DIR; nothing under /etc.
#
#   scripts/cluster.sh start            migrate (MIGRATE=0: don't), seed the demo (SEED=1), start all
#   scripts/cluster.sh stop             stop nginx and every app server
#   scripts/cluster.sh app-stop N [kill]  stop app server N (1, 2...): planned (out of the balancer,
#                                       drained, SIGTERM), or kill -9 of its master and workers (a
#                                       machine that dies)
#   scripts/cluster.sh app-start N      start app server N again (and back into the balancer)
#   scripts/cluster.sh worker-stop [kill]  stop the worker (SIGTERM: it finishes the runs in progress),
#                                       or kill -9 it; worker-start starts it again
#   scripts/cluster.sh status
#
# One worker (`flask worker`: events, alerts, stored figures, the map's counts, the drill) for the
# whole cluster, beside app server 1 (docs/DEPLOY.md, "The worker"); `start` starts it, `stop` stops it.
#
# Settings (environment; `start` records them in $CLUSTER_DIR/cluster.env for the other commands):
#   DATABASE_URL      PostgreSQL (required; SQLite cannot be shared by servers on several machines)
#   REDIS_URL         redis://127.0.0.1:6379/0   (becomes RATELIMIT_STORAGE_URI)
#   SECRET_KEY        the same on every server (sessions are signed cookies); made once if unset
#   CLUSTER_DIR       /tmp/siaga-cluster          LB_PORT 8080   APP_PORTS "8001 8002"   WORKERS 2
#   SIAGA_ENV         development (plain http here; production wants TLS at the load balancer, as its
#                     cookies are https-only)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CLUSTER_DIR=${CLUSTER_DIR:-/tmp/siaga-cluster}
command=${1:-}

if [ "$command" != start ] && [ -f "$CLUSTER_DIR/cluster.env" ]; then
  # shellcheck disable=SC1091
  . "$CLUSTER_DIR/cluster.env"
fi
LB_PORT=${LB_PORT:-8080}
APP_PORTS=${APP_PORTS:-"8001 8002"}
WORKERS=${WORKERS:-2}
read -r -a ports <<<"$APP_PORTS"

wait_for() {  # URL, seconds
  local deadline=$((SECONDS + $2))
  until curl -fs -o /dev/null --max-time 2 "$1"; do
    if [ $SECONDS -ge $deadline ]; then echo "no answer from $1" >&2; return 1; fi
    sleep 0.2
  done
}

app_dir() { echo "$CLUSTER_DIR/app$1"; }

app_launch() {
  local n=$1 port=${ports[$(($1 - 1))]} dir
  dir=$(app_dir "$n")
  mkdir -p "$dir/metrics"
  # One metrics directory per server (gunicorn.conf.py empties it at start and marks dead workers).
  # TRUSTED_PROXIES=1: the client's address and scheme come from nginx's X-Forwarded-For/-Proto.
  PROMETHEUS_MULTIPROC_DIR="$dir/metrics" TRUSTED_PROXIES=1 \
    "$ROOT/.venv/bin/gunicorn" -c "$ROOT/gunicorn.conf.py" --workers "$WORKERS" --bind "127.0.0.1:$port" \
    --daemon --pid "$dir/gunicorn.pid" --error-logfile "$dir/gunicorn.log" --capture-output \
    --chdir "$ROOT" wsgi:app
}

app_wait() {
  local n=$1 port=${ports[$(($1 - 1))]} dir
  dir=$(app_dir "$n")
  wait_for "http://127.0.0.1:$port/healthz" 90
  echo "app server $n: http://127.0.0.1:$port (pid $(cat "$dir/gunicorn.pid"), log $dir/gunicorn.log)"
}

app_stop() {
  local n=$1 how=${2:-term} dir pid port=${ports[$(($1 - 1))]}
  dir=$(app_dir "$n")
  [ -f "$dir/gunicorn.pid" ] || { echo "app server $n is not running"; return 0; }
  pid=$(cat "$dir/gunicorn.pid")
  if [ "$how" = kill ]; then
    # The whole server at once, as when its machine dies: workers first (by pid), then the master.
    # nginx finds out by itself (a refused connection: the request goes to the other server; a request
    # in flight there: 502, which the phones' queue and partners retry with the same idempotency key).
    for worker in $(ps -o pid= --ppid "$pid"); do kill -9 "$worker" 2>/dev/null || true; done
    kill -9 "$pid" 2>/dev/null || true
  else
    # A planned stop loses no request: out of the balancer first (`down`, reload), then wait until
    # nginx has no connection left to it, then SIGTERM. A SIGTERM alone would reset the connections
    # still queued in the server's listen backlog, and nginx never re-sends a POST (502).
    mark_down "$n" add
    local deadline=$((SECONDS + ${DRAIN_SECONDS:-15}))
    while [ $SECONDS -lt $deadline ] && [ -n "$(ss -Htn state established "( sport = :$port )")" ]; do
      sleep 0.2
    done
    kill -TERM "$pid" 2>/dev/null || true  # stop accepting, finish requests in flight
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/gunicorn.pid"
  echo "app server $n stopped ($how)"
}

worker_start() {
  if [ -f "$CLUSTER_DIR/worker.pid" ] && kill -0 "$(cat "$CLUSTER_DIR/worker.pid")" 2>/dev/null; then
    echo "worker already running (pid $(cat "$CLUSTER_DIR/worker.pid"))"; return 0
  fi
  # Its own session, so it outlives this script (as gunicorn's --daemon does).
  setsid "$ROOT/.venv/bin/flask" --app wsgi worker >>"$CLUSTER_DIR/worker.log" 2>&1 </dev/null &
  echo $! >"$CLUSTER_DIR/worker.pid"
  echo "worker: pid $(cat "$CLUSTER_DIR/worker.pid") (log $CLUSTER_DIR/worker.log)"
}

worker_stop() {
  local how=${1:-term} pid
  [ -f "$CLUSTER_DIR/worker.pid" ] || { echo "the worker is not running"; return 0; }
  pid=$(cat "$CLUSTER_DIR/worker.pid")
  if [ "$how" = kill ]; then
    kill -9 "$pid" 2>/dev/null || true
  else
    kill -TERM "$pid" 2>/dev/null || true  # finishes the job runs in progress, then exits
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$CLUSTER_DIR/worker.pid"
  echo "worker stopped ($how)"
}

mark_down() {  # N add|remove: the balancer leaves server N out (or takes it back) from now on
  touch "$CLUSTER_DIR/down"
  grep -vx "$1" "$CLUSTER_DIR/down" >"$CLUSTER_DIR/down.new" || true
  [ "$2" = add ] && echo "$1" >>"$CLUSTER_DIR/down.new"
  mv "$CLUSTER_DIR/down.new" "$CLUSTER_DIR/down"
  if [ -f "$CLUSTER_DIR/nginx/nginx.pid" ]; then
    write_nginx_conf
    nginx -p "$CLUSTER_DIR/nginx" -c "$CLUSTER_DIR/nginx/nginx.conf" -s reload
    sleep 0.5  # the new nginx workers take over; the old ones finish what they hold
  fi
}

write_nginx_conf() {
  local user_line="" upstreams="" max_body
  max_body=$("$ROOT/.venv/bin/python" "$ROOT/deploy/render.py" max-body)  # the app's, never a copy
  [ "$(id -u)" = 0 ] && user_line="user www-data;"
  local n=0 down
  for port in "${ports[@]}"; do
    n=$((n + 1))
    down=""
    grep -qx "$n" "$CLUSTER_DIR/down" 2>/dev/null && down=" down"
    # Passive health checks (open-source nginx has no active ones): a server that refuses a connection
    # is left out for 5 s, then tried again.
    upstreams+="    server 127.0.0.1:$port max_fails=1 fail_timeout=5s$down;"$'\n'
  done
  # The upload limit is stated once, in the app (siaga/config.py): nginx reads it from there.
  mkdir -p "$CLUSTER_DIR/nginx"
  cat >"$CLUSTER_DIR/nginx/nginx.conf" <<EOF
# Generated by scripts/cluster.sh; see docs/DEPLOY.md "Load balancer".
$user_line
worker_processes auto;
pid $CLUSTER_DIR/nginx/nginx.pid;
error_log $CLUSTER_DIR/nginx/error.log warn;
events { worker_connections 4096; }
http {
    client_body_temp_path $CLUSTER_DIR/nginx/client_body;
    proxy_temp_path $CLUSTER_DIR/nginx/proxy;
    fastcgi_temp_path $CLUSTER_DIR/nginx/fastcgi;
    uwsgi_temp_path $CLUSTER_DIR/nginx/uwsgi;
    scgi_temp_path $CLUSTER_DIR/nginx/scgi;
    # The request id: the client's X-Request-ID when it sent one, else nginx's own; the app logs it and
    # sends it back (siaga.observability), and it is in this log too, so one id finds both lines.
    map \$http_x_request_id \$siaga_request_id { default \$http_x_request_id; "" \$request_id; }
    log_format siaga escape=json '{"ts":"\$time_iso8601","request_id":"\$siaga_request_id",'
        '"method":"\$request_method","uri":"\$uri","status":\$status,"upstream":"\$upstream_addr",'
        '"upstream_status":"\$upstream_status","duration_s":\$request_time}';
    access_log $CLUSTER_DIR/nginx/access.log siaga;
    client_max_body_size $max_body;  # the app's largest limit (siaga.config.UPLOAD_LIMIT); the app refuses the rest
    client_body_buffer_size 1m;
    upstream siaga_app {
$upstreams    }
    server {
        listen 127.0.0.1:$LB_PORT;
        location = /metrics { return 404; }  # scraped on each app server directly (docs/DEPLOY.md)
        location / {
            proxy_pass http://siaga_app;
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Request-ID \$siaga_request_id;
            # The id goes back to the client even when nginx answers itself (502/504).
            proxy_hide_header X-Request-ID;
            add_header X-Request-ID \$siaga_request_id always;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
            # A request goes to the other server when this one refuses the connection or times out
            # before answering. nginx never re-sends a POST it has already sent (no "non_idempotent"):
            # the phones and partners retry with the same idempotency key instead, which the app
            # answers exactly once; a POST without a key (login, admin forms) is never sent twice.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
            proxy_next_upstream_timeout 10s;
            proxy_max_temp_file_size 0;
        }
    }
}
EOF
}

case "$command" in
  start)
    : "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL database}"
    case "$DATABASE_URL" in postgres*) ;; *) echo "DATABASE_URL must be PostgreSQL" >&2; exit 2 ;; esac
    command -v nginx >/dev/null || { echo "nginx is missing: apt-get install -y nginx" >&2; exit 2; }
    mkdir -p "$CLUSTER_DIR"
    rm -f "$CLUSTER_DIR/down"
    SECRET_KEY=${SECRET_KEY:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}
    umask 077
    cat >"$CLUSTER_DIR/cluster.env" <<EOF
export DATABASE_URL='$DATABASE_URL' SECRET_KEY='$SECRET_KEY' SIAGA_ENV='${SIAGA_ENV:-development}'
export RATELIMIT_STORAGE_URI='${REDIS_URL:-redis://127.0.0.1:6379/0}'
export LB_PORT='$LB_PORT' APP_PORTS='$APP_PORTS' WORKERS='$WORKERS'
EOF
    for name in API_RATE_LIMIT LOGIN_LIMIT_PER_USERNAME LOGIN_LIMIT_PER_ADDRESS ELECTION_DATE; do
      if [ -n "${!name:-}" ]; then echo "export $name='${!name}'" >>"$CLUSTER_DIR/cluster.env"; fi
    done
    umask 022
    # shellcheck disable=SC1091
    . "$CLUSTER_DIR/cluster.env"
    if [ "${MIGRATE:-1}" = 1 ]; then .venv/bin/flask --app wsgi db upgrade; fi
    if [ "${SEED:-0}" = 1 ]; then .venv/bin/flask --app wsgi seed-demo; fi
    for n in $(seq 1 ${#ports[@]}); do app_launch "$n"; done  # they boot side by side
    worker_start
    for n in $(seq 1 ${#ports[@]}); do app_wait "$n"; done
    write_nginx_conf
    nginx -p "$CLUSTER_DIR/nginx" -c "$CLUSTER_DIR/nginx/nginx.conf"
    wait_for "http://127.0.0.1:$LB_PORT/healthz" 20
    echo "load balancer: http://127.0.0.1:$LB_PORT (log $CLUSTER_DIR/nginx/access.log)"
    ;;
  stop)
    if [ -f "$CLUSTER_DIR/nginx/nginx.pid" ]; then
      pid=$(cat "$CLUSTER_DIR/nginx/nginx.pid")
      kill -QUIT "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      echo "nginx stopped"
    fi
    for n in $(seq 1 ${#ports[@]}); do app_stop "$n"; done
    worker_stop
    ;;
  app-start) app_launch "${2:?which server: 1, 2...}" && app_wait "$2" && mark_down "$2" remove ;;
  app-stop) app_stop "${2:?which server: 1, 2...}" "${3:-term}" ;;
  worker-start) worker_start ;;
  worker-stop) worker_stop "${2:-term}" ;;
  status)
    for n in $(seq 1 ${#ports[@]}); do
      if curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:${ports[$((n - 1))]}/healthz"; then s=up; else s=down; fi
      echo "app server $n (port ${ports[$((n - 1))]}): $s"
    done
    if curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$LB_PORT/healthz"; then s=up; else s=down; fi
    echo "load balancer (port $LB_PORT): $s"
    if [ -f "$CLUSTER_DIR/worker.pid" ] && kill -0 "$(cat "$CLUSTER_DIR/worker.pid")" 2>/dev/null; then s=up; else s=down; fi
    echo "worker: $s ($(curl -fs --max-time 2 "http://127.0.0.1:$LB_PORT/healthz" || echo 'no answer'))"
    ;;
  *) echo "usage: $0 start|stop|status|app-start N|app-stop N [kill]|worker-start|worker-stop [kill]" >&2; exit 2 ;;
esac
