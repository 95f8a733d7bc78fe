"""TPS whose last officer count is below the KPPS quorum (logistics.rules.quorum; the quorum is an election setting)."""
from __future__ import annotations

from sqlalchemy import select

from logistics.models import Kelurahan, Tps, TpsStatus
from logistics.queries.alerts import Alert, alert_source
from logistics.rules.quorum import below_quorum
from logistics.settings import settings_for


@alert_source
def below_quorum_alerts(session, now, day_start, day_end, kecamatan_ids) -> list[Alert]:
    quorum = settings_for(session).quorum
    query = (select(Tps.id, Tps.number, Tps.officers_present, Tps.officers_reported_at, Kelurahan.kecamatan_id,
                    Kelurahan.nama)
             .join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .where(Tps.officers_present < quorum, Tps.status != TpsStatus.HANDED_OVER)
             .order_by(Tps.code))
    if kecamatan_ids is not None:
        query = query.where(Kelurahan.kecamatan_id.in_(list(kecamatan_ids)))
    return [Alert(kind="below_quorum", severity="high", since=reported_at or now, kecamatan_id=kec_id,
                  tps_id=tps_id,
                  message_id=f"TPS {number:03d} {kelurahan}: hanya {present} petugas hadir (kuorum {quorum}).",
                  message_en=f"TPS {number:03d} {kelurahan}: only {present} officers present (quorum {quorum}).")
            for tps_id, number, present, reported_at, kec_id, kelurahan in session.execute(query)
            if below_quorum(present, quorum)]
