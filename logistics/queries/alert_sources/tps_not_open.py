"""TPS still not opened at 07:30 WIB on election day (voting starts at 07:00)."""
from __future__ import annotations

from sqlalchemy import literal, select

from logistics.models import Kelurahan, Tps, TpsStatus
from logistics.models.base import UTCDateTime
from logistics.texts import lazy_gettext
from logistics.queries.alerts import Alert, alert_source
from logistics.settings import settings_for
from logistics.timeutil import to_wib, wib


def _deadline(session, moment):
    opening = settings_for(session).open_deadline
    return opening, wib(to_wib(moment.day_start).date(), opening)


def build(row, moment, session) -> Alert:
    opening, _ = _deadline(session, moment)
    number, kelurahan = row["number"], row["kelurahan"]
    return Alert(kind="tps_not_open", severity="high", since=row["since"], kecamatan_id=row["kecamatan_id"],
                 tps_id=row["tps_id"],
                 message=lazy_gettext("TPS {number} {kelurahan} belum dibuka (batas {deadline} WIB).",
                                      number=f"{number:03d}", kelurahan=kelurahan, deadline=f"{opening:%H.%M}"))


@alert_source(build, {"tps_not_open": lazy_gettext("TPS belum dibuka")})
def tps_not_open(session, moment, kecamatan_ids):
    _, deadline = _deadline(session, moment)
    if moment.now < deadline:
        return None
    query = (select(literal("tps_not_open").label("kind"), literal("high").label("severity"),
                    literal(deadline, UTCDateTime).label("since"), Kelurahan.kecamatan_id.label("kecamatan_id"),
                    Tps.id.label("tps_id"), Tps.number.label("number"), Kelurahan.nama.label("kelurahan"))
             .join(Kelurahan, Tps.kelurahan_id == Kelurahan.id).where(Tps.status == TpsStatus.SETUP))
    if kecamatan_ids is not None:
        query = query.where(Kelurahan.kecamatan_id.in_(kecamatan_ids))
    return query
