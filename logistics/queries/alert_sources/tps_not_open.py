"""TPS still not opened at 07:30 on election day (voting starts at 07:00), each by its own area's clock
(WIB, WITA or WIT: `logistics.queries.zones`)."""
from __future__ import annotations

from sqlalchemy import literal, select

from logistics.models import Kelurahan, Tps, TpsStatus
from logistics.models.base import UTCDateTime
from logistics.texts import lazy_gettext
from logistics.queries.alerts import Alert, alert_source
from logistics.queries.zones import per_zone, zones_in_use
from logistics.settings import settings_for
from logistics.timeutil import local_at


def _deadlines(session, moment):
    """The opening deadline of each zone in use, as UTC."""
    opening = settings_for(session).open_deadline
    return opening, {zone: local_at(moment.day, opening, zone) for zone in zones_in_use(session)}


def build(row, moment, session) -> Alert:
    opening, _ = _deadlines(session, moment)
    number, kelurahan = row["number"], row["kelurahan"]
    return Alert(kind="tps_not_open", severity="high", since=row["since"], kecamatan_id=row["kecamatan_id"],
                 tps_id=row["tps_id"],
                 message=lazy_gettext("TPS {number} {kelurahan} belum dibuka (batas {deadline} {zone}).",
                                      number=f"{number:03d}", kelurahan=kelurahan, deadline=f"{opening:%H.%M}",
                                      zone=row["zone"]))


@alert_source(build, {"tps_not_open": lazy_gettext("TPS belum dibuka")})
def tps_not_open(session, moment, kecamatan_ids):
    _, deadlines = _deadlines(session, moment)
    passed = {zone: deadline for zone, deadline in deadlines.items() if moment.now >= deadline}
    if not passed:
        return None
    code, one_zone = Kelurahan.kode_kemendagri, len(deadlines) == 1  # the code's province part names the zone
    query = (select(literal("tps_not_open").label("kind"), literal("high").label("severity"),
                    per_zone(code, passed, UTCDateTime, one_zone_in_use=one_zone).label("since"), Kelurahan.kecamatan_id.label("kecamatan_id"),
                    Tps.id.label("tps_id"), Tps.number.label("number"), Kelurahan.nama.label("kelurahan"),
                    per_zone(code, {zone: zone.name for zone in passed}, one_zone_in_use=one_zone).label("zone"))
             .join(Kelurahan, Tps.kelurahan_id == Kelurahan.id).where(Tps.status == TpsStatus.SETUP))
    if not one_zone:  # a zone not yet past its deadline (or an unknown code) gives NULL
        query = query.where(per_zone(code, passed, UTCDateTime).is_not(None))
    if kecamatan_ids is not None:
        query = query.where(Kelurahan.kecamatan_id.in_(kecamatan_ids))
    return query
