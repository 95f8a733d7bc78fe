"""The field pages for TPS officers and couriers: each role's home, posts, receipts, and 403 outside scope."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from logistics.models import AuditEntry, Delivery, DeliveryStatus, MealRound, Tps, TpsStatus
from logistics.rules.lifecycles.delivery import GRACE
from logistics.rules.time_zones import WIB as DEMO_ZONE
WIB = DEMO_ZONE.tz  # the test city (Pangkalpinang) keeps WIB
from logistics.services.deliveries import advance_delivery
from tests.factories import meal, other_tps
from tests.field_client import log_in_as, post_form


@pytest.mark.parametrize("username, home", [
    ("petugas", "/lapangan/tps"), ("kurir", "/lapangan/rute"), ("medis", "/lapangan/pos"),
])
def test_each_field_role_lands_on_its_own_page(client, session, username, home):
    log_in_as(client, session, username)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith(home)
    assert client.get(home, follow_redirects=True).status_code == 200


def test_officer_page_shows_the_tps_and_its_kelurahan(client, session):
    user = log_in_as(client, session, "petugas")
    page = client.get(f"/lapangan/tps/{user.tps_id}").get_data(as_text=True)
    assert "TPS 001 · Semabung Lama" in page and "Bukit Intan" in page
    assert "TPS dibuka" in page and "Linimasa hari ini" in page
    client.get("/bahasa/en")
    assert "Today&#39;s timeline" in client.get(f"/lapangan/tps/{user.tps_id}").get_data(as_text=True)


def test_officer_posts_the_day_with_wib_times(client, session):
    user = log_in_as(client, session, "petugas")
    url = f"/lapangan/tps/{user.tps_id}"
    response = post_form(client, url + "/status", {"to_status": "open"})
    assert response.status_code == 303
    tps = session.get(Tps, user.tps_id)
    session.refresh(tps)
    assert tps.status == TpsStatus.OPEN
    page = client.get(url).get_data(as_text=True)
    assert "Status tercatat: Dibuka." in page
    assert f"<time>{tps.opened_at.astimezone(WIB):%H:%M} WIB</time>" in page


def test_officer_count_below_quorum_warns(client, session):
    user = log_in_as(client, session, "petugas")
    response = post_form(client, f"/lapangan/tps/{user.tps_id}/petugas", {"officers_present": "3"}, json=True)
    assert response.status_code == 200
    assert "Di bawah kuorum" in response.get_json()["message"]
    page = client.get(f"/lapangan/tps/{user.tps_id}").get_data(as_text=True)
    assert "minimal 4" in page


@pytest.mark.parametrize("value", ["", "tiga", "-1", "999", "1e9"])
def test_bad_officer_count_is_a_message_per_field_not_a_500(client, session, value):
    user = log_in_as(client, session, "petugas")
    response = post_form(client, f"/lapangan/tps/{user.tps_id}/petugas", {"officers_present": value}, json=True)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["officers_present"]


def test_correction_from_the_page_is_audited(client, session):
    user = log_in_as(client, session, "petugas")
    url = f"/lapangan/tps/{user.tps_id}"
    post_form(client, url + "/status", {"to_status": "counted", "confirm": "1", "reason": "lupa melapor"})
    missing_reason = post_form(client, url + "/koreksi", {"to_status": "open", "reason": ""}, json=True)
    assert missing_reason.status_code == 422 and "reason" in missing_reason.get_json()["error"]["fields"]
    response = post_form(client, url + "/koreksi", {"to_status": "open", "reason": "salah tekan"})
    assert response.status_code == 303
    assert session.get(Tps, user.tps_id).status == TpsStatus.OPEN
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "tps.corrected", AuditEntry.entity_id == user.tps_id)) == 1


def test_lunch_received_defaults_to_the_plan(client, session):
    user = log_in_as(client, session, "petugas")
    lunch = meal(session, user.tps_id)
    page = client.get(f"/lapangan/tps/{user.tps_id}/kiriman").get_data(as_text=True)
    assert "Makan siang" in page and f'value="{lunch.quantity_planned}"' in page
    response = post_form(client, f"/lapangan/kiriman/{lunch.id}",
                         {"action": "delivered", "quantity_received": "", "received_by": "Siti"})
    assert response.status_code == 303
    session.refresh(lunch)
    assert lunch.status == DeliveryStatus.DELIVERED and lunch.quantity_received == lunch.quantity_planned
    assert lunch.received_by == "Siti"
    page = client.get(f"/lapangan/tps/{user.tps_id}/kiriman").get_data(as_text=True)
    assert f"Tiba {lunch.delivered_at.astimezone(WIB):%H:%M} WIB · {lunch.quantity_planned} porsi · Siti" in page


def test_short_receipt_is_flagged_to_the_officer(client, session):
    user = log_in_as(client, session, "petugas")
    lunch = meal(session, user.tps_id)
    not_short = post_form(client, f"/lapangan/kiriman/{lunch.id}",
                          {"action": "short", "quantity_received": str(lunch.quantity_planned)}, json=True)
    assert not_short.status_code == 422 and "quantity_received" in not_short.get_json()["error"]["fields"]
    response = post_form(client, f"/lapangan/kiriman/{lunch.id}",
                         {"action": "short", "quantity_received": "5", "received_by": "Siti"}, json=True)
    assert response.status_code == 200
    assert f"Kurang {lunch.quantity_planned - 5} porsi" in response.get_json()["message"]
    page = client.get(f"/lapangan/tps/{user.tps_id}/kiriman").get_data(as_text=True)
    assert f"Kurang {lunch.quantity_planned - 5} porsi dari jumlah orang di TPS" in page


def test_no_show_is_recorded_as_failed(client, session):
    user = log_in_as(client, session, "petugas")
    dinner = meal(session, user.tps_id, MealRound.MALAM)
    first = post_form(client, f"/lapangan/kiriman/{dinner.id}", {"action": "failed", "reason": "tidak datang"})
    page = first.get_data(as_text=True)  # without JavaScript the server asks first
    assert first.status_code == 200 and "Ya, tidak datang" in page and 'name="confirm" value="1"' in page
    session.refresh(dinner)
    assert dinner.status == DeliveryStatus.PLANNED
    post_form(client, f"/lapangan/kiriman/{dinner.id}", {"action": "failed", "reason": "tidak datang", "confirm": "1"})
    session.refresh(dinner)
    assert dinner.status == DeliveryStatus.FAILED and dinner.failure_reason == "tidak datang"


def test_same_receipt_sent_several_times_is_recorded_once(client, session):
    user = log_in_as(client, session, "petugas")
    lunch = meal(session, user.tps_id)
    answers = [post_form(client, f"/lapangan/kiriman/{lunch.id}", {"action": "delivered", "received_by": "Siti"},
                         key="receipt-key-0001", json=True) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[2].headers["Idempotent-Replayed"] == "true"
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "delivery.delivered", AuditEntry.entity_id == lunch.id)) == 1


def test_courier_route_and_steps(client, session):
    user = log_in_as(client, session, "kurir")
    page = client.get("/lapangan/rute").get_data(as_text=True)
    first = session.scalars(select(Delivery).join(Tps).where(Delivery.courier_id == user.person_id)
                            .order_by(Delivery.planned_at, Tps.code)).first()
    assert f'id="kiriman-{first.id}"' in page and "06:00 WIB" in page
    assert post_form(client, f"/lapangan/kiriman/{first.id}", {"action": "dispatched"}).status_code == 303
    # The receipt is the TPS's: the courier may not confirm it, only mark the meal there.
    assert post_form(client, f"/lapangan/kiriman/{first.id}", {"action": "delivered"}).status_code == 403
    assert post_form(client, f"/lapangan/kiriman/{first.id}", {"action": "arrived"}).status_code == 303
    session.refresh(first)
    assert first.status == DeliveryStatus.ARRIVED and first.dispatched_at <= first.arrived_at
    assert first.quantity_received is None and first.received_by is None
    page = client.get("/lapangan/rute").get_data(as_text=True)
    assert f"Sudah sampai {first.arrived_at.astimezone(WIB):%H:%M} WIB" in page and "WIB WIB" not in page


def test_courier_sees_one_round_at_a_time_the_first_unfinished_by_default(client, session, actor_for):
    user = log_in_as(client, session, "kurir")
    stops = session.scalars(select(Delivery).join(Tps).where(Delivery.courier_id == user.person_id)
                            .order_by(Delivery.planned_at, Tps.code)).all()
    breakfast = [d for d in stops if d.planned_at == stops[0].planned_at]
    lunch = [d for d in stops if d.meal_round == MealRound.SIANG]
    page = client.get("/lapangan/rute").get_data(as_text=True)
    assert page.count('class="card delivery"') == len(breakfast)
    assert f"0 dari {len(stops)} perhentian selesai" in page and f"06:00 WIB · 0/{len(breakfast)}" in page
    kurir = actor_for("kurir")
    for delivery in breakfast:
        advance_delivery(session, kurir, delivery.id, DeliveryStatus.ARRIVED)
    page = client.get("/lapangan/rute").get_data(as_text=True)
    assert f'id="kiriman-{lunch[0].id}"' in page and f'id="kiriman-{breakfast[0].id}"' not in page
    assert f"{len(breakfast)} dari {len(stops)} perhentian selesai" in page
    again = client.get("/lapangan/rute", query_string={"putaran": breakfast[0].planned_at.isoformat()})
    assert f'id="kiriman-{breakfast[0].id}"' in again.get_data(as_text=True)


# --- 403 outside one's own scope, for every role -------------------------------------------------

def test_officer_cannot_reach_another_tps(client, session):
    user = log_in_as(client, session, "petugas")
    elsewhere = other_tps(session, user.tps_id)
    lunch = meal(session, elsewhere.id)
    assert client.get(f"/lapangan/tps/{elsewhere.id}").status_code == 403
    assert client.get(f"/lapangan/tps/{elsewhere.id}/kiriman").status_code == 403
    for path, data in ((f"/lapangan/tps/{elsewhere.id}/status", {"to_status": "open"}),
                       (f"/lapangan/tps/{elsewhere.id}/petugas", {"officers_present": "5"}),
                       (f"/lapangan/tps/{elsewhere.id}/koreksi", {"to_status": "setup", "reason": "x"}),
                       (f"/lapangan/kiriman/{lunch.id}", {"action": "delivered"})):
        assert post_form(client, path, data).status_code == 403, path
    session.refresh(elsewhere)
    assert elsewhere.status == TpsStatus.SETUP


def test_courier_cannot_move_another_couriers_stop(client, session):
    user = log_in_as(client, session, "kurir")
    theirs = session.scalars(select(Delivery).where(Delivery.courier_id.is_not(None),
                                                    Delivery.courier_id != user.person_id)).first()
    for action in ("dispatched", "arrived", "delivered", "short", "failed"):
        assert post_form(client, f"/lapangan/kiriman/{theirs.id}", {"action": action}).status_code == 403
    assert client.get(f"/lapangan/tps/{theirs.tps_id}").status_code == 403
    session.refresh(theirs)
    assert theirs.status == DeliveryStatus.PLANNED


@pytest.mark.parametrize("path", ["/lapangan/tps", "/lapangan/tps/1", "/lapangan/tps/1/kiriman", "/lapangan/rute",
                                  "/lapangan/pos", "/lapangan/kejadian/baru"])
def test_partner_gets_403_on_field_pages(client, session, path):
    log_in_as(client, session, "mitra")
    assert client.get(path).status_code == 403


def test_field_pages_need_a_login(client):
    response = client.get("/lapangan/tps")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_post_without_csrf_is_refused(client, session):
    user = log_in_as(client, session, "petugas")
    response = client.post(f"/lapangan/tps/{user.tps_id}/status", data={"to_status": "open"})
    assert response.status_code == 400
    assert session.get(Tps, user.tps_id).status == TpsStatus.SETUP


def test_courier_route_follows_the_tour_with_etas(app, client, session, actor_for):
    kurir = actor_for("kurir")
    tour = sorted(session.scalars(select(Delivery).where(Delivery.courier_id == kurir.person_id,
                                                         Delivery.meal_round == MealRound.PAGI)),
                  key=lambda d: d.route_seq)
    log_in_as(client, session, "kurir")
    # Before the round: each stop's stored estimate.
    app.config["ELECTION_CLOCK"] = (tour[0].eta_at - timedelta(hours=1)).isoformat()
    try:
        page = client.get("/lapangan/rute").get_data(as_text=True)
        positions = [page.index(f'id="kiriman-{d.id}"') for d in tour]
        assert positions == sorted(positions), "stops are shown in tour order"
        first_eta = tour[0].eta_at.astimezone(WIB).strftime("%H:%M")
        assert f"Perkiraan tiba <strong>{first_eta} WIB</strong>" in page
        # Past the estimates, nothing departed: no stop shows a time already gone; past the deadline
        # (planned + the late rule's grace) it says late.
        later = max(d.eta_at for d in tour) + timedelta(minutes=1)
        app.config["ELECTION_CLOCK"] = later.isoformat()
        page = client.get("/lapangan/rute").get_data(as_text=True)
        for d in tour:
            card = page[page.index(f'id="kiriman-{d.id}"'):]
            card = card[:card.index("</form>")]
            if d.eta_at < later - timedelta(minutes=1):
                assert f"<strong>{d.eta_at.astimezone(WIB):%H:%M} WIB</strong>" not in card
            assert f"<strong>{later.astimezone(WIB):%H:%M} WIB</strong>" in card
            assert ("Terlambat" in card) == (later > d.planned_at + GRACE)
    finally:
        app.config["ELECTION_CLOCK"] = ""


def test_logistics_receipt_records_damaged_items(client, session, actor_for):
    petugas = actor_for("petugas")
    ink = session.scalar(select(Delivery).where(Delivery.tps_id == petugas.tps_id, Delivery.item == "tinta"))
    log_in_as(client, session, "petugas")
    page = client.get(f"/lapangan/tps/{petugas.tps_id}/kiriman").get_data(as_text=True)
    assert f'id="x{ink.id}" name="quantity_damaged"' in page
    response = post_form(client, f"/lapangan/kiriman/{ink.id}",
                         {"action": "delivered", "quantity_received": "2", "quantity_damaged": "1"}, json=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (ink.quantity_received, ink.quantity_damaged) == (2, 1)
    bad = post_form(client, f"/lapangan/kiriman/{ink.id}", {"action": "delivered", "quantity_damaged": "9"}, json=True)
    assert bad.status_code in (409, 422)


def test_officer_page_statements_do_not_grow_with_its_incidents(app, client, session, actor_for):
    """The TPS page loads the incidents it shows in a fixed number of statements: each incident's station and
    whether its phone may be shown come with the list, not one query per incident (the page's cost would
    follow the day's incidents)."""
    from sqlalchemy import event

    from logistics.models import MedicStation
    from logistics.services.incidents import assign_medic_station, report_incident
    from siaga.extensions import db

    user = log_in_as(client, session, "petugas")
    officer, coordinator = actor_for("petugas"), actor_for("koordinator")
    with app.app_context():
        engine = db.engine

    def incident_statements() -> list[str]:
        seen = []

        def count(_conn, _cursor, statement, *_rest):
            if "FROM app_user" not in statement and any(
                    table in statement for table in ("health_incident", "medic_station", "health_facility")):
                seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/lapangan/tps/{user.tps_id}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return seen

    def reported(station_id: int) -> None:
        incident = report_incident(session, officer, patient_kind="officer", complaint="pusing", triage="kuning",
                                   tps_id=user.tps_id)
        assign_medic_station(session, coordinator, incident.id, station_id)

    stations = session.scalars(select(MedicStation.id).where(MedicStation.contact_phone.is_not(None))
                               .order_by(MedicStation.id).limit(4)).all()
    assert len(stations) == 4
    reported(stations[0])
    one = incident_statements()
    for station_id in stations[1:]:
        reported(station_id)
    assert len(incident_statements()) == len(one) == 2  # the incidents with their stations; the phones seen


def page_statements(app, client, url: str, headers: dict | None = None) -> tuple[object, list[str]]:
    """The answer to one GET and the statements it ran (transaction control left out)."""
    from sqlalchemy import event

    from siaga.extensions import db

    with app.app_context():
        engine = db.engine
    seen = []

    def note(_conn, _cursor, statement, *_rest):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")):
            seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        response = client.get(url, headers=headers or {})
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return response, seen


@pytest.fixture()
def kept_per_process():
    """Settings and zones kept per process, as in production (logistics/queries/kept.py)."""
    from logistics.queries.kept import keep

    keep(True)
    try:
        yield
    finally:
        keep(False)


def test_officer_page_statements_are_held(app, client, session, kept_per_process):
    """The officer's TPS page (the phone's most read page) in five statements of its own, beside what every
    request reads (the active election, the user): the data versions (its ETag; the settings and zones are
    kept under them), the TPS through the read filter, its incidents of the day, its arrived deliveries, and
    the user's push subscriptions (siaga/push.py `push_known`: whether the browser's is still held; a full
    answer only, a 304 reads none of these). The election's settings and the zones in use are read once per
    process and version, not per answer."""
    user = log_in_as(client, session, "petugas")
    url = f"/lapangan/tps/{user.tps_id}"
    first, _ = page_statements(app, client, url)
    assert first.status_code == 200
    again, statements = page_statements(app, client, url)
    assert again.status_code == 200
    tables = [s.split(" FROM ", 1)[1].split()[0] for s in statements]
    own = [t for t in tables if t not in ("election", "app_user")]  # every request's (a test's session keeps them)
    assert own == ["data_version", "tps", "health_incident", "delivery", "push_subscription"], statements


def test_officer_page_follows_a_changed_setting_under_the_kept_values(app, client, session, actor_for,
                                                                      kept_per_process):
    """The quorum kept per process is the one stored: an admin's change is a new page (a poll with the former
    tag is a 200 with the new warning), and the change is read once, then kept again."""
    from logistics.services.settings import update_settings
    from logistics.services.tps_status import report_officers_present

    petugas = actor_for("petugas")
    user = log_in_as(client, session, "petugas")
    report_officers_present(session, petugas, user.tps_id, 3)
    url = f"/lapangan/tps/{user.tps_id}"
    before = client.get(url)
    assert "minimal 4" in before.get_data(as_text=True)
    tag = before.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304

    update_settings(session, actor_for("admin"), {"quorum": "3"})
    after, statements = page_statements(app, client, url, {"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["ETag"] != tag
    assert "Di bawah kuorum" not in after.get_data(as_text=True)
    assert any("FROM election_setting" in s for s in statements)
    _, statements = page_statements(app, client, url)
    assert not any("FROM election_setting" in s or "FROM kota" in s for s in statements)

    update_settings(session, actor_for("admin"), {"quorum": "5"})
    assert "minimal 5" in client.get(url).get_data(as_text=True)
