"""The election day of the election this request serves (the active one, or the one an admin browses:
logistics/election_scope.py), for views and commands: its own setting, else its day, else `ELECTION_DATE`
(see `logistics.settings`), and the one clock every time-based alert and figure is judged on (`election_now`)."""
from __future__ import annotations

from datetime import date, datetime

from logistics.settings import ElectionSettings, settings_for
from logistics.rules.time_zones import AreaZone
from logistics.queries.election_clock import election_clock
from logistics.timeutil import as_utc, format_local, utcnow


def election_settings() -> ElectionSettings:
    """This request's election settings (read once per request)."""
    from siaga.extensions import db

    return settings_for(db.session)


def election_day() -> date:
    return election_settings().election_date


def election_window() -> tuple[datetime, datetime]:
    """Election day, 00:00 to 24:00 in every zone of the areas stored, as aware UTC [start, end)."""
    from logistics.queries.zones import day_window
    from siaga.extensions import db

    return day_window(db.session, election_day())


def local_zone() -> AreaZone:
    """The clock of this request's pages and of the times people type in (`datetime-local`): the reader's
    own area's zone (a coordinator's or admin's province, kab/kota or kecamatan; a field login's kecamatan),
    else the deployment's (`logistics.queries.zones.deployment_zone`), read once per request."""
    from flask import g, has_request_context

    from logistics.queries.zones import deployment_zone
    from siaga.extensions import db

    if not has_request_context():
        return deployment_zone(db.session)
    if "local_zone" not in g:
        g.local_zone = _reader_zone() or deployment_zone(db.session)
    return g.local_zone


def reader_zone_is(zone: AreaZone) -> None:
    """A view that has read the reader's own area (an officer's own TPS) names its zone, so `local_zone`
    (the field layout's clock, every field page) reads nothing more for it."""
    from flask import g

    g.local_zone = zone


def _reader_zone() -> AreaZone | None:
    from sqlalchemy import select

    from logistics.models import Kecamatan, Role
    from logistics.permissions.read_scope import account_kecamatan_id
    from logistics.queries.scope_areas import scope_zone
    from logistics.rules.time_zones import zone_of
    from siaga.auth import current_actor, current_user
    from siaga.extensions import db

    actor = current_actor()
    if actor is None:
        return None
    if actor.role in (Role.ADMIN, Role.COORDINATOR):
        return scope_zone(db.session, actor)
    kecamatan_id = account_kecamatan_id(db.session, current_user())
    code = db.session.scalar(select(Kecamatan.kode_kemendagri).where(Kecamatan.id == kecamatan_id)) if kecamatan_id else None
    return zone_of(code) if code else None


def local_time(value: datetime | None, fmt: str = "%d-%m-%Y %H:%M", zone: AreaZone | None = None) -> str:
    """The pages' time filter (`|localtime`): `27-08-2025 07:05 WIT`, in `zone` or the deployment's."""
    return format_local(value, fmt, zone or local_zone())


def wall_clock() -> datetime:
    """The real time, or the frozen `ELECTION_CLOCK` (benchmarks and screenshots)."""
    from flask import current_app, has_app_context

    frozen = current_app.config.get("ELECTION_CLOCK") if has_app_context() else None
    return as_utc(datetime.fromisoformat(frozen)) if frozen else utcnow()


def election_now() -> datetime:
    """The clock of the dashboard, the alerts, the map, the field pages, the summary API and /metrics:
    the election clock (`logistics.queries.election_clock`: a playing drill's simulated time, else the
    wall clock) held within the election day."""
    return clock_on(election_day())


def clock_now() -> datetime:
    """The election clock not held within the day: what a page says the time is (the map's "updated")."""
    from logistics.queries.election_clock import on_drill_clock
    from siaga.extensions import db

    return on_drill_clock(db.session, wall_clock())


def clock_on(day: date) -> datetime:
    """The same clock for another day (the summary API's `date`)."""
    from siaga.extensions import db

    return election_clock(db.session, day, wall_clock())
