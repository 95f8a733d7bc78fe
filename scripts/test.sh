#!/usr/bin/env bash
# Set up and run every test. SQLite by default; PostgreSQL too when TEST_DATABASE_URL is set,
# e.g. TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test scripts/test.sh
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh requirements-dev.txt
# Browser tests drive Debian's Chromium (Playwright never downloads a browser of its own).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
fi
# The several-servers test (tests/test_cluster.py, PostgreSQL runs) puts Debian's nginx in front of two app
# servers; it runs from a config of its own (scripts/cluster.sh), the system's nginx is never started.
if ! command -v nginx >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's nginx for the several-servers test..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx) >/dev/null
fi
# The Prometheus alert rules are checked with promtool (tests/test_deploy_files.py): only that binary is
# taken from Debian's prometheus package, unpacked into tools/promtool (ignored by git), so no Prometheus
# server is installed or started.
if ! command -v promtool >/dev/null 2>&1 && [ ! -x tools/promtool/usr/bin/promtool ] && command -v apt-get >/dev/null 2>&1; then
  echo "Fetching promtool (Debian's prometheus package) into tools/promtool for the alert rules test..."
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >/dev/null; fi
  (mkdir -p tools/promtool && cd tools/promtool && apt-get download -q prometheus >/dev/null 2>&1 \
    && dpkg-deb --fsys-tarfile prometheus_*.deb | tar -x ./usr/bin/promtool && rm -f prometheus_*.deb) \
    || echo "promtool unavailable: the alert rules test will be skipped"
fi
# Spectral lints the API contract (tests/api/test_api_contract.py): pinned in tools/spectral, installed
# there from the npm registry once (node_modules is ignored by git).
if command -v npm >/dev/null 2>&1 && [ ! -x tools/spectral/node_modules/.bin/spectral ]; then
  echo "Installing Spectral (tools/spectral) for the API contract test..."
  npm ci --prefix tools/spectral --no-audit --no-fund --loglevel=error >/dev/null
fi
# Undefined names and dead imports fail fast (pyflakes rules only; style is not enforced here).
.venv/bin/ruff check --quiet --select F --exclude .venv,migrations,tools .
echo "Running tests on ${TEST_DATABASE_URL:-SQLite}"
exec .venv/bin/python -m pytest "$@"
