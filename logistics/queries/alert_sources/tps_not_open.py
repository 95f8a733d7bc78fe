"""TPS still not opened at 07:30 WIB on election day (voting starts at 07:00)."""
from __future__ import annotations

from sqlalchemy import select

from logistics.models import Kelurahan, Tps, TpsStatus
from logistics.queries.alerts import Alert, alert_source
from logistics.settings import settings_for
from logistics.timeutil import to_wib, wib


@alert_source
def tps_not_open_alerts(session, now, day_start, day_end, kecamatan_ids) -> list[Alert]:
    opening = settings_for(session).open_deadline
    deadline = wib(to_wib(day_start).date(), opening)
    if now < deadline:
        return []
    query = (select(Tps.id, Tps.number, Kelurahan.kecamatan_id, Kelurahan.nama)
             .join(Kelurahan, Tps.kelurahan_id == Kelurahan.id).where(Tps.status == TpsStatus.SETUP)
             .order_by(Tps.code))
    if kecamatan_ids is not None:
        query = query.where(Kelurahan.kecamatan_id.in_(list(kecamatan_ids)))
    return [Alert(kind="tps_not_open", severity="high", since=deadline, kecamatan_id=kec_id, tps_id=tps_id,
                  message_id=f"TPS {number:03d} {kelurahan} belum dibuka (batas {opening:%H.%M} WIB).",
                  message_en=f"TPS {number:03d} {kelurahan} has not opened (deadline {opening:%H:%M} WIB).")
            for tps_id, number, kec_id, kelurahan in session.execute(query)]
