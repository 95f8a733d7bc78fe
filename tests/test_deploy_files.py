"""deploy/: the files production runs from, checked with their own tools (docs/DEPLOY.md).

- the nginx site, rendered by deploy/render.py, passes `nginx -t` (with a configuration and prefix of the
  test's own, never the system's) and caps bodies at the app's UPLOAD_LIMIT;
- the Prometheus alert rules pass `promtool check rules`;
- the systemd units pass `systemd-analyze verify`;
- every siaga_* metric the rules and the Grafana dashboard name exists in siaga/observability.py.
A tool that is missing skips its test with the reason (scripts/test.sh fetches promtool and nginx).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from siaga.config import UPLOAD_LIMIT

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
RULES = DEPLOY / "prometheus" / "siaga-alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "siaga-dashboard.json"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def _tool(name: str, *fallbacks: Path) -> str:
    found = shutil.which(name) or next((str(p) for p in fallbacks if p.exists()), None)
    if found is None:
        pytest.skip(f"{name} is not installed (scripts/test.sh installs it when it can)")
    return found


def test_the_nginx_site_passes_nginx_t_with_the_apps_upload_cap(tmp_path):
    from deploy.render import nginx_site

    nginx, openssl = _tool("nginx"), _tool("openssl")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=siaga.test",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    site = nginx_site("siaga.test", ["127.0.0.1:8001", "127.0.0.1:8002"], str(tmp_path / "cert.pem"),
                      str(tmp_path / "key.pem"), log_dir=str(tmp_path))
    assert f"client_max_body_size {UPLOAD_LIMIT};" in site  # the app's cap, not a copy of it
    assert re.search(r"location = /metrics \{ return 404; \}", site)
    assert "@" not in re.sub(r"#.*", "", site)  # every placeholder filled
    (tmp_path / "siaga.conf").write_text(site)
    temp_paths = ""
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):  # nginx -t creates them; not under /var
        (tmp_path / name).mkdir()
        temp_paths += f"    {name}_temp_path {tmp_path / name};\n"
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n{temp_paths}    include {tmp_path}/siaga.conf;\n}}\n")
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_the_alert_rules_pass_promtool():
    promtool = _tool("promtool", ROOT / "tools" / "promtool" / "usr" / "bin" / "promtool")
    checked = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    analyze = _tool("systemd-analyze")
    # The units name the release at /srv/siaga; verify checks that ExecStart's programs exist, so here they
    # point at this checkout (its .venv) instead.
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace("/srv/siaga", str(ROOT)))
    checked = subprocess.run([analyze, "verify", *(str(tmp_path / u.name) for u in UNITS)], capture_output=True,
                             text=True, timeout=120)
    # A template (siaga-worker@.service) is verified as its instance `@i`, and named so in the messages.
    names = [name for u in UNITS for name in {u.name, u.name.replace("@.", "@i.")}]
    about_ours = [line for line in (checked.stdout + checked.stderr).splitlines()
                  if any(name in line for name in names)]
    if checked.returncode and not about_ours:
        pytest.skip(f"systemd-analyze verify does not run here: {checked.stderr.strip()[:200]}")
    # Unknown keys and unparsable values are only warnings (exit 0): any line about our units fails.
    assert checked.returncode == 0 and not about_ours, "\n".join(about_ours) or checked.stderr


def _known_metrics() -> set[str]:
    source = (ROOT / "siaga" / "observability.py").read_text()
    names = set(re.findall(r'(?:Counter|Gauge|Histogram|GaugeMetricFamily)\(\s*"(siaga_[a-z_]+)"', source))
    return names | {f"{n}_{suffix}" for n in names for suffix in ("bucket", "sum", "count")}


@pytest.mark.parametrize("path", [RULES, DASHBOARD], ids=lambda p: p.name)
def test_every_metric_the_rules_and_the_dashboard_name_exists(path):
    known = _known_metrics()
    assert {"siaga_http_requests_total", "siaga_worker_heartbeat_age_seconds"} <= known
    if path.suffix == ".json":
        exprs = [t["expr"] for p in json.loads(path.read_text())["panels"] for t in p["targets"]]
    else:
        exprs = re.findall(r"expr: ([^\n]*(?:\n {10,}[^\n]*)*)", path.read_text())
    named = set(re.findall(r"\bsiaga_[a-z_]+", "\n".join(exprs)))
    assert named and named <= known, named - known
