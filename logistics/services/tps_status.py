"""Election-day posts from a TPS: officers present, opened, voting closed, counted, handed over;
and corrections of a mistaken post."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.errors import ValidationFailed
from logistics.events import Event, EventKind, raise_event
from logistics.models import Tps, TpsStatus
from logistics.permissions import Permission, Target, may, require
from logistics.rules.quorum import below_any_quorum, below_quorum
from logistics.rules.lifecycles import tps_day
from logistics.settings import settings_for
from logistics.services.common import (
    CORRECTION_REASON_MAX, audit, change, commit, correction_reason, load, require_transition, snapshot, step_time,
)
from logistics.texts import lazy_gettext
from logistics.services.unit_of_work import in_unit_of_work

STEP_TIME_FIELD = tps_day.TPS_DAY.step_times
MAX_OFFICERS_ON_SITE = 50


def tps_event(kind: EventKind, tps: Tps, **extra) -> Event:
    """The event of a change to a TPS: ids and codes only."""
    return Event(kind, "tps", tps.id, tps.kelurahan.kecamatan_id, {
        "status": tps.status.value, "officers_present": tps.officers_present, "drill": tps.drill, **extra})


def _tps_for(session: Session, actor: Actor, tps_id: int, *, for_step: bool = True) -> Tps:
    tps = load(session, Tps, tps_id, "TPS", for_step=for_step, joined=("kelurahan",))
    require(may(actor, Permission.TPS_POST_STATUS, Target.of_tps(tps)),
            lazy_gettext("Anda hanya boleh melapor untuk TPS Anda sendiri"))
    return tps


@in_unit_of_work
def advance_tps_status(session: Session, actor: Actor, tps_id: int, to_status: TpsStatus,
                       at: datetime | None = None, reason: str | None = None) -> Tps:
    """Post the TPS's next step. A step that passes over others is allowed (an officer forgot to
    post one); `reason` says why, and is kept in the audit entry (the field pages ask for it)."""
    tps = _tps_for(session, actor, tps_id)
    to_status = TpsStatus(to_status)
    require_transition(tps_day.may_move(tps.status, to_status), "TPS", tps.status, to_status)
    reason = (reason or "").strip() or None
    if reason and len(reason) > CORRECTION_REASON_MAX:
        raise ValidationFailed(lazy_gettext("Alasan terlalu panjang"),
                               {"reason": lazy_gettext("Alasan paling banyak {n} huruf.", n=CORRECTION_REASON_MAX)})
    skipped = tps_day.skipped_steps(tps.status, to_status)
    before = snapshot(tps)
    change(session, tps, **{STEP_TIME_FIELD[to_status]: step_time(at, session=session), "status": to_status})
    audit(session, actor, f"tps.{to_status.value}", tps, before,
          extra={"skipped": [s.value for s in skipped], "reason": reason} if skipped else None)
    raise_event(session, tps_event(EventKind.TPS_STEPPED, tps))
    commit(session)
    return tps


@in_unit_of_work
def report_officers_present(session: Session, actor: Actor, tps_id: int, count: int,
                            at: datetime | None = None) -> Tps:
    tps = _tps_for(session, actor, tps_id, for_step=False)  # a count, not a step: no lock
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_OFFICERS_ON_SITE:
        raise ValidationFailed(lazy_gettext("Jumlah petugas tidak valid"),
                               {"officers_present": lazy_gettext("Isi angka {low} sampai {high}.",
                                                                 low=0, high=MAX_OFFICERS_ON_SITE)})
    before = snapshot(tps)
    change(session, tps, officers_present=count, officers_reported_at=step_time(at, session=session))
    audit(session, actor, "tps.officers_present", tps, before)
    if below_any_quorum(count):  # else no quorum the settings accept is above it: no settings read
        quorum = settings_for(session).quorum
        if below_quorum(count, quorum):
            raise_event(session, tps_event(EventKind.BELOW_QUORUM, tps, quorum=quorum))
    commit(session)
    return tps


@in_unit_of_work
def correct_tps_status(session: Session, actor: Actor, tps_id: int, to_status: TpsStatus | None, reason: str,
                       officers_present: int | None = None) -> Tps:
    """Fix a mistaken post: move the status back (clearing the later steps' times) and/or fix the
    officer count. A reason is required; audited as `tps.corrected` with before/after and the reason."""
    tps = _tps_for(session, actor, tps_id)
    errors: dict[str, str] = {}
    reason = correction_reason(reason, errors)
    target = None
    if to_status is not None:
        try:
            target = TpsStatus(to_status)
        except ValueError:
            errors["to_status"] = lazy_gettext("Pilih salah satu status.")
    if officers_present is not None and (isinstance(officers_present, bool) or not isinstance(officers_present, int)
                                         or not 0 <= officers_present <= MAX_OFFICERS_ON_SITE):
        errors["officers_present"] = lazy_gettext("Isi angka {low} sampai {high}.", low=0, high=MAX_OFFICERS_ON_SITE)
    if not errors and target is not None and tps_day.may_move(tps.status, target):
        errors["to_status"] = lazy_gettext("Koreksi hanya bisa mundur; untuk maju gunakan tombol status.")
    if not errors and (target is None or target == tps.status) and (
            officers_present is None or officers_present == tps.officers_present):
        errors["to_status"] = lazy_gettext("Tidak ada yang dikoreksi: pilih status lain atau jumlah petugas lain.")
    if errors:
        raise ValidationFailed(lazy_gettext("Koreksi tidak valid"), errors)
    before = snapshot(tps)
    values = {}
    if target is not None and target != tps.status:
        values = {STEP_TIME_FIELD[later]: None for later in tps_day.TPS_DAY.after(target)} | {"status": target}
    if officers_present is not None and officers_present != tps.officers_present:
        values |= {"officers_present": officers_present, "officers_reported_at": step_time(None, session=session)}
    change(session, tps, **values)
    audit(session, actor, "tps.corrected", tps, before, extra={"correction_reason": reason})
    commit(session)
    return tps
