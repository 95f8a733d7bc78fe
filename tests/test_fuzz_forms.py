"""Hostile input to every HTML route: never a 5xx, and a refused post stores nothing.

Routes come from the app's url_map and their fields from the schemas the views declare (`siaga.forms`:
`with_form` / `with_query`), so a new page or a new field is fuzzed without touching this file; a POST
route without a form schema, a view reading `request.form` / `request.args` by hand, or an unbounded
`<int:...>` converter fails here. The partner API (/api/) has its own schema tests (tests/api).
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import select, text
from werkzeug.routing import IntegerConverter

from logistics.models import (
    Base, HealthCheckin, HealthFacility, Person, PersonRole, RosterShift, User,
)
from logistics.services.incidents import report_incident
from maps.data import BBoxField
from siaga import fields as f
from tests.factories import meal, other_tps, save
from tests.field_client import csrf_from, log_in_as, post_form

ROOT = Path(__file__).resolve().parents[1]
# The admin reaches every page; then each route is fuzzed as the first of the others who reaches it.
USERS = ("admin", "petugas", "kurir", "medis", "camat-gerunggang")
# Posts that take no fields at all (the query string, if any, has its schema).
NO_FORM = {"auth.logout", "admin_elections.make_active", "planning.make_meal_plan", "planning.delete_roster_shift",
           "auth.login",  # login: username/password are only compared, never stored (siaga/auth.py)
           # JSON bodies, checked by their own schema (siaga/push.py; bad input: tests/test_webpush.py)
           "push.subscribe_view", "push.unsubscribe_view", "push.replace_view",
           # the SMS gateway's signed JSON webhook (bad and hostile bodies: tests/test_sms_inbound.py)
           "sms.webhook"}
SKIPPED_PREFIXES = ("/api/", "/static/", "/maps/static/", "/lapangan/static/")
SKIPPED_ENDPOINTS = {"static", "auth.logout"}  # logout ends the test's session (and its CSRF token)
# Refused by every field type: NUL, far too long. (A lone surrogate arrives as U+FFFD: the form's bytes
# are not UTF-8, and are decoded with replacement characters.)
ALWAYS_REFUSED = ["\x00", "a\x00b", "x" * 5000, "9" * 5000]
BAD = ALWAYS_REFUSED + [
    "\ud800", "", " ", "abc", "-1", "0", "-99999999999", "9" * 30, "2147483648", "2147483647", "-2147483648", "1.5", "1e9",
    "NaN", "0001-01-01", "9999-12-31", "2025-02-30", "0001-01-01T00:00", "9999-12-31T23:59", "25:99", "<script>",
    "' OR 1=1 --", "２", "٣",
]
SHORT = ALWAYS_REFUSED + ["", "9" * 30, "-1", "2147483648", "0001-01-01", "9999-12-31"]


def encode(data: dict) -> str:
    """URL-encoded like a browser would, lone surrogates included (as their raw UTF-8 bytes)."""
    return urlencode(data, doseq=True, quote_via=lambda s, *a, **k: quote(s, safe="", errors="surrogatepass"))


def _rules(app):
    return [r for r in app.url_map.iter_rules()
            if not r.rule.startswith(SKIPPED_PREFIXES) and r.endpoint not in SKIPPED_ENDPOINTS]


def _view(app, rule):
    return app.view_functions[rule.endpoint]


# --- static checks: the fuzzing below only covers what is declared ---

def test_every_int_converter_is_bounded(app):
    unbounded = [r.rule for r in app.url_map.iter_rules() for c in r._converters.values()
                 if isinstance(c, IntegerConverter) and (c.max is None or c.max > f.MAX_ID)]
    assert unbounded == []


def test_every_post_route_declares_its_form(app):
    missing = [r.endpoint for r in _rules(app) if "POST" in r.methods and r.endpoint not in NO_FORM
               and not hasattr(_view(app, r), "form_schema")]
    assert missing == []


def test_views_read_input_only_through_schemas():
    """request.form / request.args outside a schema would be input this test never fuzzes."""
    allowed = {"siaga/auth.py", "siaga/i18n.py", "siaga/idempotency.py", "siaga/errors.py", "siaga/forms.py",
               "siaga/tapped.py"}  # the tap moment beside every form, tested in tests/test_tapped.py
    offenders = []
    for path in [*ROOT.glob("field/*.py"), *ROOT.glob("maps/*.py"), *ROOT.glob("siaga/*.py"), *ROOT.glob("admin/*.py")]:
        name = str(path.relative_to(ROOT))
        if name not in allowed and re.search(r"request\.(form|args|values)\b", path.read_text()):
            offenders.append(name)
    assert offenders == []


# --- the fuzzing ---

def _ids(session, actor_for) -> dict:
    """A real record for each path argument, so probes get past the look-ups into the views."""
    petugas, medis = actor_for("petugas"), actor_for("medis")
    incident = report_incident(session, actor_for("koordinator"), patient_kind="voter", complaint="cedera",
                               triage="hijau", tps_id=other_tps(session, 0, "Gerunggang").id)
    incident.medic_station_id = medis.medic_station_id
    save(session)
    checkin = session.scalar(select(HealthCheckin).where(HealthCheckin.done_at.is_(None)).order_by(HealthCheckin.id))
    return {
        "tps_id": petugas.tps_id, "delivery_id": meal(session, petugas.tps_id).id, "incident_id": incident.id,
        "station_id": medis.medic_station_id, "checkin_id": checkin.id, "person_id": checkin.person_id,
        "shift_id": session.scalar(select(RosterShift.id).order_by(RosterShift.id)),
        # a Gerunggang ketua KPPS's login (the seed's), not a demo account: resets and revokes lock nobody out
        "user_id": session.scalar(select(User.id).where(User.username.like("tps-%")).order_by(User.username)),
        "subject": "tps", "fmt": "csv", "lang": "en",
        # form fields naming records
        "medic_station_id": medis.medic_station_id, "pos": medis.medic_station_id,
        "medis": session.scalar(select(Person.id).where(Person.role == PersonRole.MEDIC).order_by(Person.id)),
        "kurir": session.scalar(select(Person.id).where(Person.role == PersonRole.COURIER).order_by(Person.id)),
        "referral_facility_id": session.scalar(select(HealthFacility.id).order_by(HealthFacility.id)),
        "kecamatan": session.scalar(select(User.kecamatan_id).where(User.username == "camat-gerunggang")),
        # a new election copied from one that does not exist: its fields are fuzzed, no city is copied per probe
        "dari": f.MAX_ID,
    }


GOOD_NUMBERS = {"officers_present": "7", "porsi": "10", "sistolik": "120", "diastolik": "80", "gula_darah": "100",
                "usia": "40", "quantity_received": "5", "quantity_damaged": "0", "zoom": "12"}


# Choices whose good value should be cheap: coordinators' cards (none pending) make no PINs, where field
# staff's would hash one per person (scrypt is slow on purpose) at every accepted probe.
GOOD_CHOICES = {"roles": ["coordinator"]}


def good_value(name: str, field, ids: dict):
    """A value the field accepts: the baseline every probe changes one field of."""
    if name in GOOD_CHOICES:
        return GOOD_CHOICES[name]
    if isinstance(field, (f.FormId, f.FormInt)):
        return str(ids.get(name) or GOOD_NUMBERS.get(name) or 1)
    if isinstance(field, f.FormChoice):
        return next(iter(field.choices))
    if isinstance(field, f.FormText):
        return "/lapangan/tps" if name == "next" else "Baik"
    if isinstance(field, f.FormDay):
        return "2025-08-27"
    if isinstance(field, f.FormClock):
        return "12:00"
    if isinstance(field, f.FormLocalMoment):
        return "2025-08-27T16:00" if name == "selesai" else "2025-08-27T08:00"
    if isinstance(field, f.FormList):
        return [good_value(name, field.inner, ids)]
    if isinstance(field, f.FormFlag):
        return "1"
    if isinstance(field, BBoxField):
        return "105.9,-2.3,106.3,-2.0"
    raise AssertionError(f"no good value for {type(field).__name__} {name}: teach the fuzz test this field type")


def _fields(schema_cls) -> dict:
    return {field.data_key or name: field for name, field in schema_cls().fields.items()} if schema_cls else {}


def _row_counts(session) -> tuple:
    """Rows per table (the idempotency claims aside) in one query: what a refused post must not change."""
    # A refused login is counted on purpose (login_failure: the throttle, siaga/login_throttle.py).
    tables = [t.name for t in Base.metadata.sorted_tables if t.name not in ("idempotency_record", "login_failure")]
    return tuple(session.execute(text("SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables))).one())


SENTINEL = 7654321  # an id placeholder in a built path, swapped for a huge number


def _path(rule, ids: dict) -> str:
    def value(name):  # an id, or the first of an `any(...)` converter's words
        items = getattr(rule._converters.get(name), "items", None)
        return ids.get(name, sorted(items)[0] if items else 1)

    return rule.build({name: value(name) for name in rule.arguments}, append_unknown=False)[1]


class Prober:
    def __init__(self, client, session, token):
        self.client, self.session, self.token = client, session, token
        self.failures, self.count, self.rows = [], 0, None

    def request(self, method, path, query: dict, form: dict | None, label: str, must_refuse: bool, json: bool):
        self.count += 1
        headers = {"Accept": "application/json"} if json else {}
        url = path + ("?" + encode(query) if query else "")
        try:
            if method == "GET":
                response = self.client.get(url, headers=headers)
                before = after = None
            else:
                # The rows after the previous post are the rows before this one: one count per post.
                before = self.rows if self.rows is not None else _row_counts(self.session)
                response = self.client.post(url, data=encode({"csrf_token": self.token, **(form or {})}),
                                            content_type="application/x-www-form-urlencoded", headers=headers)
                after = self.rows = _row_counts(self.session)
                if response.status_code < 400:
                    before = after
        except Exception as exc:  # the test app propagates exceptions: each one would be a 500
            self.failures.append(f"{type(exc).__name__} {method} {url[:120]} {label}: {str(exc)[:100]}")
            self.session.rollback()
            self.rows = None
            return
        status = response.status_code
        if status >= 500:
            self.failures.append(f"{status} {method} {url[:120]} {label}")
        elif must_refuse and status < 400:
            self.failures.append(f"accepted {status} {method} {url[:120]} {label}")
        elif before != after:
            self.failures.append(f"refused ({status}) but stored rows: {method} {url[:120]} {label}")
        elif json and status in (400, 422) and response.is_json and not response.get_json()["error"]["fields"]:
            self.failures.append(f"{status} without field messages: {method} {url[:120]} {label}")


def _reaches(client, method, path, token) -> bool:
    """The user gets past the login and role checks. A post is tried with a malformed idempotency key:
    refused (400) right after the role check, before the view does any work."""
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data={"csrf_token": token, "idempotency_key": "?"},
                               headers={"Accept": "application/json"})
    return response.status_code not in (401, 403) and "/login" not in response.headers.get("Location", "")


def _fuzz_schema(prober, method, path, schema_cls, ids, where: str, other: dict, values: list[str]):
    """One field bad at a time (the others good), all fields bad at once, each required field missing."""
    fields = _fields(schema_cls)
    good = {name: good_value(name, field, ids) for name, field in fields.items()}
    if where == "query" and method == "POST":
        # An empty query value is a missing one, met on the GET routes: here it would only rerun the post
        # (the meal planner takes seconds).
        values = [v for v in values if v.strip()]

    def send(values: dict, label: str, must_refuse: bool, json: bool):
        query, form = (values, other) if where == "query" else (other, values)
        prober.request(method, path, query, form, label, must_refuse, json)

    for index, value in enumerate(values):
        for name in fields:
            send({**good, name: value}, f"{where} {name}={value[:20]!r}", value in ALWAYS_REFUSED, index % 2 == 1)
        if len(fields) > 1:
            send({name: value for name in fields}, f"{where} all={value[:20]!r}", value in ALWAYS_REFUSED,
                 index % 2 == 0)
    for name, field in fields.items():
        if field.required:
            send({k: v for k, v in good.items() if k != name}, f"{where} missing {name}", True, False)


# Query parameters any page might read by hand: thrown at routes without a query schema too.
GENERIC_ARGS = ("kecamatan", "tanggal", "status", "putaran", "tps_id", "bbox", "zoom", "color", "partial", "next",
                "lang")
LOGIN = ("username", "password")


# Every form of every page with every hostile value, as each role: about a minute on a quiet machine, and
# past the suite's 300 s on a loaded one, so it has a longer limit of its own.
@pytest.mark.timeout(900)
def test_no_hostile_input_gives_a_5xx_or_stores_anything(app, client, session, actor_for):
    ids = _ids(session, actor_for)
    log_in_as(client, session, "admin")
    token = csrf_from(client)
    prober = Prober(client, session, token)
    fuzzed = set()

    def values_for(schema_cls) -> list[str]:
        """Every bad value the first time a schema is met; a schema already fuzzed (another user, another
        route sharing it) gets the short list, which keeps the test fast (the meal planner is slow)."""
        if schema_cls in fuzzed:
            return SHORT
        fuzzed.add(schema_cls)
        return BAD

    for rule in _rules(app):
        view = _view(app, rule)
        path = _path(rule, ids)
        for method in sorted(rule.methods & {"GET", "POST"}):
            fuzzed_as = []
            for username in USERS:
                if len(fuzzed_as) == 2:  # the admin and the first role of the route's own users
                    break
                log_in_as(client, session, username)
                if not _reaches(client, method, path, token):
                    continue
                fuzzed_as.append(username)
                query_schema = getattr(view, "query_schema", None)
                form_schema = getattr(view, "form_schema", None) if method == "POST" else None
                good_form = {n: good_value(n, fld, ids) for n, fld in _fields(form_schema).items()}
                if query_schema:
                    _fuzz_schema(prober, method, path, query_schema, ids, "query", good_form, values_for(query_schema))
                if form_schema:
                    _fuzz_schema(prober, method, path, form_schema, ids, "form", {}, values_for(form_schema))
                if not query_schema:
                    for index, value in enumerate(BAD):
                        prober.request(method, path, {name: value for name in GENERIC_ARGS}, good_form,
                                       f"generic args={value[:20]!r}", False, index % 2 == 1)
                if method == "POST" and not form_schema:
                    # Login reads its two fields by hand (siaga/auth.py); other posts ignore what is sent.
                    for index, value in enumerate(BAD if rule.endpoint == "auth.login" else ALWAYS_REFUSED[:1]):
                        prober.request(method, path, {}, {name: value for name in (*GENERIC_ARGS, *LOGIN)},
                                       f"stray fields={value[:20]!r}", False, index % 2 == 1)
        # Ids the database cannot hold are simply not found.
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                for huge in ("9" * 25, str(f.MAX_ID + 1), "9" * 5000):
                    bad_path = _path(rule, {**ids, name: SENTINEL}).replace(str(SENTINEL), huge)
                    log_in_as(client, session, "admin")
                    for method in sorted(rule.methods & {"GET", "POST"}):
                        response = (client.get(bad_path) if method == "GET"
                                    else client.post(bad_path, data={"csrf_token": token}))
                        if response.status_code != 404:
                            prober.failures.append(f"{response.status_code} (not 404) {method} {bad_path[:80]}")
    assert prober.failures == [], "\n".join(prober.failures[:50])
    assert len(fuzzed) >= 15 and prober.count > 2000  # the walk really went through the forms


def test_failure_reason_longer_than_its_column_is_refused(client, session):
    """Delivery.failure_reason is String(240): PostgreSQL refuses more, SQLite would silently store it."""
    user = log_in_as(client, session, "petugas")
    delivery = meal(session, user.tps_id)
    audits = session.scalar(text("SELECT count(*) FROM audit_entry"))
    response = post_form(client, f"/lapangan/kiriman/{delivery.id}", {"action": "failed", "reason": "x" * 241},
                         json=True)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["reason"] == "Paling banyak 240 karakter."
    session.refresh(delivery)
    assert delivery.failure_reason is None and session.scalar(text("SELECT count(*) FROM audit_entry")) == audits
    client.get("/bahasa/en")
    response = post_form(client, f"/lapangan/kiriman/{delivery.id}", {"action": "failed", "reason": "x" * 241})
    assert response.status_code == 422 and "240 characters at most." in response.get_data(as_text=True)
    ok = post_form(client, f"/lapangan/kiriman/{delivery.id}", {"action": "failed", "reason": "x" * 240, "confirm": "1"},
                   json=True)
    assert ok.status_code == 200
    session.refresh(delivery)
    assert delivery.failure_reason == "x" * 240


def test_form_errors_name_each_field(client, session):
    user = log_in_as(client, session, "petugas")
    response = post_form(client, f"/lapangan/tps/{user.tps_id}/koreksi",
                         {"to_status": "nope", "officers_present": "9" * 30, "reason": "a\x00b"}, json=True)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "to_status": "Pilih salah satu dari daftar.", "officers_present": "Isi angka 0 sampai 50.",
        "reason": "Teks berisi karakter yang tidak sah."}
    page = post_form(client, f"/lapangan/kiriman/{meal(session, user.tps_id).id}",
                     {"action": "delivered", "quantity_received": "abc"})
    assert page.status_code == 422 and "Isi dengan angka bulat." in page.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/dashboard?kecamatan=99999999999999999999", "/dashboard?kecamatan=0",
                                 "/rencana/jaga?tanggal=0001-01-01", "/rencana/konsumsi?tanggal=9999-12-31",
                                 "/map/data/tps.geojson?bbox=1,2,3&zoom=5", "/dashboard/export/tps.csv?status=%00"])
def test_bad_query_values_are_field_errors(client, session, url):
    log_in_as(client, session, "koordinator")
    response = client.get(url, headers={"Accept": "application/json"})
    assert response.status_code == 422 and response.get_json()["error"]["fields"], url
