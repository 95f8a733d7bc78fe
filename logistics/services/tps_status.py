"""Election-day posts from a TPS: officers present, opened, voting closed, counted, handed over."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.errors import InvalidTransition, ValidationFailed
from logistics.models import Tps, TpsStatus
from logistics.permissions import may_post_for_tps, require
from logistics.rules.transitions import tps_may_move
from logistics.services.common import audit, commit, load, snapshot, step_time

STEP_TIME_FIELD = {
    TpsStatus.OPEN: "opened_at",
    TpsStatus.VOTING_CLOSED: "voting_closed_at",
    TpsStatus.COUNTED: "counted_at",
    TpsStatus.HANDED_OVER: "handed_over_at",
}
MAX_OFFICERS_ON_SITE = 50


def _tps_for(session: Session, actor: Actor, tps_id: int) -> Tps:
    tps = load(session, Tps, tps_id, "TPS")
    require(may_post_for_tps(actor, tps.id, tps.kelurahan.kecamatan_id),
            "Anda hanya boleh melapor untuk TPS Anda sendiri / not your TPS")
    return tps


def advance_tps_status(session: Session, actor: Actor, tps_id: int, to_status: TpsStatus,
                       at: datetime | None = None) -> Tps:
    tps = _tps_for(session, actor, tps_id)
    to_status = TpsStatus(to_status)
    if not tps_may_move(tps.status, to_status):
        raise InvalidTransition(
            f"TPS sudah {tps.status.label_id}; tidak bisa kembali ke {to_status.label_id} / "
            f"cannot go from {tps.status.value} back to {to_status.value}",
            {"status": f"Status sekarang: {tps.status.label_id}."},
        )
    before = snapshot(tps)
    setattr(tps, STEP_TIME_FIELD[to_status], step_time(at))
    tps.status = to_status
    audit(session, actor, f"tps.{to_status.value}", tps, before)
    commit(session)
    return tps


def report_officers_present(session: Session, actor: Actor, tps_id: int, count: int,
                            at: datetime | None = None) -> Tps:
    tps = _tps_for(session, actor, tps_id)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_OFFICERS_ON_SITE:
        raise ValidationFailed("Jumlah petugas tidak valid / invalid officer count",
                               {"officers_present": f"Isi angka 0 sampai {MAX_OFFICERS_ON_SITE}."})
    before = snapshot(tps)
    tps.officers_present = count
    tps.officers_reported_at = step_time(at)
    audit(session, actor, "tps.officers_present", tps, before)
    commit(session)
    return tps
