"""The live map while an admin browses a past election (admin/elections.py): the TPS layer's bodies kept per
process (maps/data.py `_Bodies`) and its ETags name the election read, so the past election never gets the
active one's kept body nor a 304 for the active one's copy; its zoomed-out grid counts its own TPS (the stored
cells count the active election's)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from logistics.election_scope import active_election_id, view
from logistics.models import Election, Tps, TpsStatus
from maps.data import _Bodies
from tests.field_client import log_in_as, post_form

BOX = "105.0,-3.5,107.5,-1.0"  # Pangkalpinang and around: every demo TPS


@pytest.fixture()
def kept_bodies(app, monkeypatch):
    """The per-process bodies, as in production (tests turn them off: MAP_KEPT_BODIES_MB)."""
    monkeypatch.setitem(app.extensions, "siaga_map_bodies", _Bodies(16 * 1024 * 1024))


def _past(session) -> Election:
    past = session.scalar(select(Election).where(Election.day == date(2024, 11, 27)))  # the demo's 2024 Pilkada
    assert past is not None and past.id != active_election_id(session)
    return past


def _browse(client, session, election_id=None) -> None:
    form = {"pemilihan": str(election_id)} if election_id is not None else {}
    assert post_form(client, "/admin/pemilihan/lihat", form).status_code == 303
    view(session, None)  # the test's own session reads the active election again


def test_detail_layer_of_a_past_election_is_never_the_active_ones_kept_body_or_304(client, session, kept_bodies):
    log_in_as(client, session, "admin")
    past = _past(session)
    url = f"/map/data/tps.geojson?bbox={BOX}&zoom=14"
    today = client.get(url)
    assert today.status_code == 200 and today.headers.get("ETag")
    today_statuses = {f["properties"]["status"] for f in today.get_json()["features"]}
    assert today_statuses != {TpsStatus.HANDED_OVER.value}

    _browse(client, session, past.id)
    then = client.get(url, headers={"If-None-Match": today.headers["ETag"]})
    assert then.status_code == 200  # not a 304 for today's copy
    assert then.headers["ETag"] != today.headers["ETag"]
    assert {f["properties"]["status"] for f in then.get_json()["features"]} == {TpsStatus.HANDED_OVER.value}
    assert client.get(url, headers={"If-None-Match": then.headers["ETag"]}).status_code == 304  # its own copy

    _browse(client, session)
    again = client.get(url)  # the kept body of the past election is not today's either
    assert again.status_code == 200 and again.headers["ETag"] == today.headers["ETag"]
    assert {f["properties"]["status"] for f in again.get_json()["features"]} == today_statuses


def test_zoomed_out_grid_of_a_past_election_counts_its_own_tps(client, session, kept_bodies):
    log_in_as(client, session, "admin")
    past = _past(session)
    view(session, past.id)
    past_tps = session.scalar(select(func.count()).select_from(Tps))
    view(session, None)
    url = f"/map/data/tps.geojson?bbox={BOX}&zoom=6"
    today = client.get(url)
    cells = today.get_json()["features"]
    assert today.status_code == 200 and cells and all(c["properties"]["aggregate"] for c in cells)
    assert sum(c["properties"]["closed"] for c in cells) < sum(c["properties"]["count"] for c in cells)

    _browse(client, session, past.id)
    then = client.get(url, headers={"If-None-Match": today.headers["ETag"]})
    assert then.status_code == 200
    cells = then.get_json()["features"]
    # 2024's day is over: every one of its TPS handed over (closed), counted from its own TPS.
    assert sum(c["properties"]["count"] for c in cells) == past_tps
    assert all(c["properties"]["closed"] == c["properties"]["count"] for c in cells)


def test_stored_grid_and_coverage_count_the_active_elections_rows_only(session):
    """The grid's count and coverage's recompute are Core / raw SQL (no ORM criteria): each names the election.
    The demo's past election holds as many TPS as today's, at the same places: counted too, they would double."""
    from logistics.models import MapGridCell, TpsCoverage
    from logistics.services import map_grid
    from logistics.services.coverage import recompute_all
    from logistics.services.unit_of_work import UnitOfWork

    past = _past(session)
    today_tps = session.scalar(select(func.count()).select_from(Tps))
    view(session, past.id)
    past_tps = session.scalar(select(func.count()).select_from(Tps))
    past_coverage = session.scalar(select(func.count()).select_from(TpsCoverage))
    view(session, None)
    assert past_tps > 0 and today_tps > 0

    with UnitOfWork(session) as uow:
        map_grid.refresh(session, force=True)
        recompute_all(session)
        uow.commit()
    counted = session.scalar(select(func.sum(MapGridCell.tps)).where(MapGridCell.zoom == 0,
                                                                      MapGridCell.kecamatan_id == 0))
    assert counted == today_tps
    assert session.scalar(select(func.count()).select_from(TpsCoverage)) == today_tps
    every = select(func.count()).select_from(TpsCoverage).execution_options(all_elections=True)
    assert session.scalar(every) == today_tps + past_coverage  # the past election's rows left as they were
