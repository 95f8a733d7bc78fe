"""Re-run issue 24's probe against the production build: gunicorn with 2 sync workers in production mode
(SIAGA_ENV=production, a strong SECRET_KEY, TRUSTED_PROXIES=1 as behind nginx), the worker beside it, on a
scratch SQLite and/or PostgreSQL database seeded like the demo.

Everything is asked over HTTP, as an attacker or a partner's developer would (requests, the Python client
openapi-python-client generates from /api/openapi.json, schemathesis on the live URL). What the probe sets up
beforehand or does as the operator (a login card printed, a drill's incident wiped by the CLI, a row stored
before the fix, a card or token aged in the database) is said as such in the evidence.

It prints one line per finding of issue 24 (fixed / NOT fixed, with the evidence), the role x route x object
sweep (reads and out-of-scope posts) and the 5xx over every request it sent; the exit status is 1 when a
finding is not fixed or any request got a 5xx.

    .venv/bin/python bench/probe.py                       # SQLite and PostgreSQL (TEST_DATABASE_URL's server)
    .venv/bin/python bench/probe.py --database sqlite --json /tmp/probe.json

Ports: PROBE_PORT (default: free ones) and the next few for the webhook receiver and the refused starts.
"""
from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.live_app import (  # noqa: E402
    DEMO_PASSWORD, Server, Worker, drop_scratch_database, free_port, prepare_database, scratch_postgres_url,
)

SECRET_KEY = secrets.token_urlsafe(48)
UPLOADS = ROOT / "instance" / "uploads"


# ---------------------------------------------------------------------------------------------------------
# HTTP: one counter of every request and every 5xx; browsers that keep production's Secure cookie on loopback.

class Tally:
    def __init__(self):
        self.requests = 0
        self.by_status: Counter = Counter()
        self.errors: list[str] = []  # each 5xx: method, path, status
        self.lock = threading.Lock()

    def note(self, response: requests.Response) -> None:
        with self.lock:
            self.requests += 1
            self.by_status[response.status_code // 100 * 100] += 1
            if response.status_code >= 500:
                self.errors.append(f"{response.request.method} {response.request.path_url[:120]} -> "
                                   f"{response.status_code}")


TALLY = Tally()


class Browser(requests.Session):
    """A client from one address (X-Forwarded-For, which nginx sets and TRUSTED_PROXIES=1 believes). Production's
    cookie is `Secure` (`__Host-session`): it is sent over plain http to 127.0.0.1, as nginx's TLS would."""

    def __init__(self, base: str, address: str = "203.0.113.10"):
        super().__init__()
        self.base = base
        self.headers["X-Forwarded-For"] = address
        self.hooks["response"].append(lambda response, *a, **k: TALLY.note(response))

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 120)
        kwargs["allow_redirects"] = False  # every answer as it is (requests' get() would follow them)
        response = super().request(method, url if url.startswith("http") else self.base + url, *args, **kwargs)
        for cookie in self.cookies:  # requests merges the jar into one with the default policy per request
            cookie.secure = False
        return response

    def csrf(self, page: str = "/login") -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.get(page).text)
        return found.group(1) if found else ""

    def login(self, username: str, password: str) -> requests.Response:
        token = self.csrf("/login")
        return self.post("/login", data={"username": username, "password": password, "csrf_token": token})

    def form(self, url: str, data: dict, files=None) -> requests.Response:
        return self.post(url, data={"csrf_token": self.csrf(), **data}, files=files)


def logged_in(base: str, username: str, address: str = "203.0.113.10") -> Browser:
    browser = Browser(base, address)
    answer = browser.login(username, DEMO_PASSWORD)
    assert answer.status_code in (302, 303), (username, answer.status_code)
    return browser


def api(base: str, token: str, **headers) -> Browser:
    browser = Browser(base)
    browser.headers.update({"Authorization": f"Bearer {token}", **headers})
    return browser


# ---------------------------------------------------------------------------------------------------------
# Findings: each check returns (fixed, evidence).

class Probe:
    def __init__(self, server: Server, worker: Worker, demo, engine, setup: dict, port_base: int):
        self.server, self.worker, self.demo, self.engine, self.setup = server, worker, demo, engine, setup
        self.base = server.url
        self.port_base = port_base
        self.results: list[tuple[str, bool, str]] = []

    def check(self, name: str, fn) -> None:
        started = time.monotonic()
        try:
            fixed, evidence = fn()
        except (Exception, BaseExceptionGroup) as exc:  # a probe that cannot run says so; it is not a pass
            fixed, evidence = False, f"probe error: {type(exc).__name__}: {exc}"[:400]
        evidence += f" [{time.monotonic() - started:.0f} s]"
        self.results.append((name, fixed, evidence))
        print(f"  {name}: {'fixed' if fixed else 'NOT fixed'} - {evidence}", flush=True)

    def sql(self, statement: str, **params):
        from sqlalchemy import text
        with self.engine.begin() as conn:
            return conn.execute(text(statement), params)

    # 1. Control characters in free text; exports of rows stored before.
    def f1_control_characters(self):
        officer = logged_in(self.base, "petugas")
        tps = self.demo.tps_id
        refused = officer.form("/lapangan/kejadian", {"complaint": "pusing", "patient_kind": "voter", "triage": "hijau",
                                                      "tps_id": str(tps), "notes": "pusing\x0bmual"})
        coordinator = api(self.base, self.demo.coordinator_token)
        delivery = self.setup["out"]["delivery"]
        by_api = coordinator.post(f"/api/v1/deliveries/{delivery}/steps",
                                  json={"status": "delivered", "received_by": "Budi\x0b\x07"})
        # A delivery received through the API, then rows as a version before the fix could have stored them
        # (control characters written by the probe in the database).
        planned = [d for d in coordinator.get("/api/v1/deliveries?limit=200&status=planned").json()["items"]
                   if d["id"] not in (self.setup["in"]["delivery"], self.setup["out"]["delivery"])][0]
        for step in ({"status": "dispatched"}, {"status": "arrived"},
                     {"status": "delivered", "quantity_received": planned["quantity_planned"], "received_by": "Budi"}):
            coordinator.post(f"/api/v1/deliveries/{planned['id']}/steps", json=step)
        self.sql("UPDATE delivery SET received_by = :n WHERE id = :i", n="Budi\x0b\x07lama", i=planned["id"])
        self.sql("UPDATE health_incident SET notes = :n WHERE id = :i", n="lama\x0bbaris\x01", i=self.setup["in"]["incident"])
        city = logged_in(self.base, "koordinator")
        exports = {}
        for name in ("incidents.xlsx", "deliveries.xlsx", "incidents.csv", "deliveries.csv"):
            answer = city.get(f"/dashboard/export/{name}")
            ok = answer.status_code == 200
            if ok and name.endswith(".xlsx"):
                with zipfile.ZipFile(io.BytesIO(answer.content)) as book:
                    ok = not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", book.read("xl/worksheets/sheet1.xml"))
            exports[name] = answer.status_code if ok else f"{answer.status_code}, control character inside"
        fixed = (refused.status_code in (400, 422) and by_api.status_code == 422
                 and "received_by" in by_api.json()["error"]["fields"] and all(v == 200 for v in exports.values()))
        return fixed, (f"form notes=pusing%0Bmual -> {refused.status_code}; API received_by with \\x0b -> "
                       f"{by_api.status_code} naming {list(by_api.json()['error']['fields'])}; exports with old rows "
                       f"holding control characters: {exports}")

    # 2. The login throttle across 2 workers; a stranger cannot lock an officer out.
    def f2_throttle(self):
        def first_429(address: str, usernames, password="salah-salah-salah", limit=70):
            browser = Browser(self.base, address)
            for n, username in enumerate(usernames(limit), start=1):
                answer = browser.login(username, password)
                if answer.status_code == 429:
                    return n, int(answer.headers.get("Retry-After", "0"))
            return None, 0

        per_account, retry = first_429("198.51.100.7", lambda n: ["kurir"] * n, limit=25)
        locked_right = Browser(self.base, "198.51.100.7").login("kurir", DEMO_PASSWORD).status_code
        officer_elsewhere = Browser(self.base, "198.51.100.8").login("kurir", DEMO_PASSWORD).status_code
        per_address, _ = first_429("198.51.100.9", lambda n: [f"tebakan-{i}" for i in range(n)], limit=70)
        pids = len(self.server.worker_pids())
        fixed = per_account == 11 and per_address == 51 and officer_elsewhere in (302, 303)
        return fixed, (f"{pids} workers; first 429 per (account, address) at attempt {per_account} (limit 10, "
                       f"Retry-After {retry} s), per address across usernames at {per_address} (limit 50); "
                       f"right password from the locked address -> {locked_right}, from the officer's own "
                       f"address -> {officer_elsewhere}")

    # 3. Login cards: 10 characters, single use, limited tries, expiry.
    def f3_cards(self):
        from logistics.rules.login_codes import ALPHABET, CODE_LENGTH, CODE_MAX_FAILURES
        cards = self.setup["cards"]
        race = cards["race"]
        shape = all(len(c["pin"]) == CODE_LENGTH and set(c["pin"]) <= set(ALPHABET) for c in cards.values())

        def attempt(card, password, address):
            return Browser(self.base, address).login(card["username"], password).status_code

        with ThreadPoolExecutor(2) as pool:
            both = sorted(pool.map(lambda a: attempt(race, race["pin"], a), ["192.0.2.1", "192.0.2.2"]))
        again = attempt(race, race["pin"], "192.0.2.3")
        tried = cards["tries"]
        wrong = [attempt(tried, "ZZZZZZZZZZ"[:-1] + ALPHABET[i % len(ALPHABET)], f"192.0.2.{10 + i}")
                 for i in range(CODE_MAX_FAILURES)]
        void = attempt(tried, tried["pin"], "192.0.2.200")
        self.sql("UPDATE app_user SET pin_issued_at = pin_issued_at - INTERVAL '15 days' WHERE username = :u"
                 if self.engine.dialect.name == "postgresql" else
                 "UPDATE app_user SET pin_issued_at = datetime(pin_issued_at, '-15 days') WHERE username = :u",
                 u=cards["old"]["username"])
        expired = attempt(cards["old"], cards["old"]["pin"], "192.0.2.201")
        chance = 1000 * CODE_MAX_FAILURES / len(ALPHABET) ** CODE_LENGTH
        fixed = shape and both == [302, 400] and again == 400 and void == 400 and expired == 400 \
            and all(s == 400 for s in wrong)
        return fixed, (f"codes of {CODE_LENGTH} from {len(ALPHABET)} characters: {shape}; two logins with one code at "
                       f"once -> {both}, a third -> {again}; {CODE_MAX_FAILURES} wrong tries from {CODE_MAX_FAILURES} "
                       f"addresses then the right code -> {void}; a card printed 15 days ago (aged in the database) "
                       f"-> {expired}; chance that 1,000 cards x {CODE_MAX_FAILURES} tries hit one: {chance:.1e}")

    # 4. Username enumeration by timing.
    def f4_timing(self, rounds: int = 15):
        kinds = {"unknown": "tidak-ada-" + secrets.token_hex(4), "password": "koordinator",
                 "card unused": self.setup["cards"]["timing"]["username"], "no card yet": self.setup["cardless"],
                 "deactivated": self.setup["deactivated"]}
        times: dict[str, list[float]] = {k: [] for k in kinds}
        statuses = Counter()
        for n in range(rounds):
            for kind, username in kinds.items():
                browser = Browser(self.base, f"100.64.{n}.{len(times[kind]) + 10 * list(kinds).index(kind)}")
                token = browser.csrf()
                started = time.perf_counter()
                answer = browser.post("/login", data={"username": username, "password": "SalahSalah22",
                                                      "csrf_token": token})
                times[kind].append(time.perf_counter() - started)
                statuses[answer.status_code] += 1
        medians = {k: statistics.median(v) * 1000 for k, v in times.items()}
        ratio = max(medians.values()) / min(medians.values())
        return ratio < 1.5 and set(statuses) == {400}, (
            "median wrong-password login over " + str(rounds) + " each: "
            + ", ".join(f"{k} {v:.0f} ms" for k, v in medians.items())
            + f"; slowest/fastest {ratio:.2f} (was ~26: 240 vs 9 ms); statuses {dict(statuses)}")

    # 5. Production's keys; a cookie forged with the source's development key.
    def f5_keys(self):
        refused = {}
        for label, key in (("dev-only-insecure-key", "dev-only-insecure-key"), ("1 character", "x"),
                           ("31 characters", "k" * 31)):
            log = Path(tempfile.mkdtemp(prefix="probe-key-")) / "gunicorn.log"
            server = Server(self.demo.database_url, workers=1, log_path=str(log),
                            env={"SIAGA_ENV": "production", "SECRET_KEY": key})
            server.port = self.port_base + 90
            server.url = f"http://127.0.0.1:{server.port}"
            try:
                server.start(timeout=40)
                refused[label] = "STARTED"
                server.stop()
            except RuntimeError:  # refused for the key, as its log says (not for a busy port)
                refused[label] = "refused" if "SECRET_KEY" in log.read_text() else "did not start: " + \
                    log.read_text()[-120:]
        forged = self._forged_status("dev-only-insecure-key")
        real = self._forged_status(SECRET_KEY)  # the same cookie signed with the server's key: the method works
        fixed = set(refused.values()) == {"refused"} and forged != 200 and real == 200
        return fixed, (f"gunicorn in production with SECRET_KEY {refused}; /admin/pengguna with an admin cookie "
                       f"signed by the dev key -> {forged}, signed by the real key (control) -> {real}")

    def _forged_status(self, key: str) -> int:
        from flask import Flask
        from sqlalchemy.orm import Session

        from logistics.models import User
        from siaga.auth import new_session_values
        with Session(self.engine) as session:
            admin = session.query(User).filter_by(username="admin").one()
            values = new_session_values(admin)
        forge = Flask("forge")
        forge.secret_key = key
        cookie = forge.session_interface.get_signing_serializer(forge).dumps(dict(values))
        browser = Browser(self.base)
        return browser.get("/admin/pengguna", headers={"Cookie": f"__Host-session={cookie}"}).status_code

    # 6. Names in the map's tooltips.
    def f6_tooltips(self):
        script = Browser(self.base).get("/maps/static/js/siaga-map.js").text
        calls = re.findall(r"bindTooltip\(([^;]*)", script)
        helper = re.search(r"function tooltip\(layer, text, options\) \{\s*return layer\.bindTooltip\(el\(", script)
        other = [c for c in calls if not c.startswith("el(")]
        marked = "<b>Kel. <a href=x>Palsu</a></b>"
        self.sql("UPDATE kelurahan SET nama = :n WHERE id = (SELECT MIN(id) FROM kelurahan)", n=marked)
        city = logged_in(self.base, "koordinator")
        served = city.get("/map/data/boundaries/kelurahan.geojson?zoom=14&bbox=105,-3,107,-1")
        as_data = served.status_code == 200 and marked in served.text
        fixed = bool(helper) and not other and as_data
        return fixed, (f"siaga-map.js: {len(calls)} bindTooltip call(s), all through tooltip() over a text node: "
                       f"{bool(helper) and not other}; a kelurahan named with markup (renamed in the database) is "
                       f"served as JSON text: {as_data} (the browser check: tests/e2e/test_map_e2e.py)")

    # 7. A kecamatan coordinator on a station page of their kecamatan.
    def f7_station_page(self):
        coordinator = api(self.base, self.demo.coordinator_token)
        name = "Pasien Luar " + secrets.token_hex(3)
        made = coordinator.post("/api/v1/incidents", json={"patient_kind": "voter", "complaint": "pusing",
                                                          "triage": "merah", "tps_id": self.setup["out"]["tps"],
                                                          "patient_name": name})
        incident = made.json()["id"]
        station = self.setup["in"]["station"]
        city = logged_in(self.base, "koordinator")
        moved = city.form(f"/lapangan/kejadian/{incident}/pos", {"medic_station_id": str(station)})
        link = f"/lapangan/kejadian/{incident}"
        seen_by_city = link in city.get(f"/lapangan/pos/{station}").text
        camat = logged_in(self.base, "camat-gerunggang")
        page = camat.get(f"/lapangan/pos/{station}")
        leaked = link in page.text or name in page.text
        detail = camat.get(link).status_code
        fixed = made.status_code == 201 and seen_by_city and page.status_code == 200 and not leaked and detail == 403
        return fixed, (f"an incident at a Bukit Intan TPS sent to a Gerunggang station (assign -> {moved.status_code}):"
                       f" on that station's page for the city coordinator {seen_by_city}, for camat-gerunggang "
                       f"{leaked} (page {page.status_code}); its detail -> {detail}")

    # 8. Uploads.
    def f8_uploads(self):
        from siaga.config import UPLOAD_LIMIT
        admin = logged_in(self.base, "admin")
        before = set(UPLOADS.glob("*")) if UPLOADS.exists() else set()
        outcome = {}

        def upload(name, payload, kind="batas"):
            started = time.monotonic()
            answer = admin.form("/admin/wilayah/unggah", {"jenis": kind}, files={"berkas": (name, payload)})
            return answer, time.monotonic() - started

        bomb, seconds = upload("bom.zip", _zip_bomb("batas.geojson", 900))
        outcome["zip bomb (4 MB -> 900 MB)"] = f"{bomb.status_code} in {seconds:.1f} s"
        xlsx, _s = upload("bom.xlsx", _zip_bomb("xl/worksheets/sheet1.xml", 400), kind="tps")
        outcome["XLSX bomb"] = xlsx.status_code
        big, _s = upload("besar.geojson", b"{" + b" " * (UPLOAD_LIMIT + 1024) + b"}")
        mb = UPLOAD_LIMIT // (1024 * 1024)
        states = bool(re.search(rf"\b{mb}\s*MB", big.text)) and not re.search(r"\b1\s*MB", big.text)
        outcome["over the limit"] = f"{big.status_code}, states {mb} MB: {states}"
        garbage, _s = upload("rusak.gpkg", b"SQLite format 3\x00" + os.urandom(5000))
        paths = [p for p in (str(ROOT), "/tmp/", "instance/uploads", "/work/") if p in garbage.text]
        outcome["unreadable GeoPackage"] = f"{garbage.status_code}, server paths shown: {paths or 'none'}"
        _aborted_upload(self.base, admin)
        time.sleep(1)
        after = set(UPLOADS.glob("*")) if UPLOADS.exists() else set()
        left = len(after - before)
        outcome["files left in instance/uploads"] = left
        rendered = subprocess.run([sys.executable, "deploy/render.py", "max-body"], cwd=ROOT, capture_output=True,
                                  text=True).stdout.strip()
        cluster = (ROOT / "scripts" / "cluster.sh").read_text()
        nginx_ok = rendered == str(UPLOAD_LIMIT) and "render.py" in cluster and "client_max_body_size 1m" not in cluster
        outcome["nginx cap"] = f"deploy/render.py max-body {rendered}, cluster.sh renders it: {nginx_ok}"
        fixed = (bomb.status_code in (400, 413, 422) and seconds < 10 and xlsx.status_code in (400, 413, 422)
                 and big.status_code == 413 and states and garbage.status_code in (400, 422) and not paths
                 and left == 0 and nginx_ok)
        return fixed, "; ".join(f"{k}: {v}" for k, v in outcome.items())

    # 9. /metrics behind proxies, 405 Allow, another kecamatan's accounts.
    def f9_headers(self):
        plain = requests.get(self.base + "/metrics", timeout=30)
        TALLY.note(plain)
        proxied = {}
        for header, value in (("Forwarded", "for=198.51.100.1"), ("X-Forwarded-For", "198.51.100.1"),
                              ("X-Real-IP", "198.51.100.1"), ("X-Forwarded-Host", "siaga.example")):
            answer = requests.get(self.base + "/metrics", headers={header: value}, timeout=30)
            TALLY.note(answer)
            proxied[header] = answer.status_code
        wrong = Browser(self.base).put("/login")
        camat = logged_in(self.base, "camat-gerunggang")
        other = camat.get(f"/admin/pengguna?kecamatan={self.setup['out']['kec']}").status_code
        fixed = plain.status_code == 200 and all(s in (403, 404) for s in proxied.values()) and \
            wrong.status_code == 405 and "Allow" in wrong.headers and other == 403
        return fixed, (f"/metrics from loopback {plain.status_code}, with a proxy header {proxied}; PUT /login -> "
                       f"{wrong.status_code} Allow: {wrong.headers.get('Allow')}; camat-gerunggang's "
                       f"/admin/pengguna?kecamatan=<Bukit Intan> -> {other}")

    # 10. The generated client on the live server.
    def f10_client(self):
        from http import HTTPStatus
        spec = Browser(self.base).get("/api/openapi.json").json()
        listing = spec["paths"]["/api/v1/tps"]["get"]
        def names(operation):
            refs = spec.get("components", {}).get("parameters", {})
            return {(refs[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p)["name"]
                    for p in operation.get("parameters", [])}
        params, writes = names(listing), names(spec["paths"]["/api/v1/incidents"]["post"])
        declared = "If-None-Match" in params and "304" in listing["responses"] and "Idempotency-Key" in writes \
            and "ETag" in listing["responses"]["200"].get("headers", {})
        with tempfile.TemporaryDirectory() as tmp:
            from tests.e2e.test_partner_client_live import generated_client
            package = generated_client(self.base, Path(tmp))
            from siaga_partner_client.api.api_incidents import list_incidents, post_incident
            from siaga_partner_client.api.api_tps import list_tps
            from siaga_partner_client.models import IncidentReportBody, ListTpsFormat
            reader = package.AuthenticatedClient(base_url=self.base, token=self.demo.reader_token,
                                                 headers={"X-Forwarded-For": "203.0.113.50"})
            writer = package.AuthenticatedClient(base_url=self.base, token=self.demo.reporter_token)
            first = list_tps.sync_detailed(client=reader, limit=50)
            again = list_tps.sync_detailed(client=reader, limit=50, if_none_match=first.headers["ETag"])
            geo = list_tps.sync_detailed(client=reader, limit=5, format_=ListTpsFormat.GEOJSON)
            body = IncidentReportBody.from_dict({"patient_kind": "voter", "complaint": "pusing", "triage": "hijau",
                                                 "lat": -2.13, "lon": 106.11})
            key = "probe-" + secrets.token_hex(4)
            made = post_incident.sync_detailed(client=writer, body=body, idempotency_key=key)
            replay = post_incident.sync_detailed(client=writer, body=body, idempotency_key=key)
            pages, cursor, seen = 0, None, []
            while pages < 500:
                page = list_incidents.sync(client=reader, limit=50, **({"cursor": cursor} if cursor else {}))
                pages += 1
                seen += [item.id for item in page.items]
                if not page.next_cursor:
                    break
                cursor = page.next_cursor
            for module in [m for m in sys.modules if m.split(".")[0] == "siaga_partner_client"]:
                del sys.modules[module]  # the next database's run generates and imports its own
        for n in (first, again, geo, made, replay):
            TALLY.requests += 1
            TALLY.by_status[int(n.status_code) // 100 * 100] += 1
        TALLY.requests += pages
        fixed = (declared and again.status_code == HTTPStatus.NOT_MODIFIED and again.parsed is None
                 and len(geo.parsed.features) == 5 and made.status_code == HTTPStatus.CREATED
                 and replay.parsed.id == made.parsed.id and made.parsed.id in seen and len(seen) == len(set(seen)))
        return fixed, (f"headers declared: {declared}; generated client: 200 then {int(again.status_code)} with "
                       f"If-None-Match, GeoJSON list of {len(geo.parsed.features)} features, idempotent write "
                       f"{int(made.status_code)} then replay of the same id: {replay.parsed.id == made.parsed.id} "
                       f"(Location {made.headers.get('Location')}), a sync of {pages} pages, {len(seen)} incidents, "
                       f"no repeat")

    # 11. Deletions in the sync.
    def f11_deletions(self):
        reader = api(self.base, self.demo.reader_token)
        incident = api(self.base, self.demo.reporter_token).post(
            "/api/v1/incidents", json={"patient_kind": "voter", "complaint": "pusing", "triage": "hijau",
                                       "lat": -2.13, "lon": 106.11}).json()["id"]
        self.sql("UPDATE health_incident SET drill = :t WHERE id = :i", t=True, i=incident)
        cursor = _sync_cursor(reader, "/api/v1/incidents?limit=500")
        wiped = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "drill", "--wipe"], cwd=ROOT,
                               env={**self.server.env}, capture_output=True, text=True, timeout=120)
        since = reader.get(f"/api/v1/incidents?cursor={cursor}").json()
        deleted = [d["id"] for d in since.get("deleted", [])]
        fixed = wiped.returncode == 0 and incident in deleted and incident not in [i["id"] for i in since["items"]]
        return fixed, (f"a drill incident wiped by the operator's `flask drill --wipe` (rc {wiped.returncode}): the "
                       f"sync since the cursor reports deleted {deleted}")

    # 12. Parameters, formats, codes, language, Location, gzip.
    def f12_contract(self):
        reader = api(self.base, self.demo.reader_token)
        out = {}
        typo = reader.get("/api/v1/tps?kode_kemendagri_typo=19.71.02")
        out["unknown parameter"] = f"{typo.status_code} {list(typo.json()['error']['fields'])}"
        geo = {k: reader.get(f"/api/v1/{k}?format=geojson&limit=5").headers.get("Content-Type", "")
               for k in ("incidents", "deliveries")}
        out["format=geojson"] = geo
        bad_format = reader.get("/api/v1/medic-stations?format=geojson")
        out["format not offered"] = bad_format.status_code
        english = reader.get("/api/v1/tps?bogus=1", headers={"Accept-Language": "en"})
        bahasa = reader.get("/api/v1/tps?bogus=1", headers={"Accept-Language": "id"})
        languages = (english.headers.get("Content-Language"), bahasa.headers.get("Content-Language"),
                     english.json()["error"]["message"] != bahasa.json()["error"]["message"])
        out["Accept-Language en/id"] = languages
        everything = len(reader.get("/api/v1/tps?limit=1000").json()["items"])
        kecamatan = reader.get("/api/v1/kecamatan").json()["items"][0]
        by_code = reader.get(f"/api/v1/tps?limit=1000&kode_kemendagri={kecamatan['kode_kemendagri']}").json()
        one = reader.get("/api/v1/tps?limit=1").json()["items"][0]
        kpu = re.sub(r"\D", "", one["code"])
        by_kpu = reader.get(f"/api/v1/tps?kode_tps={kpu}")
        out["official codes"] = (f"kecamatan {kecamatan['kode_kemendagri']}: {by_code['count']} of {everything} TPS; "
                                 f"KPU {kpu} -> {by_kpu.status_code} {by_kpu.json().get('count')}")
        made = api(self.base, self.demo.reporter_token).post(
            "/api/v1/incidents", json={"patient_kind": "voter", "complaint": "pusing", "triage": "hijau",
                                       "lat": -2.13, "lon": 106.11})
        out["201 Location"] = made.headers.get("Location")
        raw = requests.get(self.base + "/api/v1/tps?limit=500", headers={"Authorization":
                           f"Bearer {self.demo.reader_token}", "Accept-Encoding": "gzip"}, stream=True, timeout=60)
        TALLY.note(raw)
        wire = raw.raw.read(decode_content=False)
        plain = len(gzip.decompress(wire)) if raw.headers.get("Content-Encoding") == "gzip" else len(wire)
        out["gzip"] = f"{raw.headers.get('Content-Encoding')}: {plain // 1024} KB as {len(wire) // 1024} KB"
        fixed = (typo.status_code == 400 and "kode_kemendagri_typo" in typo.text
                 and all(v.startswith("application/geo+json") for v in geo.values()) and bad_format.status_code == 400
                 and languages[0] == "en" and languages[2] and 0 < by_code["count"] < everything
                 and by_kpu.status_code == 200 and by_kpu.json()["count"] == 1
                 and made.headers.get("Location") == f"/api/v1/incidents/{made.json()['id']}"
                 and raw.headers.get("Content-Encoding") == "gzip")
        return fixed, "; ".join(f"{k}: {v}" for k, v in out.items())

    # 13. Signed webhooks from the worker.
    def f13_webhooks(self):
        receiver = Receiver(self.port_base + 91, fail_first=1)
        try:
            admin = logged_in(self.base, "admin")
            page = admin.form("/admin/mitra/webhook", {"agency": "Dinkes", "url": receiver.url,
                                                       "kinds": ["incident.reported"]})
            secret = re.search(r"whsec_[A-Za-z0-9+/=]+", page.text)
            made = api(self.base, self.demo.reporter_token).post(
                "/api/v1/incidents", json={"patient_kind": "voter", "complaint": "pusing", "triage": "merah",
                                           "lat": -2.13, "lon": 106.11}).json()["id"]
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and len(receiver.received) < 2:
                time.sleep(0.5)
        finally:
            receiver.stop()
        got = receiver.received
        ids = {r["headers"].get("webhook-id") for r in got}
        valid = [secret is not None and _verify(secret.group(0), r) for r in got]
        bodies = [json.loads(r["body"]) for r in got]
        ours = [b for b in bodies if b.get("data", {}).get("entity_id") == made]
        fixed = page.status_code == 201 and len(got) >= 2 and len(ids) == 1 and all(valid) and bool(ours) \
            and "pusing" not in json.dumps(bodies)
        return fixed, (f"subscription made on /admin/mitra -> {page.status_code}; the receiver answered 500 then 200: "
                       f"{len(got)} tries with one webhook-id {sorted(ids)}, signatures valid {valid} (HMAC-SHA256 "
                       f"over id.timestamp.body), type {bodies[0].get('type') if bodies else None}, no complaint text "
                       f"in the body")

    # 14. Partner tokens on the admin page: expiry, revoke, last use.
    def f14_tokens(self):
        admin = logged_in(self.base, "admin")
        name = "probe-" + secrets.token_hex(3)
        page = admin.form("/admin/mitra/token", {"name": name, "agency": "KPU", "scopes": ["read:tps"],
                                                 "expires_in_days": "30"})
        secret = re.search(r"\b(sgt_[A-Za-z0-9_\-]+|[A-Za-z0-9_\-]{40,})\b", _text_of(page.text, "new_secret"))
        token = secret.group(1) if secret else ""
        works = api(self.base, token).get("/api/v1/tps?limit=1").status_code
        listed = admin.get("/admin/mitra").text
        no_expiry = admin.form("/admin/mitra/token", {"name": name + "x", "agency": "KPU", "scopes": ["read:tps"]})
        self.sql("UPDATE api_token SET expires_at = :t WHERE name = :n", t="2000-01-01 00:00:00", n=name)
        expired = api(self.base, token).get("/api/v1/tps?limit=1").status_code
        self.sql("UPDATE api_token SET expires_at = NULL WHERE name = :n", n=name)
        token_id = self.sql("SELECT id FROM api_token WHERE name = :n", n=name).scalar()
        revoked = admin.form(f"/admin/mitra/token/{token_id}/cabut", {}).status_code
        after = api(self.base, token).get("/api/v1/tps?limit=1").status_code
        fixed = page.status_code == 201 and works == 200 and name in listed and no_expiry.status_code in (400, 422) \
            and expired == 401 and after == 401
        return fixed, (f"made on /admin/mitra -> {page.status_code}, works -> {works}, listed with its last use: "
                       f"{name in listed}; without an expiry -> {no_expiry.status_code}; expired (aged in the database)"
                       f" -> {expired}; revoked ({revoked}) -> {after}")

    # 15. Packaging.
    def f15_packaging(self):
        from tests import test_packaging as packaging
        failures = []
        for name in ("test_direct_imports_are_listed_and_everything_is_locked",
                     "test_rate_limit_storage_uses_only_the_public_interface"):
            try:
                getattr(packaging, name)()
            except AssertionError as exc:
                failures.append(f"{name}: {str(exc)[:150]}")
        frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], capture_output=True,
                                text=True).stdout.lower().split()
        pinned = {line.split("==")[0].strip().lower().replace("_", "-")
                  for line in (ROOT / "constraints.txt").read_text().splitlines() if "==" in line}
        installed = {line.split("==")[0].replace("_", "-") for line in frozen if "==" in line}
        unpinned = sorted(installed - pinned)
        return not failures, (f"{len(pinned)} pins in constraints.txt; installed but not pinned: "
                              f"{unpinned[:8] or 'none'}{' ...' if len(unpinned) > 8 else ''}; "
                              f"tests/test_packaging.py checks: {failures or 'pass'}")

    # 16. Card provisioning as a worker job.
    def f16_card_jobs(self):
        admin = logged_in(self.base, "admin")
        kecamatan = self.setup["biggest_kecamatan"]
        started = time.monotonic()
        queued = admin.form("/admin/pengguna/provisi", {"kecamatan": str(kecamatan), "roles": "field_officer"})
        answered = time.monotonic() - started
        job_url = queued.headers.get("Location", "")
        progress, status = [], {}
        disabled = False
        deadline = time.monotonic() + 300
        while job_url and time.monotonic() < deadline:
            status = admin.get(job_url.split("?")[0] + ".json").json()
            progress.append(status.get("done"))
            if status.get("status") in ("done", "failed"):
                break
            disabled = disabled or "disabled" in admin.get("/admin/pengguna").text
            time.sleep(0.5)
        took = time.monotonic() - started
        download = admin.get(job_url + "/unduh") if job_url else None
        second = admin.get(job_url + "/unduh").status_code if job_url else None
        pdf = download is not None and download.status_code == 200 and download.content.startswith(b"%PDF")
        # A second download gets no PDF: the sealed result was wiped (a 303 back to the accounts page).
        fixed = queued.status_code == 303 and answered < 5 and status.get("status") == "done" and pdf \
            and second in (303, 404, 410)
        steps = sorted({p for p in progress if p is not None})
        return fixed, (f"provisioning the biggest kecamatan's officers: the request answered {queued.status_code} in "
                       f"{answered:.1f} s; the job {status.get('status')} after {took:.0f} s, total "
                       f"{status.get('total')}, progress seen {steps[:3]}...{steps[-2:]}, buttons disabled while it "
                       f"ran: {disabled}; download {download.status_code if download is not None else None} "
                       f"PDF {pdf}, again -> {second}")

    # The role x route x object sweep (tests/test_access_matrix.py's table, over HTTP).
    def sweep(self):
        from tests.test_access_matrix import EXPECTED, L, POST_BODIES, ROLES, TOKEN_EXPECTED, expectation
        browsers = {role: (logged_in(self.base, role) if role else Browser(self.base)) for role in ROLES}
        tokens = {**self.setup["user_tokens"], "agency": self.setup["agency_token"]}
        reads = posts = 0
        wrong = []
        skip = {"auth.logout", "i18n.switch_language", "metrics.metrics"}  # logout ends the browser's session

        def judged(status, want, api_route):
            if want == L:
                return status == 401 if api_route else status in (302, 303)
            if want == "deny":
                return status == 403
            if want == "pass":
                return status not in (401, 403) and status < 500
            return status == want

        for endpoint, (method, template, expected) in EXPECTED.items():
            if endpoint in skip:
                continue
            for role in ROLES:
                for side in ("in", "out"):
                    want = expectation(expected[role], side)
                    if side == "out" and "{" not in template and not isinstance(expected[role], tuple):
                        continue
                    if method == "POST" and want not in ("deny", L):
                        continue  # out of scope only: an allowed post would change the record for real
                    url = template.format(**self.setup[side])
                    browser = browsers[role]
                    if method == "GET":
                        answer = browser.get(url)
                        reads += 1
                    else:
                        body = {k: (v.format(**self.setup[side]) if isinstance(v, str) else v)
                                for k, v in POST_BODIES.get(endpoint, {}).items()}
                        answer = browser.post(url, json=body) if url.startswith("/api/") else \
                            browser.form(url, body)
                        posts += 1
                    if not judged(answer.status_code, want, url.startswith("/api/")):
                        wrong.append(f"{role} {side} {method} {url} -> {answer.status_code}, want {want}")
        for endpoint, by_token in TOKEN_EXPECTED.items():
            method, template, _ = EXPECTED[endpoint]
            for who, value in by_token.items():
                for side in ("in", "out"):
                    want = expectation(value, side)
                    if method == "POST" and want != "deny":
                        continue
                    url = template.format(**self.setup[side])
                    caller = api(self.base, tokens[who])
                    if method == "GET":
                        answer, reads = caller.get(url), reads + 1
                    else:
                        body = {k: (v.format(**self.setup[side]) if isinstance(v, str) else v)
                                for k, v in POST_BODIES.get(endpoint, {}).items()}
                        answer, posts = caller.post(url, json=body), posts + 1
                    if not judged(answer.status_code, want, True):
                        wrong.append(f"token {who} {side} {method} {url} -> {answer.status_code}, want {want}")
        # Every kecamatan's TPS, deliveries and incidents read by each scoped role (more objects than in/out).
        objects = self.setup["every_kecamatan"]
        scoped = {"camat-gerunggang": self.setup["in"]["kec"], "petugas": None, "kurir": None, "medis": None}
        for role, own_kec in scoped.items():
            for kec, items in objects.items():
                for url in (f"/api/v1/tps/{items['tps']}", f"/lapangan/tps/{items['tps']}",
                            f"/tps/{items['tps']}", f"/dashboard?kecamatan={kec}"):
                    answer = browsers[role].get(url)
                    reads += 1
                    if role == "camat-gerunggang" and kec == own_kec:
                        continue
                    if role != "camat-gerunggang" and items["tps"] in self.setup["own_tps"].get(role, ()):
                        continue
                    if answer.status_code not in (403, 404):
                        wrong.append(f"{role} {url} (kecamatan {kec}) -> {answer.status_code}, want 403")
        return not wrong, (f"{reads} reads and {posts} out-of-scope posts by {len(ROLES)} roles and "
                           f"{len(tokens)} tokens; answered otherwise than the table: "
                           f"{len(wrong)}{': ' + '; '.join(wrong[:20]) if wrong else ''}")

    def schemathesis_run(self, examples: int = 10):
        """Generated hostile and valid calls of every API operation on the live URL: 5xx and schema conformance."""
        import itertools

        import schemathesis
        from hypothesis import HealthCheck, Phase, given, settings
        from schemathesis import GenerationMode
        from schemathesis.checks import not_a_server_error
        from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

        schema = schemathesis.openapi.from_url(self.base + "/api/openapi.json")
        headers = {"Authorization": f"Bearer {self.setup['agency_token']}", "X-Forwarded-For": "203.0.113.77"}
        problems, calls, too_long = [], 0, []
        for result, mode in itertools.product(list(schema.get_all_operations()),
                                              (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)):
            operation = result.ok()

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            def run(case):
                nonlocal calls
                response = case.call(headers=headers)
                calls += 1
                TALLY.requests += 1
                TALLY.by_status[response.status_code // 100 * 100] += 1
                if response.status_code >= 500:
                    TALLY.errors.append(f"{case.method} {case.formatted_path} -> {response.status_code}")
                if response.status_code == 414 and "Request Line is too large" in response.text:
                    # gunicorn's own answer to a request line over 4094 bytes, before the app (nginx answers
                    # first in production, with its own HTML 414): said apart, not the API's contract.
                    too_long.append(len(case.formatted_path))
                    return
                case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                                         content_type_conformance])

            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # a failed check: keep its first lines
                problems.append(f"{operation.label} {mode.value}: " + " ".join(str(exc).split())[:300])
        return not problems, (f"{calls} generated calls; failed checks {len(problems)}: {problems[:4]}; request lines "
                              f"too long for gunicorn (its HTML 414, outside the app): {len(too_long)}")


# ---------------------------------------------------------------------------------------------------------
# Helpers.

def _text_of(page: str, _name: str) -> str:
    found = re.search(r"<code[^>]*>([^<]+)</code>", page)
    return found.group(1) if found else page


def _sync_cursor(reader: Browser, url: str) -> str:
    cursor = None
    while True:
        page = reader.get(url + (f"&cursor={cursor}" if cursor else "")).json()
        if not page.get("next_cursor"):
            return page["sync_cursor"]
        cursor = page["next_cursor"]


def _zip_bomb(member: str, megabytes: int) -> bytes:
    """A small zip holding one member of `megabytes` MB of spaces (deflated ~1000:1)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open(member, "w", force_zip64=True) as inside:
            chunk = b" " * (1024 * 1024)
            for _ in range(megabytes):
                inside.write(chunk)
    return out.getvalue()


def _aborted_upload(base: str, admin: Browser) -> None:
    """A 10 MB upload whose sender hangs up after 1 MB."""
    token = admin.csrf()
    boundary = "probe" + secrets.token_hex(6)
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"jenis\"\r\n\r\nbatas\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"berkas\"; filename=\"putus.geojson\"\r\n"
            f"Content-Type: application/json\r\n\r\n").encode()
    cookie = "; ".join(f"{c.name}={c.value}" for c in admin.cookies)
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall((f"POST /admin/wilayah/unggah HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
                      f"X-Forwarded-For: 203.0.113.10\r\n"
                      f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {10 * 1024 * 1024}"
                      f"\r\n\r\n").encode() + head + b"{" + b" " * (1024 * 1024))
    TALLY.requests += 1


def _verify(secret: str, request: dict) -> bool:
    headers = request["headers"]
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + request["body"]
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(part.split(",", 1)[1] == expected for part in headers.get("webhook-signature", "").split()
               if part.startswith("v1,"))


class Receiver:
    """A partner's webhook endpoint on loopback: records each request; answers 500 to the first `fail_first`."""

    def __init__(self, port: int, fail_first: int = 0):
        received, state = [], {"left": fail_first}
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                failing = state["left"] > 0
                state["left"] -= 1
                self.send_response(500 if failing else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}/siaga"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# ---------------------------------------------------------------------------------------------------------
# Set-up (before the server starts, in the database, as the seed and a coordinator printing cards would).

def set_up(database_url: str) -> dict:
    from sqlalchemy import create_engine, func, select

    from logistics.actor import Actor
    from logistics.models import Kecamatan, Kelurahan, Role, Tps, User
    from logistics.services import field_accounts
    from logistics.services.accounts import deactivate_user
    from logistics.services.api_tokens import SCOPES, create_token
    from siaga import create_app
    from tests.test_access_matrix import TOKEN_USERS, build_objects

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        from siaga.extensions import db
        session = db.session
        objects = build_objects(session, lambda username: Actor.from_user(
            session.scalar(select(User).where(User.username == username))))
        session.commit()
        system = Actor.system("probe")
        medics = session.scalars(select(User).where(User.role.in_([Role.MEDIC, Role.COURIER]), User.active.is_(True),
                                                    User.username.not_in(["medis", "kurir"]))
                                 .order_by(User.id).limit(4)).all()
        cards = {}
        for key, user in zip(("race", "tries", "old", "timing"), medics):
            card = field_accounts.reset_pin(session, system, user.id)
            cards[key] = {"username": card.username, "pin": card.pin}
        cardless = session.scalar(select(User.username).where(User.password_hash.like("!%")).order_by(User.id).limit(1))
        officer = session.scalar(select(User).where(User.role == Role.FIELD_OFFICER, User.username != "petugas",
                                                    User.username.like("tps-%")).order_by(User.id.desc()).limit(1))
        deactivate_user(session, system, officer.id)
        # A partner user reads what its agency's tokens allow (read_scope.agency_scopes); the demo's tokens are
        # the Dinkes's, so the table's "mitra" (a partner user without scopes) belongs to an agency without any.
        session.scalar(select(User).where(User.username == "mitra")).agency = "Bawaslu"
        user_tokens = {}
        for username in TOKEN_USERS:
            _t, user_tokens[username] = create_token(session, system, scopes=list(SCOPES), username=username)
        _t, agency = create_token(session, system, scopes=list(SCOPES), agency="Dinkes")
        every = {}
        for kec in session.scalars(select(Kecamatan).order_by(Kecamatan.id)):
            tps = session.scalar(select(Tps.id).join(Kelurahan).where(Kelurahan.kecamatan_id == kec.id)
                                 .order_by(Tps.id.desc()).limit(1))
            if tps:
                every[kec.id] = {"tps": tps}
        biggest = session.scalar(select(Kelurahan.kecamatan_id).join(Tps).group_by(Kelurahan.kecamatan_id)
                                 .order_by(func.count().desc()).limit(1))
        from logistics.models import Delivery, MedicStation
        kurir = session.scalar(select(User).where(User.username == "kurir"))
        medis = session.scalar(select(User).where(User.username == "medis"))
        petugas = session.scalar(select(User).where(User.username == "petugas"))
        courier_tps = set(session.scalars(select(Delivery.tps_id).where(Delivery.courier_id == kurir.person_id)))
        from logistics.queries.coverage import covering_station
        covered = {t.id for t in session.scalars(select(Tps).where(Tps.id.in_([v["tps"] for v in every.values()])))
                   if covering_station(session, t) == medis.medic_station_id}
        session.get(MedicStation, medis.medic_station_id)
        session.commit()
        setup = {**objects, "cards": cards, "cardless": cardless, "deactivated": officer.username,
                 "user_tokens": user_tokens, "agency_token": agency, "every_kecamatan": every,
                 "biggest_kecamatan": biggest,
                 "own_tps": {"kurir": courier_tps, "medis": covered, "petugas": {petugas.tps_id}}}
        db.session.remove()
        db.engine.dispose()
    engine = create_engine(database_url)
    return setup, engine


def run_on(database_url: str, port_base: int, label: str, examples: int) -> dict:
    print(f"== {label}: preparing {database_url.split('@')[-1]}", flush=True)
    started = time.monotonic()
    demo = prepare_database(database_url)
    setup, engine = set_up(demo.database_url)
    env = {"SIAGA_ENV": "production", "SECRET_KEY": SECRET_KEY, "TRUSTED_PROXIES": "1",
           "DEMO_PASSWORD": DEMO_PASSWORD}
    log_dir = Path(tempfile.mkdtemp(prefix="probe-"))
    server = Server(demo.database_url, workers=2, log_path=str(log_dir / "gunicorn.log"), env=env)
    server.port, server.url = port_base, f"http://127.0.0.1:{port_base}"
    worker = Worker(demo.database_url, log_path=str(log_dir / "worker.log"),
                    env={**env, "SITUATION_REPORT_LANGUAGES": ""})
    server.start(timeout=120)
    worker.start()
    time.sleep(3)  # its heartbeat, so the card jobs go to it
    before = (TALLY.requests, TALLY.by_status.copy(), len(TALLY.errors))
    probe = Probe(server, worker, demo, engine, setup, port_base)
    try:
        print(f"   gunicorn {len(server.worker_pids())} workers, production mode, logs in {log_dir}", flush=True)
        checks = [("1 control characters", probe.f1_control_characters), ("2 login throttle", probe.f2_throttle),
                  ("3 login cards", probe.f3_cards), ("4 timing", probe.f4_timing), ("5 keys", probe.f5_keys),
                  ("6 map tooltips", probe.f6_tooltips), ("7 station page", probe.f7_station_page),
                  ("8 uploads", probe.f8_uploads), ("9 proxies, 405, accounts list", probe.f9_headers),
                  ("10 generated client", probe.f10_client), ("11 deletions", probe.f11_deletions),
                  ("12 parameters, formats, codes", probe.f12_contract), ("13 webhooks", probe.f13_webhooks),
                  ("14 partner tokens", probe.f14_tokens), ("15 packaging", probe.f15_packaging),
                  ("16 card jobs", probe.f16_card_jobs),
                  ("sweep role x route x object", probe.sweep),
                  ("schemathesis on the live API", lambda: probe.schemathesis_run(examples))]
        for name, fn in checks:
            probe.check(name, fn)
    finally:
        worker.stop()
        server.stop()
        engine.dispose()
        drop_scratch_database(demo.database_url)
    requests_made = TALLY.requests - before[0]
    fivexx = TALLY.by_status[500] - before[1][500]
    errors = TALLY.errors[before[2]:]
    print(f"   {label}: {requests_made} requests, {fivexx} 5xx{': ' + '; '.join(errors[:5]) if errors else ''}; "
          f"{time.monotonic() - started:.0f} s", flush=True)
    return {"database": label, "requests": requests_made, "5xx": fivexx, "errors": errors,
            "seconds": round(time.monotonic() - started), "load": os.getloadavg(),
            "results": [{"check": n, "fixed": f, "evidence": e} for n, f, e in probe.results]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/siaga"),
                        help="a PostgreSQL server's URL; the probe uses a scratch database <name>_probe beside it")
    parser.add_argument("--examples", type=int, default=10, help="schemathesis examples per operation and mode")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    os.environ.setdefault("SIAGA_ENV", "testing")
    port_base = int(os.environ.get("PROBE_PORT") or free_port())
    started = time.monotonic()
    runs = []
    if args.database in ("sqlite", "both"):
        runs.append(run_on("sqlite:///" + tempfile.mkdtemp(prefix="probe-db-") + "/probe.db", port_base, "SQLite",
                           args.examples))
    if args.database in ("postgresql", "both"):
        runs.append(run_on(scratch_postgres_url(args.postgres, "probe"), port_base, "PostgreSQL", args.examples))
    total = time.monotonic() - started
    print(f"== total {total:.0f} s; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"seconds": round(total), "runs": runs}, indent=1, default=str))
    return 0 if all(r["5xx"] == 0 and all(c["fixed"] for c in r["results"]) for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
