"""Who may call what: every route the app registers × every role, on an object inside and one outside
the role's scope (the read and write policy of `logistics.permissions`, as seen from HTTP).

Routes are enumerated from `app.url_map`: a new route without a line in EXPECTED fails
`test_every_route_has_a_rule`. Statuses: 200 (or what the route answers when allowed: 302/303/400/
422...), 403 out of scope, "login" (302 to /login for pages, 401 for the API). For POST routes only
the permission outcome is checked: "deny" (403) or "pass" (anything but 401/403/500).

The two objects of each kind: "in" sits in Kecamatan Gerunggang (`camat-gerunggang`'s), on the `kurir`'s
route, with its incident handed to the Gerunggang station; "out" is the `petugas`'s TPS in Bukit Intan with
its deliveries and an incident assigned to the station nearest to it, the `medis`'s (the demo accounts meet:
siaga/seeding/accounts.py). So every scoped role has an object of its own and one it must not touch: for
camat-gerunggang and kurir "in" is theirs, for petugas and medis "out" is.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from logistics.actor import Actor
from logistics.models import (
    Delivery, HealthCheckin, MedicStation, Person, PersonRole, RosterShift, SituationReport, Tps, User,
)
from logistics.queries.coverage import covering_station
from logistics.services.api_tokens import SCOPES, create_token
from logistics.services.incidents import assign_medic_station, report_incident
from siaga.auth import new_session_values

ROLES = ("admin", "koordinator", "camat-gerunggang", "petugas", "kurir", "medis", "mitra", None)
TOKEN_USERS = ("koordinator", "camat-gerunggang", "petugas", "kurir", "medis")
NAME = "Pasien Rahasia"
OUT_NOTE = "catatan di luar wilayah"
PERSONAL = ("patient_name", "notes", "received_by", "failure_reason", "contact_phone")


def row(*statuses):
    """One status (or (in, out) pair) per role, in ROLES order."""
    return dict(zip(ROLES, statuses))


L = "login"
ALL_OK = row(*[200] * 7, L)
COORD = row(200, 200, 200, 403, 403, 403, 403, L)  # coordinator pages without an object
COORD_SCOPED = row(200, 200, (200, 403), 403, 403, 403, 403, L)
PUBLIC = {role: 200 for role in ROLES}
ACCOUNT_MANAGERS = row("pass", "deny", ("pass", "deny"), "deny", "deny", "deny", "deny", L)

# endpoint -> (method, url with {placeholders} filled from the in/out objects, expected per role)
EXPECTED: dict[str, tuple[str, str, dict]] = {
    "home.index": ("GET", "/", {role: "pass" for role in ROLES}),
    "health.healthz": ("GET", "/healthz", PUBLIC),
    # Loopback (the test client) or a METRICS_TOKEN bearer, whoever is logged in: tests/test_observability.py.
    "metrics.metrics": ("GET", "/metrics", PUBLIC),
    "static": ("GET", "/static/css/base.css", PUBLIC),
    "maps.static": ("GET", "/maps/static/js/siaga-map.js", PUBLIC),
    "field.static": ("GET", "/lapangan/static/field.js", PUBLIC),
    "field.service_worker": ("GET", "/lapangan/sw.js", PUBLIC),
    "push.public_key": ("GET", "/notifikasi/kunci", row(*[200] * 6, 403, L)),
    "push.subscribe_view": ("POST", "/notifikasi/langganan", row(*["pass"] * 6, "deny", L)),
    "push.unsubscribe_view": ("POST", "/notifikasi/berhenti", row(*["pass"] * 6, "deny", L)),
    "push.replace_view": ("POST", "/notifikasi/ganti", row(*["pass"] * 6, "deny", L)),
    # The SMS gateway's webhook: no login, only its signature (tests/test_sms_inbound.py); SMS is off here.
    "sms.webhook": ("POST", "/sms/webhook", {role: 404 for role in ROLES}),
    "api_docs.static": ("GET", "/api/static/docs.js", PUBLIC),
    "api_docs.docs": ("GET", "/api/docs", PUBLIC),
    "api-docs.openapi_json": ("GET", "/api/openapi.json", PUBLIC),
    "i18n.switch_language": ("GET", "/bahasa/en", {role: 302 for role in ROLES}),
    "auth.login": ("GET", "/login", PUBLIC),
    "auth.logout": ("POST", "/logout", {role: "pass" for role in ROLES}),
    "auth.change_own_password": ("GET", "/akun/sandi", ALL_OK),
    # Coordinators' pages.
    "maps.dashboard": ("GET", "/dashboard?kecamatan={kec}", COORD_SCOPED),
    "maps.export": ("GET", "/dashboard/export/incidents.csv?kecamatan={kec}", COORD_SCOPED),
    "maps.situation_report": ("GET", "/dashboard/laporan.pdf?kecamatan={kec}", COORD_SCOPED),
    "maps.stored_situation_report": ("GET", "/dashboard/laporan/{report}.pdf", COORD_SCOPED),
    "maps.live_map": ("GET", "/map", COORD),
    "maps.tps_geojson": ("GET", "/map/data/tps.geojson?bbox=105,-3,107,-1&zoom=14", COORD),
    "maps.incidents_geojson": ("GET", "/map/data/incidents.geojson", COORD),
    "maps.stations_geojson": ("GET", "/map/data/stations.geojson", COORD),
    "maps.facilities_geojson": ("GET", "/map/data/facilities.geojson", COORD),
    "maps.boundaries_geojson": ("GET", "/map/data/boundaries/kecamatan.geojson?zoom=12", COORD),
    "maps.tps_record": ("GET", "/tps/{tps}", COORD_SCOPED),
    "planning.meals": ("GET", "/rencana/konsumsi?kecamatan={kec}", COORD_SCOPED),
    "planning.rosters": ("GET", "/rencana/jaga?kecamatan={kec}", COORD_SCOPED),
    "planning.logistics": ("GET", "/rencana/logistik?kecamatan={kec}", COORD_SCOPED),
    "planning.edit_meal": ("GET", "/rencana/konsumsi/{delivery}", COORD_SCOPED),
    "planning.make_meal_plan": ("POST", "/rencana/konsumsi/susun?kecamatan={kec}",
                                row("pass", "pass", ("pass", "deny"), "deny", "deny", "deny", "deny", L)),
    "planning.add_roster_shift": ("POST", "/rencana/jaga", row("pass", "pass", "pass", "deny", "deny", "deny", "deny", L)),
    "planning.delete_roster_shift": ("POST", "/rencana/jaga/{shift}/hapus",
                                     row("pass", "pass", "pass", "deny", "deny", "deny", "deny", L)),
    # Admin's setup pages (the admin alone; without a pending upload the preview sends back to the index).
    "admin_setup.static": ("GET", "/admin/static/setup.css", PUBLIC),
    "admin_setup.index": ("GET", "/admin/wilayah", row(200, 403, 403, 403, 403, 403, 403, L)),
    "admin_setup.preview": ("GET", "/admin/wilayah/pratinjau", row(302, 403, 403, 403, 403, 403, 403, L)),
    "admin_setup.settings": ("GET", "/admin/pengaturan", row(200, 403, 403, 403, 403, 403, 403, L)),
    "admin_sms.index": ("GET", "/admin/sms", row(200, 403, 403, 403, 403, 403, 403, L)),
    "admin_setup.upload": ("POST", "/admin/wilayah/unggah", row("pass", *["deny"] * 6, L)),
    "admin_setup.columns": ("POST", "/admin/wilayah/kolom", row("pass", *["deny"] * 6, L)),
    "admin_setup.confirm": ("POST", "/admin/wilayah/simpan", row("pass", *["deny"] * 6, L)),
    "admin_setup.cancel": ("POST", "/admin/wilayah/batal", row("pass", *["deny"] * 6, L)),
    "admin_setup.pick": ("POST", "/admin/wilayah/pilih", row("pass", *["deny"] * 6, L)),
    "admin_elections.index": ("GET", "/admin/pemilihan", row(200, 403, 403, 403, 403, 403, 403, L)),
    "admin_elections.create": ("POST", "/admin/pemilihan", row("pass", *["deny"] * 6, L)),
    "admin_elections.make_active": ("POST", "/admin/pemilihan/1/aktif", row("pass", *["deny"] * 6, L)),
    "admin_elections.browse": ("POST", "/admin/pemilihan/lihat", row("pass", *["deny"] * 6, L)),
    # Field pages.
    "field.home": ("GET", "/lapangan/", row(302, 302, 302, 302, 302, 302, 302, L)),
    "field.my_tps": ("GET", "/lapangan/tps", row(403, 403, 403, 302, 403, 403, 403, L)),
    "field.tps_page": ("GET", "/lapangan/tps/{tps}",
                       row(200, 200, (200, 403), (403, 200), 403, 403, 403, L)),
    "field.tps_deliveries_page": ("GET", "/lapangan/tps/{tps}/kiriman",
                                  row(200, 200, (200, 403), (403, 200), 403, 403, 403, L)),
    "field.tps_status": ("POST", "/lapangan/tps/{tps}/status",
                         row("pass", "pass", ("pass", "deny"), ("deny", "pass"), "deny", "deny", "deny", L)),
    "field.officers_present": ("POST", "/lapangan/tps/{tps}/petugas",
                               row("pass", "pass", ("pass", "deny"), ("deny", "pass"), "deny", "deny", "deny", L)),
    "field.tps_correct": ("POST", "/lapangan/tps/{tps}/koreksi",
                          row("pass", "pass", ("pass", "deny"), ("deny", "pass"), "deny", "deny", "deny", L)),
    "field.delivery_update": ("POST", "/lapangan/kiriman/{delivery}",
                              row("pass", "pass", ("pass", "deny"), ("deny", "pass"), ("pass", "deny"), "deny", "deny", L)),
    "field.delivery_correct": ("POST", "/lapangan/kiriman/{delivery}/koreksi",  # the TPS side only, not the courier
                               row("pass", "pass", ("pass", "deny"), ("deny", "pass"), "deny", "deny", "deny", L)),
    "field.route": ("GET", "/lapangan/rute", row(403, 403, 403, 403, 200, 403, 403, L)),
    "field.incident_new": ("GET", "/lapangan/kejadian/baru", row(200, 200, 200, 200, 200, 200, 403, L)),
    "field.tps_search": ("GET", "/lapangan/tps/cari?q=1", row(200, 200, 200, 200, 200, 200, 403, L)),
    "field.incident_report": ("POST", "/lapangan/kejadian",
                              row("pass", "pass", ("pass", "deny"), ("deny", "pass"), "pass", "pass", "deny", L)),
    "field.incident_detail": ("GET", "/lapangan/kejadian/{incident}",
                              row(200, 200, (200, 403), (403, 200), 403, (403, 200), 403, L)),
    "field.incident_step": ("POST", "/lapangan/kejadian/{incident}/status",
                            row("pass", "pass", ("pass", "deny"), "deny", "deny", ("deny", "pass"), "deny", L)),
    "field.incident_correct": ("POST", "/lapangan/kejadian/{incident}/koreksi",  # as closing: the station's
                               row("pass", "pass", ("pass", "deny"), "deny", "deny", ("deny", "pass"), "deny", L)),
    "field.incident_assign": ("POST", "/lapangan/kejadian/{incident}/pos",
                              row("pass", "pass", ("pass", "deny"), "deny", "deny", "deny", "deny", L)),
    "field.offline_manifest": ("GET", "/lapangan/offline.json", row(200, 403, 403, 200, 200, 200, 403, L)),
    "field.my_station": ("GET", "/lapangan/pos", row(403, 403, 403, 403, 403, 302, 403, L)),
    "field.station": ("GET", "/lapangan/pos/{station}", row(200, 200, (200, 403), 403, 403, (403, 200), 403, L)),
    "health_checks.index": ("GET", "/lapangan/kesehatan/", row(403, 403, 403, 403, 403, 200, 403, L)),
    "health_checks.screening": ("GET", "/lapangan/kesehatan/skrining/{person}",
                                row(200, 200, (200, 403), 403, 403, (403, 200), 403, L)),
    "health_checks.record_checkin": ("POST", "/lapangan/kesehatan/pemeriksaan/{checkin}",
                                     row("pass", "pass", ("pass", "deny"), "deny", "deny", ("deny", "pass"), "deny", L)),
    # The API, for browser sessions (read only; writes need a token).
    "api_wilayah.list_kecamatan": ("GET", "/api/v1/kecamatan", row(200, 200, 200, 200, 200, 200, 403, L)),
    "api_wilayah.get_kecamatan": ("GET", "/api/v1/kecamatan/{kec}", row(200, 200, 200, 200, 200, 200, 403, L)),
    "api_wilayah.list_kelurahan": ("GET", "/api/v1/kelurahan", row(200, 200, 200, 200, 200, 200, 403, L)),
    "api_tps.list_tps": ("GET", "/api/v1/tps?limit=500", row(200, 200, 200, 200, 200, 200, 403, L)),
    "api_tps.get_tps": ("GET", "/api/v1/tps/{tps}",
                        row(200, 200, (200, 403), (403, 200), (200, 403), (403, 200), 403, L)),
    "api_deliveries.list_deliveries": ("GET", "/api/v1/deliveries?limit=500", row(200, 200, 200, 200, 200, 403, 403, L)),
    "api_deliveries.get_delivery": ("GET", "/api/v1/deliveries/{delivery}",
                                    row(200, 200, (200, 403), (403, 200), (200, 403), 403, 403, L)),
    "api_incidents.list_incidents": ("GET", "/api/v1/incidents?limit=500", row(200, 200, 200, 200, 403, 200, 403, L)),
    "api_incidents.get_incident": ("GET", "/api/v1/incidents/{incident}",
                                   row(200, 200, (200, 403), (403, 200), 403, (403, 200), 403, L)),
    "api_health.list_medic_stations": ("GET", "/api/v1/medic-stations", row(200, 200, 200, 200, 403, 200, 403, L)),
    "api_health.list_health_facilities": ("GET", "/api/v1/health-facilities",
                                          row(200, 200, 200, 200, 403, 200, 403, L)),
    "api_summary.summary": ("GET", "/api/v1/summary?kecamatan_id={kec}",
                            row(200, 200, (200, 403), 403, 403, 403, 403, L)),
    # Accounts (admin/users.py): admins everywhere, a kecamatan coordinator for its kecamatan's field staff.
    "first_login.set_password": ("GET", "/akun/sandi-baru", row(302, 302, 302, 302, 302, 302, 302, L)),
    "users.index": ("GET", "/admin/pengguna", COORD),
    "users.readiness_csv": ("GET", "/admin/pengguna/kesiapan.csv?kecamatan={kec}", COORD_SCOPED),
    "users.create": ("GET", "/admin/pengguna/baru", row(200, 403, 403, 403, 403, 403, 403, L)),
    "users.edit": ("GET", "/admin/pengguna/{account}", row(200, 403, 403, 403, 403, 403, 403, L)),
    "users.provision": ("POST", "/admin/pengguna/provisi", ACCOUNT_MANAGERS),
    "users.reprint": ("POST", "/admin/pengguna/cetak-ulang", ACCOUNT_MANAGERS),
    "users.reset": ("POST", "/admin/pengguna/{account}/reset", ACCOUNT_MANAGERS),
    "users.revoke": ("POST", "/admin/pengguna/{account}/cabut", ACCOUNT_MANAGERS),
    "users.reactivate": ("POST", "/admin/pengguna/{account}/aktifkan", ACCOUNT_MANAGERS),
    # A card job is its requester's only (admin/card_jobs.py): anyone else's, or none, is a 404.
    "users.job_page": ("GET", "/admin/pengguna/tugas/2147483647", row(404, 404, 404, 403, 403, 403, 403, L)),
    "users.job_status": ("GET", "/admin/pengguna/tugas/2147483647.json", row(404, 404, 404, 403, 403, 403, 403, L)),
    "users.job_download": ("GET", "/admin/pengguna/tugas/2147483647/unduh", row(404, 404, 404, 403, 403, 403, 403, L)),
    # Partners' tokens and webhooks (admin/partners.py): admins only.
    "admin_partners.index": ("GET", "/admin/mitra", row(200, 403, 403, 403, 403, 403, 403, L)),
    "admin_partners.create_token": ("POST", "/admin/mitra/token", row("pass", *["deny"] * 6, L)),
    "admin_partners.revoke_token": ("POST", "/admin/mitra/token/2147483647/cabut", row("pass", *["deny"] * 6, L)),
    "admin_partners.create_webhook": ("POST", "/admin/mitra/webhook", row("pass", *["deny"] * 6, L)),
    "admin_partners.disable_webhook": ("POST", "/admin/mitra/webhook/2147483647/nonaktifkan",
                                       row("pass", *["deny"] * 6, L)),
    "api_tps.post_tps_status": ("POST", "/api/v1/tps/{tps}/status", row(*["deny"] * 7, L)),
    "api_tps.post_officers": ("POST", "/api/v1/tps/{tps}/officers", row(*["deny"] * 7, L)),
    "api_deliveries.post_delivery_step": ("POST", "/api/v1/deliveries/{delivery}/steps", row(*["deny"] * 7, L)),
    "api_incidents.post_incident": ("POST", "/api/v1/incidents", row(*["deny"] * 7, L)),
    "api_incidents.post_incident_step": ("POST", "/api/v1/incidents/{incident}/steps", row(*["deny"] * 7, L)),
}

# The API with a token bound to each user (every scope: the user's rights decide) and an agency token.
TOKEN_EXPECTED: dict[str, dict] = {
    # koordinator, camat-gerunggang, petugas, kurir, medis, agency (Dinkes, every scope)
    "api_tps.get_tps": dict(zip(TOKEN_USERS + ("agency",), (200, (200, 403), (403, 200), (200, 403), (403, 200), 200))),
    "api_deliveries.get_delivery": dict(zip(TOKEN_USERS + ("agency",),
                                            (200, (200, 403), (403, 200), (200, 403), 403, 200))),
    "api_incidents.get_incident": dict(zip(TOKEN_USERS + ("agency",),
                                           (200, (200, 403), (403, 200), 403, (403, 200), 200))),
    "api_summary.summary": dict(zip(TOKEN_USERS + ("agency",), (200, (200, 403), 403, 403, 403, 200))),
    "api_tps.post_officers": dict(zip(TOKEN_USERS + ("agency",),
                                      ("pass", ("pass", "deny"), ("deny", "pass"), "deny", "deny", "deny"))),
    "api_deliveries.post_delivery_step": dict(zip(TOKEN_USERS + ("agency",),
                                                  ("pass", ("pass", "deny"), ("deny", "pass"), ("pass", "deny"),
                                                   "deny", "deny"))),
    "api_incidents.post_incident_step": dict(zip(TOKEN_USERS + ("agency",),
                                                 ("pass", ("pass", "deny"), "deny", "deny", ("deny", "pass"),
                                                  "pass"))),
}

POST_BODIES = {
    "api_tps.post_officers": {"count": 7},
    "api_tps.post_tps_status": {"status": "open"},
    "api_deliveries.post_delivery_step": {"status": "dispatched"},
    "api_incidents.post_incident_step": {"status": "responding"},
    "api_incidents.post_incident": {"patient_kind": "voter", "complaint": "pusing", "triage": "hijau", "tps_id": 0},
    "field.incident_report": {"complaint": "pingsan", "patient_kind": "voter", "triage": "hijau", "tps_id": "{tps}"},
    "field.delivery_update": {"action": "dispatched"},
    "field.tps_status": {"to_status": "open"},
    "field.officers_present": {"officers_present": "7"},
    "field.tps_correct": {"reason": "salah ketik", "officers_present": "7"},
    "field.delivery_correct": {"to_status": "planned", "reason": "salah tekan"},
    "field.incident_step": {"to_status": "responding"},
    "field.incident_correct": {"reason": "salah tekan"},
    "field.incident_assign": {"medic_station_id": "{station}"},
    "health_checks.record_checkin": {"hasil": "baik"},
    "users.provision": {"kecamatan": "{kec}", "roles": "medic"},
    "users.reprint": {"kecamatan": "{kec}", "roles": "medic"},
}


@pytest.fixture()
def objects(session, actor_for):
    """Ids of the in-scope ("in") and out-of-scope ("out") object of each kind."""
    return build_objects(session, actor_for)


def build_objects(session, actor_for) -> dict:
    """The objects of the table, made on a seeded demo database (also by bench/probe.py's live sweep)."""
    users = {u.username: u for u in session.scalars(select(User))}
    kurir, medis, petugas = users["kurir"], users["medis"], users["petugas"]
    coordinator = actor_for("koordinator")
    delivery_in = session.scalar(select(Delivery).where(Delivery.courier_id == kurir.person_id,
                                                        Delivery.status == "planned", Delivery.kind == "meal")
                              .order_by(Delivery.id).limit(1))
    tps_in = session.get(Tps, delivery_in.tps_id)
    tps_out = session.get(Tps, petugas.tps_id)
    delivery_out = session.scalar(select(Delivery).where(Delivery.tps_id == tps_out.id, Delivery.status == "planned",
                                                         Delivery.kind == "meal")
                                  .order_by(Delivery.id).limit(1))
    incident_in = report_incident(session, coordinator, patient_kind="voter", complaint="pusing", triage="kuning",
                                  tps_id=tps_in.id, patient_name=NAME, notes=NAME)
    station_in = session.scalar(select(MedicStation).where(MedicStation.kecamatan_id == tps_in.kelurahan.kecamatan_id)
                                .order_by(MedicStation.id).limit(1))
    assign_medic_station(session, coordinator, incident_in.id, station_in.id)
    # The officer's incident goes by itself to the station nearest their TPS: the demo medic's.
    incident_out = report_incident(session, coordinator, patient_kind="voter", complaint="pusing", triage="kuning",
                                   tps_id=tps_out.id, patient_name=NAME, notes=OUT_NOTE)
    station_out = session.get(MedicStation, medis.medic_station_id)
    assert incident_out.medic_station_id == station_out.id
    assert station_in.id != station_out.id and covering_station(session, tps_in) != station_out.id
    assert tps_out.kelurahan.kecamatan_id != tps_in.kelurahan.kecamatan_id != station_out.kecamatan_id

    def officer_at(tps):
        return session.scalar(select(Person).where(Person.tps_id == tps.id, Person.role == PersonRole.KPPS_ANGGOTA)
                              .order_by(Person.id).limit(1))

    def checkin_of(person):
        return session.scalar(select(HealthCheckin).where(HealthCheckin.person_id == person.id).limit(1))

    person_in, person_out = officer_at(tps_in), officer_at(tps_out)
    for person in (person_in, person_out):  # every officer gets a check-in to tick off
        if checkin_of(person) is None:
            session.add(HealthCheckin(person_id=person.id, due_at=incident_in.reported_at + timedelta(hours=1)))
    session.flush()
    shift_in = session.scalar(select(RosterShift).where(RosterShift.medic_station_id == station_in.id).limit(1))
    # Field staff accounts that are not demo logins (a reset or a revoke must not lock a role of this table out):
    # a Gerunggang ketua KPPS (provisioned by the seed) and a Bukit Intan courier.
    account_in = session.scalar(select(User).where(User.username.like("tps-%")).order_by(User.username).limit(1))
    courier_out = session.scalar(select(Person).where(Person.role == PersonRole.COURIER,
                                                      Person.kecamatan_id == tps_out.kelurahan.kecamatan_id).limit(1))
    account_out = User(username="kurir-luar", full_name=courier_out.name, role="courier", person_id=courier_out.id,
                       kecamatan_id=courier_out.kecamatan_id, password_hash="!no-pin-yet", must_change_password=True)
    session.add(account_out)
    reports = {side: SituationReport(scope="kecamatan", area_id=tps.kelurahan.kecamatan_id, lang="id",
                                      hour=incident_in.reported_at.replace(minute=0, second=0, microsecond=0),
                                      computed_at=incident_in.reported_at, pdf=b"%PDF-1.4 test")
               for side, tps in (("in", tps_in), ("out", tps_out))}
    session.add_all(reports.values())
    session.flush()
    return {
        "in": dict(tps=tps_in.id, kec=tps_in.kelurahan.kecamatan_id, delivery=delivery_in.id, incident=incident_in.id,
                   station=station_in.id, person=person_in.id, checkin=checkin_of(person_in).id,
                   shift=shift_in.id, account=account_in.id, report=reports["in"].id),
        "out": dict(tps=tps_out.id, kec=tps_out.kelurahan.kecamatan_id, delivery=delivery_out.id,
                    incident=incident_out.id, station=station_out.id, person=person_out.id,
                    checkin=checkin_of(person_out).id, shift=shift_in.id, account=account_out.id,
                    report=reports["out"].id),
    }


def as_user(client, session, username):
    with client.session_transaction() as browser:
        browser.clear()
        if username:
            browser.update(new_session_values(session.scalar(select(User).where(User.username == username))))


def csrf_token(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)


def call(client, method, url, endpoint, values, headers=None):
    if method == "GET":
        return client.get(url, headers=headers)
    body = {k: (v.format(**values) if isinstance(v, str) else v) for k, v in POST_BODIES.get(endpoint, {}).items()}
    if url.startswith("/api/"):
        return client.post(url, json=body, headers=headers)
    return client.post(url, data={"csrf_token": csrf_token(client), **body}, headers=headers)


def judge(response, expected, api: bool) -> bool:
    status = response.status_code
    if expected == L:
        return status == 401 if api else status == 302 and "/login" in response.headers.get("Location", "")
    if expected == "deny":
        return status == 403
    if expected == "pass":
        return status not in (401, 403) and status < 500
    return status == expected


def expectation(value, side):
    return value[0 if side == "in" else 1] if isinstance(value, tuple) else value


def test_every_route_has_a_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(EXPECTED) == set(), "routes without an access rule in tests/test_access_matrix.py"
    assert set(EXPECTED) - endpoints == set()


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_route_by_role(client, session, objects, endpoint):
    method, template, expected = EXPECTED[endpoint]
    failures = []
    for role in ROLES:
        for side in ("in", "out"):
            if side == "out" and "{" not in template and not isinstance(expected[role], tuple):
                continue  # no object: one call is enough
            as_user(client, session, role)
            url = template.format(**objects[side])
            response = call(client, method, url, endpoint, objects[side])
            response.close()  # a streamed export ends its request context here, not at garbage collection
            want = expectation(expected[role], side)
            if not judge(response, want, url.startswith("/api/")):
                failures.append(f"{role or 'anonymous'} {side}: {method} {url} -> {response.status_code}, want {want}")
    assert not failures, "\n".join(failures)


@pytest.fixture()
def tokens(session):
    made = {}
    for username in TOKEN_USERS:
        _t, secret = create_token(session, Actor.system("test"), scopes=list(SCOPES), username=username)
        made[username] = {"Authorization": f"Bearer {secret}"}
    _t, secret = create_token(session, Actor.system("test"), scopes=list(SCOPES), agency="Dinkes")
    made["agency"] = {"Authorization": f"Bearer {secret}"}
    return made


@pytest.mark.parametrize("endpoint", sorted(TOKEN_EXPECTED))
def test_api_route_by_token(client, session, objects, tokens, endpoint):
    method, template, _sessions = EXPECTED[endpoint]
    failures = []
    as_user(client, session, None)
    for who, value in TOKEN_EXPECTED[endpoint].items():
        for side in ("in", "out"):
            url = template.format(**objects[side])
            response = call(client, method, url, endpoint, objects[side], headers=tokens[who])
            want = expectation(value, side)
            if not judge(response, want, True):
                failures.append(f"token {who} {side}: {method} {url} -> {response.status_code}, want {want}: "
                                f"{response.get_data(as_text=True)[:200]}")
    assert not failures, "\n".join(failures)


# Lists, GeoJSON and exports: never an out-of-scope row, never a personal field without the right.

@pytest.mark.parametrize("username", ["camat-gerunggang", "petugas", "kurir", "medis"])
def test_api_lists_hold_only_rows_in_scope(client, session, objects, username):
    as_user(client, session, username)
    inside, outside = objects["in"], objects["out"]
    own = {"camat-gerunggang": inside, "petugas": outside, "kurir": inside, "medis": outside}[username]
    other = outside if own is inside else inside
    for url, key in (("/api/v1/tps?limit=1000", "tps"), ("/api/v1/deliveries?limit=1000", "delivery"),
                     ("/api/v1/incidents?limit=1000", "incident")):
        response = client.get(url)
        if response.status_code == 403:
            continue
        ids = {item["id"] for item in response.get_json()["items"]}
        assert other[key] not in ids, (username, url)
        if username != "kurir" or key != "incident":
            assert own[key] in ids, (username, url)
    if username == "petugas":  # an officer's lists are exactly their TPS's
        assert {i["tps_id"] for i in client.get("/api/v1/deliveries?limit=1000").get_json()["items"]} == {outside["tps"]}


def test_personal_fields_only_with_the_right(client, session, objects, tokens):
    as_user(client, session, "medis")
    items = client.get("/api/v1/incidents?limit=1000").get_json()["items"]
    assert [i["patient_name"] for i in items if i["id"] == objects["out"]["incident"]] == [NAME]
    assert objects["in"]["incident"] not in {i["id"] for i in items}
    stations = client.get("/api/v1/medic-stations").get_json()["items"]
    assert {s["id"] for s in stations if "contact_phone" in s} == {objects["out"]["station"]}
    as_user(client, session, None)
    partner = create_token(session, Actor.system("test"), scopes=["read:incidents", "read:deliveries"],
                           agency="KPU")[1]
    headers = {"Authorization": f"Bearer {partner}"}
    body = client.get("/api/v1/incidents?limit=1000", headers=headers).get_data(as_text=True)
    assert NAME not in body and all(not set(PERSONAL) & set(i) for i in
                                    client.get("/api/v1/deliveries?limit=1000", headers=headers).get_json()["items"])
    agency = client.get(f"/api/v1/incidents/{objects['out']['incident']}", headers=tokens["agency"]).get_json()
    assert agency["patient_name"] == NAME


def test_map_and_exports_of_a_kecamatan_coordinator_stay_in_it(client, session, objects):
    as_user(client, session, "camat-gerunggang")
    incidents = client.get("/map/data/incidents.geojson").get_json()["features"]
    ids = {f["properties"]["id"] for f in incidents}
    assert objects["in"]["incident"] in ids and objects["out"]["incident"] not in ids
    tps = client.get("/map/data/tps.geojson?bbox=105,-3,107,-1&zoom=14").get_json()["features"]
    tps_ids = {f["properties"]["id"] for f in tps}
    assert objects["in"]["tps"] in tps_ids and objects["out"]["tps"] not in tps_ids
    stations = client.get("/map/data/stations.geojson").get_json()["features"]
    phones = {f["properties"]["id"] for f in stations if f["properties"]["phone"]}
    assert objects["in"]["station"] in phones and objects["out"]["station"] not in phones
    export = client.get("/dashboard/export/incidents.csv").get_data(as_text=True)
    assert NAME in export and OUT_NOTE not in export
    out_code = session.get(Tps, objects["out"]["tps"]).code
    assert out_code not in client.get("/dashboard/export/tps.csv").get_data(as_text=True)


# The write vocabulary, as a table: each named permission × role, on a Gerunggang target ("in", on the
# courier's route, the Gerunggang station) and on the officer's Bukit Intan TPS ("out", the medic's station).
WRITE_TABLE = {
    # admin, koordinator, camat-gerunggang, petugas, kurir, medis, mitra (a partner user, no scopes)
    "TPS_POST_STATUS": (True, True, (True, False), (False, True), False, False, False),
    "DELIVERY_MOVE": (True, True, (True, False), (False, True), (True, False), False, False),
    "DELIVERY_RECEIVE": (True, True, (True, False), (False, True), False, False, False),  # not the courier
    "INCIDENT_REPORT": (True, True, (True, False), (False, True), True, True, False),
    "INCIDENT_CARE": (True, True, (True, False), False, False, (False, True), False),
    "INCIDENT_ASSIGN": (True, True, (True, False), False, False, False, False),
    "MEAL_PLAN": (True, True, (True, False), False, False, False, False),
    "ROSTER_EDIT": (True, True, (True, False), False, False, False, False),
    "OFFICER_SCREEN": (True, True, (True, False), False, False, (False, True), False),
    "IMPORT_TPS": (True, True, (True, False), False, False, False, False),  # row by row, within the area
    "IMPORT_OFFICERS": (True, True, (True, False), False, False, False, False),
    "AREA_SETUP": (True, False, False, False, False, False, False),
    "TOKEN_ADMIN": (True, False, False, False, False, False, False),
    # Targets without an account role: only admins (tests/test_field_accounts.py covers the account targets).
    "ACCOUNT_PROVISION": (True, False, False, False, False, False, False),
    "ACCOUNT_RESET": (True, False, False, False, False, False, False),
    "ACCOUNT_REVOKE": (True, False, False, False, False, False, False),
    "ACCOUNT_ADMIN": (True, False, False, False, False, False, False),
    "STATION_VIEW": (True, True, (True, False), False, False, (False, True), False),
    # Page (read) permissions: who opens the pages; which rows, the read filters (tests above).
    "FIGURES_VIEW": (True, True, True, False, False, False, False),
    "ACCOUNTS_VIEW": (True, True, True, False, False, False, False),
    "TPS_VIEW": (True, True, True, True, False, False, False),
    "INCIDENT_VIEW": (True, True, True, True, False, True, False),
    "OWN_STATION_VIEW": (True, False, False, False, False, True, False),
    "ROUTE_VIEW": (True, False, False, False, True, False, False),
    "OFFLINE_PAGES": (True, False, False, True, True, True, False),
    "PUSH_SUBSCRIBE": (True, True, True, True, True, True, False),
    "SMS_LOG_VIEW": (True, False, False, False, False, False, False),
}


@pytest.mark.parametrize("name", sorted(WRITE_TABLE))
def test_write_permission_table(session, actor_for, objects, name):
    from logistics.permissions import Permission, Target, may

    assert set(WRITE_TABLE) == {p.name for p in Permission}
    courier_id = session.get(Delivery, objects["in"]["delivery"]).courier_id
    targets = {side: Target(kecamatan_id=objects[side]["kec"], tps_id=objects[side]["tps"],
                            courier_id=courier_id if side == "in" else None,
                            medic_station_id=objects[side]["station"]) for side in ("in", "out")}
    for username, want in zip(ROLES[:-1], WRITE_TABLE[name]):
        actor = actor_for(username)
        for side in ("in", "out"):
            assert may(actor, Permission[name], targets[side]) is expectation(want, side), (name, username, side)


def test_officers_seen_by_role(session, actor_for, objects):
    """The read policy on people (officers' health pages): a kecamatan's, a station's covered TPS."""
    from logistics.permissions.read_scope import can_see

    inside, outside = session.get(Person, objects["in"]["person"]), session.get(Person, objects["out"]["person"])
    seen = {u: (can_see(session, actor_for(u), inside), can_see(session, actor_for(u), outside))
            for u in ROLES[:-1]}
    assert seen == {"admin": (True, True), "koordinator": (True, True), "camat-gerunggang": (True, False),
                    "petugas": (False, False), "kurir": (False, False), "medis": (False, True),
                    "mitra": (False, False)}
