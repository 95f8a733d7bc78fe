"""TPS whose last officer count is below the KPPS quorum (logistics.rules.quorum; the quorum is an election setting)."""
from __future__ import annotations

from sqlalchemy import func, literal, select

from logistics.models import Kelurahan, Tps, TpsStatus
from logistics.models.base import UTCDateTime
from logistics.texts import lazy_gettext
from logistics.queries.alerts import Alert, alert_source
from logistics.rules.quorum import below_quorum_sql
from logistics.settings import settings_for


def build(row, moment, session) -> Alert:
    quorum, number, kelurahan, present = settings_for(session).quorum, row["number"], row["kelurahan"], row["present"]
    return Alert(kind="below_quorum", severity="high", since=row["since"], kecamatan_id=row["kecamatan_id"],
                 tps_id=row["tps_id"],
                 message=lazy_gettext("TPS {number} {kelurahan}: hanya {present} petugas hadir (kuorum {quorum}).",
                                      number=f"{number:03d}", kelurahan=kelurahan, present=present, quorum=quorum))


@alert_source(build, {"below_quorum": lazy_gettext("Petugas di bawah kuorum")})
def below_quorum(session, moment, kecamatan_ids):
    quorum = settings_for(session).quorum
    query = (select(literal("below_quorum").label("kind"), literal("high").label("severity"),
                    func.coalesce(Tps.officers_reported_at, literal(moment.now, UTCDateTime)).label("since"),
                    Kelurahan.kecamatan_id.label("kecamatan_id"), Tps.id.label("tps_id"),
                    Tps.officers_present.label("present"), Tps.number.label("number"),
                    Kelurahan.nama.label("kelurahan"))
             .join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .where(below_quorum_sql(Tps.officers_present, quorum), Tps.status != TpsStatus.HANDED_OVER))
    if kecamatan_ids is not None:
        query = query.where(Kelurahan.kecamatan_id.in_(kecamatan_ids))
    return query
