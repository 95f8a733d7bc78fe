#!/usr/bin/env bash
# Set up and serve the Pangkalpinang demo on SQLite at http://127.0.0.1:5000
# (creates .venv, installs, migrates, seeds; safe to run again).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh requirements.txt
export SIAGA_ENV="${SIAGA_ENV:-development}"
export FLASK_APP=wsgi
.venv/bin/flask db upgrade
.venv/bin/flask seed-demo
echo "Siaga TPS: http://127.0.0.1:5000  (demo accounts: see README; password ${DEMO_PASSWORD:-siaga2025})"
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
