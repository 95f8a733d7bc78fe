#!/usr/bin/env bash
# Database failover, rehearsed end to end on this machine (docs/DEPLOY.md, "PostgreSQL: primary and
# streaming standby"): a primary and a synchronous streaming standby of the script's own (initdb under /tmp,
# ports PG_PORTS), two app servers and the worker behind nginx on libpq's multi-host URL
# (target_session_attrs=read-write), the load harness posting; the primary killed -9, the standby promoted,
# the figures printed (acknowledged, stored, lost, duplicated, 5xx and the switch window), then the old
# primary rebuilt as the standby (pg_rewind). Everything it starts is stopped and removed on any exit; the
# shared PostgreSQL server is never touched. As root (the clusters run as `postgres`) or as a user that may
# run initdb. Needs nginx and Redis (REDIS_URL). Extra arguments go to bench/failover.py (--help).
#
#   scripts/failover-rehearsal.sh                       16 clients, 40 s, kill at 10 s, promote 5 s later
#   PG_PORTS=5481,5482 scripts/failover-rehearsal.sh --clients 32 --decide-after 10
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup-venv.sh requirements-dev.txt
exec .venv/bin/python bench/failover.py --pg-ports "${PG_PORTS:-5481,5482}" \
  --redis "${REDIS_URL:-redis://127.0.0.1:6379/0}" "$@"
