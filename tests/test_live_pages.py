"""Pages that stay current (siaga/live.py): an unchanged page answers its poll with a small 304, a change
committed by a service makes it a 200 with a new tag, and the tag follows what the page shows."""
import re

from sqlalchemy import select

from logistics.models import (
    Delivery, DeliveryKind, DeliveryStatus, HealthFacility, IncidentStatus, MedicStation, Role, User,
)
from logistics.services.accounts import revoke_sessions
from logistics.services.data_versions import scoped_names
from logistics.services.deliveries import advance_delivery
from logistics.services.incidents import advance_incident, assign_medic_station, report_incident
from tests.factories import tps_not_covered_by, save
from tests.field_client import log_in_as

MAX_IDLE_BYTES = 1024  # the whole check on the wire: request line and headers, response headers, no body


def etag_of(response) -> str:
    tag = response.headers["ETag"]
    assert tag.strip('"') in response.get_data(as_text=True)  # the page carries it for its first poll
    return tag


def poll(client, url: str, tag: str):
    return client.get(url, headers={"If-None-Match": tag, "Accept": "text/html"})


def wire_bytes(client, url: str, tag: str, response) -> int:
    """Bytes of one check as a phone would send and receive them over HTTP/1.1 (headers counted)."""
    cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
    request = (f"GET {url} HTTP/1.1\r\nHost: siaga.example.go.id\r\n"
               "User-Agent: Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/124.0.0.0 Mobile Safari/537.36\r\nAccept: text/html\r\nAccept-Encoding: gzip, deflate, br\r\n"
               "Accept-Language: id-ID,id;q=0.9\r\nConnection: keep-alive\r\n"
               f"If-None-Match: {tag}\r\nCookie: {cookie}\r\n\r\n")
    head = "HTTP/1.1 304 NOT MODIFIED\r\n" + "".join(f"{k}: {v}\r\n" for k, v in response.headers.items())
    head += "Date: Wed, 27 Aug 2025 07:00:00 GMT\r\nServer: gunicorn\r\n\r\n"
    return len(request.encode()) + len(head.encode()) + len(response.get_data())


def medic_station_id(session) -> int:
    return session.scalar(select(User.medic_station_id).where(User.username == "medis"))


def test_station_page_is_304_until_an_incident_is_reported_there(client, session, actor_for):
    log_in_as(client, session, "medis")
    url = f"/lapangan/pos/{medic_station_id(session)}"
    first = client.get(url)
    assert first.status_code == 200 and 'data-live="incidents"' in first.get_data(as_text=True)
    tag = etag_of(first)

    unchanged = poll(client, url, tag)
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert "Set-Cookie" not in unchanged.headers and "Content-Security-Policy" not in unchanged.headers
    size = wire_bytes(client, url, tag, unchanged)
    print(f"idle check: {size} bytes", dict(unchanged.headers))
    assert size <= MAX_IDLE_BYTES, size

    petugas = actor_for("petugas")
    incident = report_incident(session, petugas, patient_kind="officer", complaint="pingsan", triage="merah",
                               tps_id=petugas.tps_id)
    assert incident.medic_station_id == medic_station_id(session)
    changed = poll(client, url, tag)
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    page = changed.get_data(as_text=True)
    assert f'id="kejadian-{incident.id}"' in page and "card incident alarm" in page
    assert poll(client, url, changed.headers["ETag"]).status_code == 304


def test_a_change_elsewhere_leaves_the_page_unchanged(client, session, actor_for):
    """Scoped versions: an incident at another station does not make this station's page download again."""
    log_in_as(client, session, "medis")
    mine = medic_station_id(session)
    url = f"/lapangan/pos/{mine}"
    tag = client.get(url).headers["ETag"]
    coordinator = actor_for("koordinator")
    incident = report_incident(session, coordinator, patient_kind="voter", complaint="pusing/hipertensi",
                               triage="hijau", tps_id=tps_not_covered_by(session, mine).id)
    assert incident.medic_station_id != mine
    assert poll(client, url, tag).status_code == 304
    # Handed to this station: both stations' counters move, and this page changes.
    assign_medic_station(session, coordinator, incident.id, mine)
    assert poll(client, url, tag).status_code == 200


def test_tps_page_says_meal_arrived_as_soon_as_the_courier_marks_it(client, session, actor_for):
    user = log_in_as(client, session, "petugas")
    url = f"/lapangan/tps/{user.tps_id}"
    first = client.get(url)
    tag = etag_of(first)
    assert "Makanan sampai" not in first.get_data(as_text=True)
    meal = session.scalar(select(Delivery).where(Delivery.tps_id == user.tps_id, Delivery.kind == DeliveryKind.MEAL,
                                                 Delivery.courier_id.is_not(None),
                                                 Delivery.status == DeliveryStatus.PLANNED)
                          .order_by(Delivery.planned_at))
    courier = session.scalar(select(User).where(User.person_id == meal.courier_id))
    if courier is None:  # the demo's courier logins cover Gerunggang; any courier account acts for its person
        courier = session.scalar(select(User).where(User.role == Role.COURIER))
        meal.courier_id = courier.person_id
        save(session)
        tag = client.get(url).headers["ETag"]
    kurir = actor_for(courier.username)
    advance_delivery(session, kurir, meal.id, DeliveryStatus.DISPATCHED)
    after_dispatch = poll(client, url, tag)
    assert after_dispatch.status_code == 200 and "Makanan sampai" not in after_dispatch.get_data(as_text=True)
    tag = after_dispatch.headers["ETag"]
    advance_delivery(session, kurir, meal.id, DeliveryStatus.ARRIVED)
    arrived = poll(client, url, tag)
    assert arrived.status_code == 200
    page = arrived.get_data(as_text=True)
    assert "Makanan sampai — konfirmasi" in page and f"#kiriman-{meal.id}" in page


def test_officer_sees_station_phone_guidance_and_live_status_after_reporting(client, session, actor_for):
    user = log_in_as(client, session, "petugas")
    petugas = actor_for("petugas")
    incident = report_incident(session, petugas, patient_kind="officer", complaint="nyeri dada", triage="merah",
                               tps_id=user.tps_id)
    station = session.get(MedicStation, incident.medic_station_id)
    url = f"/lapangan/kejadian/{incident.id}"
    first = client.get(url)
    page = first.get_data(as_text=True)
    assert station.contact_phone and f'href="tel:{station.contact_phone.replace(" ", "")}"' in page
    assert "Sambil menunggu petugas medis" in page and "posisi pemulihan" in page
    tps_page = client.get(f"/lapangan/tps/{user.tps_id}").get_data(as_text=True)
    assert f'href="tel:{station.contact_phone.replace(" ", "")}"' in tps_page

    medic = actor_for("medis")
    advance_incident(session, medic, incident.id, IncidentStatus.RESPONDING)
    responding = poll(client, url, first.headers["ETag"])
    assert responding.status_code == 200 and "status-responding" in responding.get_data(as_text=True)
    facility_id = session.scalar(select(HealthFacility.id).order_by(HealthFacility.id))
    referred = advance_incident(session, medic, incident.id, IncidentStatus.REFERRED, referral_facility_id=facility_id)
    page = poll(client, url, responding.headers["ETag"]).get_data(as_text=True)
    assert referred.referral_facility.name in page and "Sambil menunggu" not in page


def test_session_version_and_language_change_the_tag(client, session, actor_for):
    user = log_in_as(client, session, "medis")
    url = f"/lapangan/pos/{medic_station_id(session)}"
    tag = client.get(url).headers["ETag"]
    assert client.get(url + "?lang=en", headers={"If-None-Match": tag}).status_code == 200
    revoke_sessions(session, actor_for("admin"), user.id)
    log_in_as(client, session, "medis")  # a new login: a new session version
    assert poll(client, url, tag).status_code == 200


def test_an_unknown_rows_write_moves_every_scoped_reader(session):
    """Core writes that do not say which rows (`touch` with a table's name) reach the scoped counters."""
    from logistics.queries.data_versions import versions
    from logistics.services.data_versions import touch
    from logistics.services.unit_of_work import UnitOfWork

    names = scoped_names("delivery", "c", 123456)
    before = versions(session, *names)
    with UnitOfWork(session) as uow:
        touch(session, "delivery")
        uow.commit()
    assert versions(session, *names) != before


def test_dashboard_is_live_and_304_when_nothing_changed(client, session, actor_for):
    log_in_as(client, session, "koordinator")
    first = client.get("/dashboard")
    tag = etag_of(first)
    assert 'data-live="dashboard"' in first.get_data(as_text=True)
    again = poll(client, "/dashboard", tag)
    # The tag holds the election clock's minute: a poll across a minute boundary is a 200, once.
    assert again.status_code in (200, 304)
    tag = again.headers["ETag"]
    assert poll(client, "/dashboard", tag).status_code in (200, 304)
    petugas = actor_for("petugas")
    report_incident(session, petugas, patient_kind="voter", complaint="pingsan", triage="merah", tps_id=petugas.tps_id)
    assert poll(client, "/dashboard", tag).status_code == 200


def test_live_page_script_and_regions_are_on_every_live_page(client, session):
    user = log_in_as(client, session, "petugas")
    for url in (f"/lapangan/tps/{user.tps_id}", f"/lapangan/tps/{user.tps_id}/kiriman"):
        page = client.get(url).get_data(as_text=True)
        assert "/static/js/live.js" in page and re.search(r'data-live="\w+"', page), url
    log_in_as(client, session, "kurir")
    page = client.get("/lapangan/rute").get_data(as_text=True)
    assert 'data-live="route"' in page and "data-live-etag" in page


def test_wiping_the_drill_moves_the_open_field_pages(client, session):
    """The drill's wipe resets rows with bulk writes: every live field page must download itself again."""
    from logistics.drill.runner import wipe_drill

    user = log_in_as(client, session, "petugas")
    url = f"/lapangan/tps/{user.tps_id}"
    tag = client.get(url).headers["ETag"]
    wipe_drill(session)
    assert poll(client, url, tag).status_code == 200


def test_field_pages_state_the_interval_of_a_phone_that_takes_web_push(app, client, session, monkeypatch):
    """A live field page states LIVE_POLL_PUSHED_S (<body data-live-pushed-s>), which live.js uses while the
    browser holds a push subscription the server knows; the coordinators' pages and pages that are not live
    state none (they keep checking every 5 s)."""
    pushed = re.compile(r'<body [^>]*data-live-pushed-s="([^"]*)"')
    user = log_in_as(client, session, "petugas")
    for url in (f"/lapangan/tps/{user.tps_id}", f"/lapangan/tps/{user.tps_id}/kiriman"):
        found = pushed.search(client.get(url).get_data(as_text=True))
        assert found and found[1] == "30", url
    monkeypatch.setitem(app.config, "LIVE_POLL_PUSHED_S", 45.5)
    assert pushed.search(client.get(f"/lapangan/tps/{user.tps_id}").get_data(as_text=True))[1] == "45.5"
    assert not pushed.search(client.get("/lapangan/kejadian/baru").get_data(as_text=True))  # not a live page
    log_in_as(client, session, "medis")
    assert pushed.search(client.get(f"/lapangan/pos/{medic_station_id(session)}").get_data(as_text=True))[1] == "45.5"
    log_in_as(client, session, "koordinator")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "data-live-etag" in dashboard and not pushed.search(dashboard)
