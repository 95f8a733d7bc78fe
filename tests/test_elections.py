"""Elections as records (issue 23, point 5): a second election made from the first; the first's records and
figures unchanged and read-only while browsed; each election's pages see only its own records."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from logistics.election_scope import PastElectionReadOnly, active_election_id, view
from logistics.models import (
    Delivery, Election, ElectionSetting, HealthIncident, MedicStation, Person, Role, Tps, TpsCoverage, TpsStatus, User,
)
from logistics.queries.dashboard import dashboard_figures
from logistics.services.elections import activate, create_election
from logistics.services.settings import update_settings
from siaga import figure_codec
from tests.factories import actor_of
from tests.field_client import log_in_as, post_form

DAY = datetime(2025, 8, 27, tzinfo=timezone.utc)


def _records(session) -> dict:
    """What an election holds: counts, statuses and a dashboard's figures."""
    def by(column):
        return dict(session.execute(select(column, func.count()).group_by(column)).all())
    figures = dashboard_figures(session, DAY.replace(hour=6), DAY, DAY.replace(hour=23), None, 3, None)
    # The H-1 login readiness counts accounts, which are shared by every election and posted in the active
    # one (logistics/services/elections.py): it describes the logins now, not an election's records.
    figures.pop("readiness")
    return {"tps": by(Tps.status), "delivery": by(Delivery.status), "incident": by(HealthIncident.status),
            "people": session.scalar(select(func.count()).select_from(Person)),
            "stations": session.scalar(select(func.count()).select_from(MedicStation)),
            "coverage": session.scalar(select(func.count()).select_from(TpsCoverage)),
            "settings": dict(session.execute(select(ElectionSetting.key, ElectionSetting.value)).all()),
            "figures": _canonical(json.loads(figure_codec.dumps(figures)))}  # as they are stored and served


def _canonical(value):
    """The figures with each list in one order: rows that tie in a figure's ORDER BY (alerts of the same
    moment) may come in another order once a second election's rows are in the tables (PostgreSQL's plan)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def _second(session, activate_it=True) -> tuple[int, Election]:
    admin = actor_of(session, Role.ADMIN)
    first = active_election_id(session)
    second = create_election(session, admin, from_election_id=first, kind="pilkada_ulang",
                             name="Pilkada Ulang 2025", day=date(2025, 8, 27), activate=activate_it)
    return first, second


def test_a_second_election_from_the_first_leaves_the_first_unchanged_and_read_only(session):
    officer = session.scalar(select(User).where(User.username == "petugas"))
    officer_tps_code = session.get(Tps, officer.tps_id).code
    before = _records(session)
    assert before["delivery"] and sum(before["tps"].values()) > 0
    first, second = _second(session)

    # The new election is active: the sites and people copied, not the day's records.
    assert active_election_id(session) == second.id
    after = _records(session)
    assert sum(after["tps"].values()) == sum(before["tps"].values())
    assert after["tps"] == {TpsStatus.SETUP: sum(before["tps"].values())}
    assert after["delivery"] == {} and after["incident"] == {}
    assert after["people"] == before["people"] and after["stations"] == before["stations"]
    assert after["coverage"] == before["coverage"]
    # Accounts are shared: the officer's posting moved to the same TPS (by code) in the new election.
    session.refresh(officer)
    moved = session.get(Tps, officer.tps_id)
    assert moved is not None and moved.code == officer_tps_code and moved.election_id == second.id

    # The first election, browsed: every record and figure as it was.
    view(session, first)
    assert _records(session) == before
    # ...and read-only: a service's write is refused (the unit of work), and nothing changed.
    with pytest.raises(PastElectionReadOnly):
        update_settings(session, actor_of_admin(session), {"quorum": "5"})
    view(session, None)
    view(session, first)
    assert _records(session) == before


def actor_of_admin(session):
    from logistics.actor import Actor

    return Actor.from_user(session.scalar(select(User).where(User.username == "admin")))


def test_a_new_election_not_yet_active_changes_nothing_the_pages_see(session):
    before = _records(session)
    first, second = _second(session, activate_it=False)
    assert active_election_id(session) == first
    assert _records(session) == before
    activate(session, actor_of(session, Role.ADMIN), second.id)
    assert active_election_id(session) == second.id
    assert _records(session)["delivery"] == {}


def test_only_an_admin_makes_elections(session):
    from logistics.errors import PermissionDenied

    coordinator = actor_of(session, Role.COORDINATOR)
    with pytest.raises(PermissionDenied):
        create_election(session, coordinator, from_election_id=active_election_id(session), kind="pilkada",
                        name="X", day=date(2026, 1, 1))


def test_bad_input_is_a_422_with_a_message_per_field(client, session):
    log_in_as(client, session, "admin")
    response = post_form(client, "/admin/pemilihan", {"dari": "999999", "jenis": "nope", "nama": "", "tanggal": "x"},
                         json=True)
    assert response.status_code == 422
    assert {"jenis", "nama", "tanggal"} <= set(response.get_json()["error"]["fields"])


def test_web_create_browse_the_past_read_only_and_back(client, session):
    log_in_as(client, session, "admin")
    first = active_election_id(session)
    deliveries_before = session.scalar(select(func.count()).select_from(Delivery))
    response = post_form(client, "/admin/pemilihan", {"dari": str(first), "jenis": "pilkada_ulang",
                                                      "nama": "Pilkada Ulang 2025", "tanggal": "2025-08-27",
                                                      "aktifkan": "1"})
    assert response.status_code == 303
    view(session, None)
    second = session.scalar(select(Election).where(Election.active.is_(True)))
    assert second.id != first and second.created_from_id == first
    page = client.get("/admin/pemilihan").get_data(as_text=True)
    assert "Pilkada Ulang 2025" in page

    # Browse the first: a banner, its records; a write is refused with a 409, not a 500.
    assert post_form(client, "/admin/pemilihan/lihat", {"pemilihan": str(first)}).status_code == 303
    page = client.get("/admin/pemilihan").get_data(as_text=True)
    assert "hanya baca" in page
    refused = post_form(client, "/admin/pengaturan", {"quorum": "5"}, json=True)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "election_read_only"
    assert session.scalar(select(func.count()).select_from(Delivery)) == deliveries_before
    # Back to the active election: writes work again.
    assert post_form(client, "/admin/pemilihan/lihat", {}).status_code == 303
    assert "Anda melihat pemilihan lampau" not in client.get("/admin/pemilihan").get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_the_demo_holds_the_2024_pilkada_as_a_past_election(session):
    past = session.scalar(select(Election).where(Election.day == date(2024, 11, 27)))
    active = session.get(Election, active_election_id(session))
    assert past is not None and not past.active and active.id != past.id
    today = _records(session)
    view(session, past.id)
    then = _records(session)
    assert set(then["tps"]) == {TpsStatus.HANDED_OVER} and sum(then["tps"].values()) == sum(today["tps"].values())
    assert set(then["delivery"]) == {"delivered"} and then["incident"] == {"closed": 3}
    assert session.scalar(select(func.min(Delivery.planned_at))).year == 2024
    view(session, None)
    # Today's pages see none of 2024's records.
    assert TpsStatus.HANDED_OVER not in today["tps"]
    assert session.scalar(select(func.count()).select_from(Delivery).where(
        func.extract("year", Delivery.planned_at) == 2024)) == 0


@pytest.fixture()
def bearer(session):
    from logistics.actor import Actor
    from logistics.services.api_tokens import SCOPES, create_token

    def make():
        _token, secret = create_token(session, Actor.system("test"), agency="Dinkes",
                                      scopes=[s for s in SCOPES if s.startswith("read:") and s != "read:health-pii"])
        return {"Authorization": f"Bearer {secret}"}
    return make


def test_the_api_serves_only_the_active_elections_records(client, session, bearer):
    headers = bearer()
    first = active_election_id(session)
    ids_before = {t["id"] for t in client.get("/api/v1/tps?limit=1000", headers=headers).get_json()["items"]}
    _first, second = _second(session)
    body = client.get("/api/v1/tps?limit=1000", headers=headers).get_json()
    assert body["count"] == len(ids_before) and not ids_before & {t["id"] for t in body["items"]}
    assert session.scalar(select(func.count()).select_from(Tps).where(Tps.id.in_(
        [t["id"] for t in body["items"]]), Tps.election_id == second.id)) == len(ids_before)
    # A record of the earlier election is not found through the active one.
    assert client.get(f"/api/v1/tps/{min(ids_before)}", headers=headers).status_code == 404
    assert first != second.id


def test_the_election_command_lists_creates_and_activates(app, session):
    runner = app.test_cli_runner()
    first = active_election_id(session)
    listed = runner.invoke(args=["election", "list"])
    assert listed.exit_code == 0 and "2024" in listed.output
    made = runner.invoke(args=["election", "create", "--from", str(first), "--kind", "psu", "--name", "PSU uji",
                               "--day", "2025-09-10"])
    assert made.exit_code == 0, made.output
    new = session.scalar(select(Election).where(Election.name == "PSU uji"))
    assert new is not None and not new.active
    bad = runner.invoke(args=["election", "create", "--from", str(first), "--kind", "psu", "--name", "X",
                              "--day", "kemarin"])
    assert bad.exit_code != 0 and "tanggal" in bad.output.lower()
    assert runner.invoke(args=["election", "activate", str(new.id)]).exit_code == 0
    view(session, None)
    assert active_election_id(session) == new.id


def test_a_live_pages_tag_differs_while_browsing_a_past_election(client, session):
    """A browser's cached copy of today's dashboard must not be answered 304 for another election, even one
    of the same day (whose clock, part of the tag, is the same)."""
    from logistics.settings import settings_for

    log_in_as(client, session, "admin")
    same_day = create_election(session, actor_of(session, Role.ADMIN), from_election_id=active_election_id(session),
                               kind="psu", name="PSU", day=settings_for(session).election_date)
    today = client.get("/dashboard")
    assert today.status_code == 200 and today.headers.get("ETag")
    assert post_form(client, "/admin/pemilihan/lihat", {"pemilihan": str(same_day.id)}).status_code == 303
    then = client.get("/dashboard", headers={"If-None-Match": today.headers["ETag"]})
    assert then.status_code == 200 and "hanya baca" in then.get_data(as_text=True)


def test_a_request_reads_the_active_election_with_its_identity_not_on_its_own(client, session, bearer):
    """Every request filters by the active election; it comes with the request's identity read (its token, or
    its session's user), not as a statement of its own (once per transaction: twice for a post on SQLite).
    Activated between two requests, the next one serves the new election (above: the API's records)."""
    import re

    from sqlalchemy import event

    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_rest):
        statements.append(" ".join(statement.split()))

    # ...and so does whether a drill is in progress (logistics/queries/election_clock.py): none on a real day.
    alone = re.compile(r"^SELECT (election\.id|min\(election\.id\)) (AS \w+ )?FROM election WHERE election\.active"
                       r"|^SELECT election\.id FROM election ORDER BY|^SELECT drill_clock\.day", re.I)
    from logistics.actor import Actor
    from logistics.services.api_tokens import create_token

    headers = bearer()
    officer = log_in_as(client, session, "petugas")
    _token, secret = create_token(session, Actor.system("test"), scopes=["write:tps-status"], username="petugas",
                                  name="post")
    connection = session.connection()
    event.listen(connection, "before_cursor_execute", seen)
    reads = []
    try:
        assert client.get("/api/v1/tps?limit=5", headers=headers).status_code == 200
        reads.append(list(statements))
        statements.clear()
        assert client.post(f"/api/v1/tps/{officer.tps_id}/officers", json={"count": 7}, headers={
            "Authorization": f"Bearer {secret}", "Idempotency-Key": "identity-read-1"}).status_code == 200
        reads.append(list(statements))  # a step's time is read on the election clock (no drill: the wall's)
        statements.clear()
        assert client.get(f"/lapangan/tps/{officer.tps_id}").status_code == 200
        reads.append(list(statements))
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    for read in reads:
        assert read and not [s for s in read if alone.match(s)], read
        assert any("FROM election" in s and ("api_token" in s or "app_user" in s) for s in read), read
