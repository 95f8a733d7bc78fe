"""Officer fatigue alerts: 16 hours on duty since the TPS's first post (alert), 20 hours (escalation)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from logistics.models import AuditEntry, Kelurahan, Role, Tps, User
from logistics.texts import lazy_gettext
from logistics.queries.alerts import Alert, alert_source
from logistics.queries.election_clock import wall_stamps
from logistics.rules.fatigue import hours_on_duty, on_duty_at_least_sql
from logistics.settings import settings_for


_INSTANT = timedelta(microseconds=1)  # _first_posts' end is exclusive; the rule's bound is inclusive


def _first_posts(day_start: datetime, day_end: datetime):
    """(tps_id, first): the first post of the day by each TPS's own officers, as a grouped SELECT."""
    return (select(User.tps_id.label("tps_id"), func.min(AuditEntry.at).label("first"))
            .join(User, AuditEntry.actor_id == User.id)
            .where(User.role == Role.FIELD_OFFICER, User.tps_id.is_not(None),
                   AuditEntry.at >= day_start, AuditEntry.at < day_end)
            .group_by(User.tps_id))


def first_posts(session: Session, day_start: datetime, day_end: datetime,
                kecamatan_ids: Iterable[int] | None = None) -> dict[int, datetime]:
    """{tps_id: time of the first post of the day by that TPS's own officers}."""
    query = _first_posts(day_start, day_end)
    if kecamatan_ids is not None:
        query = query.join(Tps, Tps.id == User.tps_id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id) \
            .where(Kelurahan.kecamatan_id.in_(list(kecamatan_ids)))
    return {tps_id: at for tps_id, at in session.execute(query)}


def build(row, moment, session) -> Alert:
    escalated = row["kind"] == "fatigue_escalation"
    number, kelurahan = row["number"], row["kelurahan"]
    hours = int(hours_on_duty(row["since"], moment.now, row["handed_over_at"]).total_seconds() // 3600)
    return Alert(
        kind=row["kind"], severity=row["severity"], since=row["since"], kecamatan_id=row["kecamatan_id"],
        tps_id=row["tps_id"],
        message=(lazy_gettext("Petugas TPS {number} {kelurahan} sudah {hours} jam bertugas — kirim tenaga kesehatan "
                              "dan atur pengganti.", number=f"{number:03d}", kelurahan=kelurahan, hours=hours)
                 if escalated else
                 lazy_gettext("Petugas TPS {number} {kelurahan} sudah {hours} jam bertugas.",
                              number=f"{number:03d}", kelurahan=kelurahan, hours=hours)),
    )


def labels(settings) -> dict:
    """The kinds named by the hours they stand for (election settings: fatigue_alert, fatigue_escalate)."""
    return {"fatigue_alert": lazy_gettext("Petugas {n} jam bertugas", n=_hours(settings.fatigue_alert)),
            "fatigue_escalation": lazy_gettext("Petugas {n} jam bertugas", n=_hours(settings.fatigue_escalate))}


def _hours(span: timedelta) -> int:
    return int(span.total_seconds() // 3600)


@alert_source(build, labels)
def fatigue(session, moment, kecamatan_ids):
    """Officers on duty 16 hours (alert) or 20 hours (escalation) since their TPS's first post
    (logistics.rules.fatigue: `fatigue_level` and its SQL twin `on_duty_at_least_sql`)."""
    settings = settings_for(session)
    # Only a first post at least `fatigue_alert` (16 h) before now can alert, so only the audit entries up to
    # then are read: the TPS whose first post is later have no entry there and would be left out anyway,
    # and for the others the earliest entry is the same. Before 16:00 WIB that is no entry at all; in the
    # evening, the early morning's (the index on audit_entry.at). Reading the whole day's trail made this
    # the dashboard's costliest query at national scale (docs/SCALING.md).
    # The trail's `at` is when a post was received, on the wall clock; the day is judged on the election
    # clock, a drill's simulated time while one plays it: read through it (and only the drill's own posts).
    # On a real day both are the wall clock and this is the statement it always was.
    stamps = wall_stamps(session, moment.day)
    start, end = stamps.window(moment.day_start, moment.now - settings.fatigue_alert)
    first = _first_posts(start, end + _INSTANT).subquery()
    since = stamps.on_clock(first.c.first)
    escalated = on_duty_at_least_sql(since, moment.now, Tps.handed_over_at, settings.fatigue_escalate)
    query = (select(case((escalated, literal("fatigue_escalation")), else_=literal("fatigue_alert")).label("kind"),
                    case((escalated, literal("critical")), else_=literal("high")).label("severity"),
                    since.label("since"), Kelurahan.kecamatan_id.label("kecamatan_id"),
                    Tps.id.label("tps_id"), Tps.number.label("number"), Tps.handed_over_at.label("handed_over_at"),
                    Kelurahan.nama.label("kelurahan"))
             .select_from(first).join(Tps, Tps.id == first.c.tps_id)
             .join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .where(on_duty_at_least_sql(since, moment.now, Tps.handed_over_at, settings.fatigue_alert)))
    if kecamatan_ids is not None:
        query = query.where(Kelurahan.kecamatan_id.in_(kecamatan_ids))
    return query
