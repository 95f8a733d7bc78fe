"""A kecamatan's dashboard figures computed with those of every kecamatan of its kota (one pass for the
kota, logistics/queries/dashboard.py `kecamatan_dashboard_figures`), and the share time per scope size
(siaga/shared_figures.py, FIGURES_SHARE_S / FIGURES_SHARE_WIDE_S in siaga/config.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from logistics.models import DrillClock, FigureSnapshot, Kecamatan
from logistics.queries import dashboard as dashboard_queries
from logistics.queries.dashboard import dashboard_figures, kecamatan_dashboard_figures
from maps.dashboard import ALERTS_SHOWN, EXAMPLES_PER_SOURCE
from siaga import figure_codec, shared_figures
from siaga.election import election_day, election_window
from siaga.extensions import db
from siaga.worker import run_job

TABLE = FigureSnapshot.__table__


def the_kota(session) -> list[int]:
    """The kecamatan of the demo's kota, in id order."""
    kota = session.scalar(select(Kecamatan.kota_id).order_by(Kecamatan.id).limit(1))
    return list(session.scalars(select(Kecamatan.id).where(Kecamatan.kota_id == kota).order_by(Kecamatan.id)))


@pytest.mark.parametrize("hour", [7, 11, 14, 23])
def test_each_kecamatans_slice_is_its_figures_computed_alone(app, session, hour):
    with app.test_request_context("/"):
        start, end = election_window()
        now = start + timedelta(hours=hour)
        ids = the_kota(session)
        together, whole = kecamatan_dashboard_figures(session, now, start, end, ids, ALERTS_SHOWN, None,
                                                      whole_examples=EXAMPLES_PER_SOURCE)
        assert sorted(together) == ids and len(ids) > 1
        for kecamatan_id in ids:
            alone = dashboard_figures(session, now, start, end, (kecamatan_id,), ALERTS_SHOWN, None)
            assert together[kecamatan_id] == alone, kecamatan_id
            assert figure_codec.loads(figure_codec.dumps(together[kecamatan_id])) == alone
        # The kota's own figures, put together from its kecamatan's: as computed for the kota's scope.
        assert whole == dashboard_figures(session, now, start, end, tuple(ids), EXAMPLES_PER_SOURCE, None)
        if hour == 14:  # the moment has something to show, so the comparison compares something
            assert sum(f["alerts_total"] for f in together.values()) > 0
            assert any(f["examples"] for f in together.values())
            assert sum(f["totals"]["tps_total"] for f in together.values()) > 0


def test_the_examples_are_limited_per_kecamatan_as_alone(app, session):
    """Few examples kept (2 of each source): each kecamatan keeps its own first two, as it would alone."""
    with app.test_request_context("/"):
        start, end = election_window()
        now = start + timedelta(hours=14)
        ids = the_kota(session)
        together, whole = kecamatan_dashboard_figures(session, now, start, end, ids, 2, None, whole_examples=1)
        for kecamatan_id in ids:
            alone = dashboard_figures(session, now, start, end, (kecamatan_id,), 2, None)
            assert together[kecamatan_id]["examples"] == alone["examples"]
        assert sum(len(f["examples"]) for f in together.values()) > 2
        assert whole["examples"] == dashboard_figures(session, now, start, end, tuple(ids), 1, None)["examples"]
        assert len(whole["examples"]) < sum(len(f["examples"]) for f in together.values())


def test_during_a_drill_too(app, session):
    with app.test_request_context("/"):
        start, end = election_window()
        drill = DrillClock(day=election_day(), started_at=start + timedelta(hours=1), speed=30.0, seed=1, played=0)
        now = start + timedelta(hours=1, minutes=20)
        ids = the_kota(session)
        together, whole = kecamatan_dashboard_figures(session, now, start, end, ids, ALERTS_SHOWN, drill,
                                                      whole_examples=EXAMPLES_PER_SOURCE)
        for kecamatan_id in ids:
            assert together[kecamatan_id] == dashboard_figures(session, now, start, end, (kecamatan_id,),
                                                               ALERTS_SHOWN, drill)
        assert whole == dashboard_figures(session, now, start, end, tuple(ids), EXAMPLES_PER_SOURCE, drill)


@pytest.fixture()
def sharing(app):
    app.config.update(FIGURES_SHARE_S=15, FIGURES_SHARE_WIDE_S=120)
    with app.app_context():
        shared_figures.forget()
    yield app
    app.config.pop("FIGURES_SHARE_S")
    app.config.pop("FIGURES_SHARE_WIDE_S")
    with app.app_context():
        shared_figures.forget()
        db.session.remove()


@pytest.fixture()
def computations(monkeypatch):
    """How many times the dashboard's figures are computed, alone or per kota."""
    calls = []
    for name in ("dashboard_figures", "kecamatan_dashboard_figures"):
        original = getattr(dashboard_queries, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)
        monkeypatch.setattr(f"maps.dashboard.{name}", counted)
    return calls


def stored_dashboards() -> dict:
    db.session.rollback()  # a new transaction sees what the other connection stored
    rows = db.session.execute(select(TABLE.c.params, TABLE.c.body).where(TABLE.c.figure == "dashboard")).all()
    db.session.rollback()
    return {figure_codec.loads(params)["ids"]: figure_codec.loads(body) for params, body in rows}


def test_one_kecamatans_figures_store_every_kecamatan_of_its_kota(sharing, computations):
    with sharing.test_request_context("/"):
        ids = the_kota(db.session)
        db.session.rollback()
        first = shared_figures.shared("dashboard", ids=(ids[0],), examples=ALERTS_SHOWN)
        assert computations == ["kecamatan_dashboard_figures"]
        stored = stored_dashboards()
        assert sorted(stored) == sorted([(k,) for k in ids] + [tuple(ids)])  # each kecamatan's, and the kota's
        assert stored[(ids[0],)] == first
        # Another kecamatan of the kota: served from what that one computation stored, as computed alone.
        other = shared_figures.shared("dashboard", ids=(ids[-1],), examples=ALERTS_SHOWN)
        assert computations == ["kecamatan_dashboard_figures"]
        start, end = election_window()
        alone = dashboard_figures(db.session, other["now"], start, end, (ids[-1],), ALERTS_SHOWN, None)
        assert other == alone
        # The kota's own figures: stored by that pass too.
        kota = shared_figures.shared("dashboard", ids=tuple(ids), examples=EXAMPLES_PER_SOURCE)
        assert computations == ["kecamatan_dashboard_figures"]
        assert kota == dashboard_figures(db.session, kota["now"], start, end, tuple(ids), EXAMPLES_PER_SOURCE, None)
        # A scope wider than a kota is computed on its own.
        shared_figures.shared("dashboard", ids=None, examples=EXAMPLES_PER_SOURCE)
        assert computations == ["kecamatan_dashboard_figures", "dashboard_figures"]
        db.session.remove()


def age(seconds: float) -> None:
    query = update(TABLE).values(computed_at=datetime.now(timezone.utc) - timedelta(seconds=seconds))
    with db.engine.begin() as connection:
        connection.execute(query)
    db.session.rollback()


def wanted() -> int:
    db.session.rollback()
    n = db.session.scalar(select(func.count()).select_from(TABLE).where(TABLE.c.wanted_at >= TABLE.c.computed_at))
    db.session.rollback()
    return n


@pytest.mark.parametrize("claim", [False, True], ids=["one process", "claimed (several processes)"])
def test_the_worker_refreshes_a_wanted_kecamatan_with_its_kota_once(sharing, computations, claim, monkeypatch):
    if claim and sharing.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("claims are PostgreSQL's (SQLite has one worker process)")
    # As the worker sets it on PostgreSQL (siaga/worker/__init__.py): each figure and its kota's pass claimed.
    monkeypatch.setitem(sharing.extensions, "siaga_worker_shares_events", claim)
    with sharing.test_request_context("/"):
        ids = the_kota(db.session)
        db.session.rollback()
        shared_figures.shared("dashboard", ids=(ids[0],), examples=ALERTS_SHOWN)
        age(30)
        for kecamatan_id in ids[:3]:  # three screens of the kota find theirs stale
            shared_figures.shared("dashboard", ids=(kecamatan_id,), examples=ALERTS_SHOWN)
        assert wanted() == 3 and computations == ["kecamatan_dashboard_figures"]
        db.session.remove()
    from siaga.worker import JOBS, jobs  # noqa: F401  (registers the jobs)

    assert run_job(sharing, next(j for j in JOBS if j.name == "refresh_wanted_figures")) == 1
    with sharing.app_context():
        assert wanted() == 0
        assert computations == ["kecamatan_dashboard_figures"] * 2
        fresh = db.session.scalar(select(func.min(TABLE.c.computed_at)))
        db.session.rollback()
        assert fresh.replace(tzinfo=timezone.utc) > datetime.now(timezone.utc) - timedelta(seconds=10)


def test_a_wider_scope_is_shared_longer(sharing, computations):
    with sharing.test_request_context("/"):
        ids = the_kota(db.session)
        db.session.rollback()
        shared_figures.shared("dashboard", ids=(ids[0],), examples=ALERTS_SHOWN)  # the kota's too
        computed = len(computations)
        age(60)  # older than a kecamatan's 15 s, younger than a kota's 120 s
        shared_figures.shared("dashboard", ids=(ids[0],), examples=ALERTS_SHOWN)
        shared_figures.shared("dashboard", ids=tuple(ids), examples=5)
        assert wanted() == 1  # the kecamatan's only
        age(130)  # now the kota's too
        shared_figures.shared("dashboard", ids=tuple(ids), examples=5)
        assert wanted() == 2
        assert len(computations) == computed  # stale, not hard-stale: served, and the worker asked
        # A kecamatan's are computed in the request after 8 × 15 s; a kota's only after 8 × 120 s.
        shared_figures.shared("dashboard", ids=(ids[0],), examples=ALERTS_SHOWN)
        assert computations[computed:] == ["kecamatan_dashboard_figures"]
        shared_figures.shared("dashboard", ids=None, examples=5)
        sharing.config["FIGURES_SHARE_WIDE_S"] = 15  # configurable: the same as a kecamatan's
        age(60)
        shared_figures.shared("dashboard", ids=None, examples=5)
        assert wanted() >= 1 and shared_figures.share_seconds(wide=True) == 15
        db.session.remove()


def test_areas_alike_in_alerts_are_listed_by_id_whatever_order_they_were_counted_in():
    from logistics.queries.alerts import AlertCount, area_alerts

    since = datetime(2025, 8, 27, 1, tzinfo=timezone.utc)
    counts = [AlertCount("tps_not_open", "high", 9, 2, since), AlertCount("tps_not_open", "high", 4, 2, since)]
    assert [a["area_id"] for a in area_alerts(counts, {4: 4, 9: 9})] == [4, 9]
    assert [a["area_id"] for a in area_alerts(counts[::-1], {4: 4, 9: 9})] == [4, 9]


def test_a_drill_shares_a_wider_scopes_figures_for_the_same_stretch_of_its_day(sharing, computations):
    """A drill at 30x plays an hour of its day in 2 minutes: a kota's figures shared for 120 s showed the
    command post an hour behind the map. While a drill plays, a wider scope's share time is measured on the
    drill's clock (120 s / 30), never below a kecamatan's (15 s)."""
    from tests.factories import save

    with sharing.test_request_context("/"):
        ids = the_kota(db.session)
        assert shared_figures.share_seconds(wide=True) == 120  # no drill: a real day's
        db.session.add(DrillClock(day=election_day(), started_at=datetime.now(timezone.utc), speed=30.0, seed=1,
                                  played=0))
        save(db.session)
        try:
            assert shared_figures.share_seconds(wide=True) == 15 and shared_figures.share_seconds() == 15
            db.session.rollback()
            shared_figures.shared("dashboard", ids=tuple(ids), examples=EXAMPLES_PER_SOURCE)
            age(20)  # older than 15 s: the kota's figures are stale, served, and asked of the worker
            shared_figures.shared("dashboard", ids=tuple(ids), examples=EXAMPLES_PER_SOURCE)
            assert wanted() == 1  # the kota's (no kecamatan's was asked for)
        finally:
            db.session.execute(DrillClock.__table__.delete())
            save(db.session)
        db.session.remove()
