"""The map layers' unchanged polls answered before Flask's request (siaga/live.py, `EarlyCheck`, declared by
maps/data.py's `_early`): one statement reads the layer's cells' data versions, whether the login still holds,
the reader's kecamatan scope and the active election; the tag is the view's (`layer_tag`). Each case says which
way answered: Flask's request handling (its `request_started` signal) or the early check. The checks' common
cases (an ended login, an error) are tests/test_live_early.py's; here, what a layer adds."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from logistics.actor import Actor
from logistics.models import DrillClock, Role, User
from logistics.permissions.read_scope import kecamatan_ids
from logistics.queries.data_versions import versions_and
from logistics.services.accounts import revoke_sessions
from logistics.services.incidents import report_incident
from siaga.auth import LOGIN_HOLDS, READER_SCOPE, reader_scope
from siaga.election import wall_clock
from tests import factories as f
from tests.field_client import log_in_as
from tests.test_area_scopes import areas  # noqa: F401 - the fixture
from tests.test_live_early import early_and_full_304, poll, statements

CITY = "105.9,-2.4,106.4,-1.9"
INCIDENTS = f"/map/data/incidents.geojson?bbox={CITY}"
TPS = f"/map/data/tps.geojson?bbox={CITY}&zoom=14&color=status"


def early_reads(sent: list[str]) -> list[str]:
    """The early check's statement among those sent: the versions, the login and more, a UNION ALL (a layer's own
    query may be one too: the incidents')."""
    return [s for s in sent if s.upper().startswith("SELECT DATA_VERSION.NAME") and "UNION ALL" in s]


def first_tag(client, url: str) -> str:
    first = client.get(url)
    assert first.status_code == 200, first.status_code
    return first.headers["ETag"]


@pytest.mark.parametrize("url", [INCIDENTS, TPS])
def test_an_unchanged_layer_is_one_statement_before_flask(client, session, by_flask, url):
    log_in_as(client, session, "koordinator")
    tag = first_tag(client, url)
    by_flask.clear()
    with statements(session) as sent:
        answer = poll(client, url, tag)
    assert answer.status_code == 304 and answer.get_data() == b"" and answer.headers["ETag"] == tag
    assert by_flask == []
    reads = [s for s in sent if s.upper().startswith("SELECT")]
    assert len(reads) == 1 and "data_version" in reads[0] and "app_user" in reads[0], sent


@pytest.mark.parametrize("url", [INCIDENTS, TPS])
def test_the_early_304_of_a_layer_is_the_full_ways_304(app, client, session, access_lines, by_flask, monkeypatch,
                                                      url):
    """The same tag, headers (Cache-Control, and the TPS layer's Election-Clock), access line and metrics."""
    log_in_as(client, session, "koordinator")
    tag = first_tag(client, url)
    endpoint = "maps.incidents_geojson" if url == INCIDENTS else "maps.tps_geojson"
    early, _full, _line = early_and_full_304(app, client, url, tag, endpoint, access_lines, by_flask, monkeypatch)
    if url == TPS:
        assert abs(wall_clock() - _stamp(early)) < timedelta(minutes=1)


def _stamp(answer):
    from datetime import datetime

    return datetime.fromisoformat(answer.headers["Election-Clock"])


def test_a_role_that_may_not_read_the_map_gets_no_early_304(client, session, by_flask):
    """The layer's tag is not keyed with the user (a reader of the same scope has the same one): a field
    officer (no area: the nation's scope, as a nation-wide coordinator) with a coordinator's tag is refused by
    the full way, not told its copy is current."""
    log_in_as(client, session, "koordinator")
    tag = first_tag(client, INCIDENTS)
    log_in_as(client, session, "petugas")
    by_flask.clear()
    with statements(session) as sent:
        answer = poll(client, INCIDENTS, tag)
    assert answer.status_code == 403
    assert len(early_reads(sent)) == 1 and by_flask == ["/map/data/incidents.geojson"]


@pytest.mark.parametrize("end", ["revoked", "switched_off"])
def test_an_ended_login_gets_no_early_304(client, session, actor_for, by_flask, end):
    """Revoked (a new session version), or switched off by hand at the same session version (the scope's rows,
    read by the account's id and session version, are still there: the login's test refuses it)."""
    user = log_in_as(client, session, "koordinator")
    tag = first_tag(client, INCIDENTS)
    if end == "revoked":
        revoke_sessions(session, actor_for("admin"), user.id)
    else:
        user.active = False
        session.flush()
    by_flask.clear()
    answer = client.get(INCIDENTS, headers={"If-None-Match": tag, "Accept": "application/json"})
    assert answer.status_code == 401 and by_flask == ["/map/data/incidents.geojson"]


def test_the_scope_read_with_the_login_is_the_read_policys(session, areas):  # noqa: F811 - the fixture
    """`READER_SCOPE` (SQL, read in the early check's statement) and `kecamatan_ids` (the read policy over
    the loaded account) agree for each kind of area: the nation, a province, a kab/kota, a kecamatan, an area
    without kecamatan, and a role without an area."""
    from logistics.services.unit_of_work import UnitOfWork

    with UnitOfWork(session) as uow:
        empty = f.make_kota(session, kode_kemendagri="52.99", nama="Kota Tanpa Kecamatan",
                            provinsi="Nusa Tenggara Barat", **f._area(116.5, -8.5))
        users = {**areas.users, "empty": f.make_user(session, Role.COORDINATOR, kota_id=empty.id)}
        uow.commit()
    seen = {}
    for name, user in users.items():
        _text, rows = versions_and(session.connection(), ("tps",), (LOGIN_HOLDS, *READER_SCOPE),
                                   {"login_user": user.id, "login_version": user.session_version})
        seen[name] = reader_scope(rows)
        assert str(seen[name]) == str(kecamatan_ids(Actor.from_user(user))), name  # as the tag carries it
    assert seen["nation"] is None and seen["officer_mataram"] is None and seen["empty"] == []
    assert len(seen["gerunggang"]) == 1 and len(seen["babel"]) > len(seen["mataram"]) == 1


def test_an_area_coordinator_is_answered_early_and_a_new_kecamatan_in_its_area_is_a_new_tag(
        client, session, areas, by_flask):  # noqa: F811 - the fixture
    """The scope is in the tag: a kecamatan added to a kab/kota (no new session version for its coordinator)
    makes the poll the full answer, whose tag is then answered early."""
    from logistics.services.unit_of_work import UnitOfWork

    user = areas.users["mataram"]
    with client.session_transaction() as cookie:
        from siaga.auth import new_session_values

        cookie.update(new_session_values(user))
    url = "/map/data/incidents.geojson?bbox=116.0,-8.7,116.2,-8.5"
    tag = first_tag(client, url)
    by_flask.clear()
    assert poll(client, url, tag).status_code == 304 and by_flask == []
    with UnitOfWork(session) as uow:
        f.make_kecamatan(session, areas.mataram, kode_kemendagri="52.71.02", **f._area(116.2, -8.6))
        uow.commit()
    with statements(session) as sent:
        answer = poll(client, url, tag)
    assert answer.status_code == 200 and answer.headers["ETag"] != tag
    assert len(early_reads(sent)) == 1 and by_flask == ["/map/data/incidents.geojson"]
    by_flask.clear()
    assert poll(client, url, answer.headers["ETag"]).status_code == 304 and by_flask == []


def test_a_change_in_view_goes_the_full_way(client, session, actor_for, by_flask):
    log_in_as(client, session, "koordinator")
    tag = first_tag(client, INCIDENTS)
    by_flask.clear()
    assert poll(client, INCIDENTS, tag).status_code == 304 and by_flask == []
    tps = session.scalar(select(User).where(User.username == "petugas")).tps_id
    report_incident(session, actor_for("petugas"), patient_kind="officer", complaint="pusing", triage="kuning",
                    tps_id=tps)
    by_flask.clear()
    answer = poll(client, INCIDENTS, tag)
    assert answer.status_code == 200 and answer.headers["ETag"] != tag and by_flask == ["/map/data/incidents.geojson"]


@pytest.mark.parametrize("url", [
    f"/map/data/tps.geojson?bbox={CITY}&zoom=11&color=status",  # the stored cells' zoom: tagged by their refresh
    f"/map/data/tps.geojson?bbox={CITY}&zoom=8&color=status",  # the grid
    f"/map/data/tps.geojson?bbox={CITY}&zoom=14&color=meals",  # tagged by the clock's minute too
])
def test_a_tps_view_not_tagged_by_its_versions_alone_goes_the_full_way(client, session, by_flask, url):
    log_in_as(client, session, "koordinator")
    tag = first_tag(client, url)
    by_flask.clear()
    with statements(session) as sent:
        assert poll(client, url, tag).status_code == 304
    assert early_reads(sent) == [] and by_flask == ["/map/data/tps.geojson"]


def test_during_a_drill_the_tps_layer_goes_the_full_way(client, session, by_flask):
    """Its 304 carries the election clock, a drill's simulated time: read the full way. The incidents layer,
    which does not carry it, is still answered early."""
    from siaga.election import election_day

    log_in_as(client, session, "koordinator")
    tps_tag, incidents_tag = first_tag(client, TPS), first_tag(client, INCIDENTS)
    session.add(DrillClock(day=election_day(), started_at=wall_clock() - timedelta(minutes=5), speed=30.0))
    session.flush()
    by_flask.clear()
    with statements(session) as sent:
        answer = poll(client, TPS, tps_tag)
    assert answer.status_code == 304 and len(early_reads(sent)) == 1 and by_flask == ["/map/data/tps.geojson"]
    assert abs(_stamp(answer) - wall_clock()) > timedelta(minutes=30)  # the drill's moment, not the wall's
    by_flask.clear()
    assert poll(client, INCIDENTS, incidents_tag).status_code == 304 and by_flask == []


def test_a_layer_in_english_and_a_browsed_election(client, session, by_flask):
    log_in_as(client, session, "koordinator")
    english = first_tag(client, INCIDENTS + "&lang=en")
    indonesian = first_tag(client, INCIDENTS)
    assert english != indonesian
    by_flask.clear()
    assert poll(client, INCIDENTS + "&lang=en", english).status_code == 304 and by_flask == []
    with client.session_transaction() as cookie:
        cookie["election_view"] = 1
    with statements(session) as sent:
        poll(client, INCIDENTS, indonesian)
    assert early_reads(sent) == [] and by_flask == ["/map/data/incidents.geojson"]
