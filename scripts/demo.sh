#!/usr/bin/env bash
# Set up and serve the Pangkalpinang demo on SQLite at http://127.0.0.1:5000
# (creates .venv, installs, migrates, seeds; safe to run again).
# The election day is today (ELECTION_DATE=today unless set) and a drill (gladi) plays it at 30x, so the
# map and dashboard are alive; `DRILL=0 ./scripts/demo.sh` or `./scripts/demo.sh --no-drill` serves a
# quiet day. The worker (`flask worker`: events, alerts, stored figures, the map's counts, the drill)
# runs beside gunicorn and stops with it.
set -euo pipefail
cd "$(dirname "$0")/.."
for arg in "$@"; do
  case "$arg" in
    --no-drill) DRILL=0 ;;
    *) echo "usage: $0 [--no-drill]" >&2; exit 2 ;;
  esac
done
bash scripts/setup-venv.sh requirements.txt
export SIAGA_ENV="${SIAGA_ENV:-development}"
export ELECTION_DATE="${ELECTION_DATE:-today}"
export FLASK_APP=wsgi
# SMS in and out through the local fake gateway (siaga/sms/fake_gateway.py): the worker's notices and
# replies are logged; `flask sms-simulate "<phone>" "HADIR 6"` texts Siaga as a field phone would.
export SMS_GATEWAY="${SMS_GATEWAY:-fake}"
.venv/bin/flask db upgrade
.venv/bin/flask seed-demo
# The day's every meal round, the late snack (kudapan malam) too: the seed plans pagi, siang and malam only
# (the snack is left for the planning page's button), and the drill plays only the rounds planned.
.venv/bin/flask plan-meals
if [ "${DRILL:-1}" != "0" ]; then
  .venv/bin/flask drill --wipe
  # Records the drill's plan; the worker plays it.
  .venv/bin/flask drill --speed "${DRILL_SPEED:-30}" --seed "${DRILL_SEED:-1}"
fi
# One worker process (enough for the demo; on SQLite the only one allowed) (docs/DEPLOY.md, "The worker").
.venv/bin/flask worker &
worker_pid=$!
trap 'kill "$worker_pid" 2>/dev/null || true; wait "$worker_pid" 2>/dev/null || true' EXIT INT TERM
echo "Pekerja latar berjalan (pid $worker_pid) / the worker is running."
echo "Siaga TPS: http://127.0.0.1:${PORT:-5000}  (demo accounts: see README; password ${DEMO_PASSWORD:-siaga2025})"
# gunicorn, as in production and in the load-and-fault harness (bench/load_faults.py): two worker
# processes, so one slow request or a crashed worker does not stop the demo. gunicorn.conf.py holds the
# settings every start shares (metrics summed across the workers).
.venv/bin/gunicorn -c gunicorn.conf.py --workers "${WORKERS:-2}" --bind "127.0.0.1:${PORT:-5000}" wsgi:app
