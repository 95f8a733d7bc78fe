"""An admin changes the election's settings: each value checked, each change audited, one commit."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.errors import ValidationFailed
from logistics.models import ElectionSetting
from logistics.permissions import Permission, may, require
from logistics.services.common import audit, commit, snapshot
from logistics.settings import BY_KEY, FIELDS, SettingError, build, forget, settings_for
from logistics.texts import lazy_gettext
from logistics.services.unit_of_work import in_unit_of_work


@in_unit_of_work
def update_settings(session: Session, actor: Actor, values: dict[str, str]) -> int:
    """Store the values that differ from the current settings; returns how many changed."""
    require(may(actor, Permission.AREA_SETUP), lazy_gettext("Hanya admin yang dapat mengubah pengaturan pemilu"))
    errors, parsed = {}, {}
    for key, text in values.items():
        spec = BY_KEY.get(key)
        if spec is None:
            errors[key] = lazy_gettext("pengaturan tidak dikenal")
            continue
        try:
            spec.parse(text)
            parsed[key] = text.strip()
        except SettingError as exc:
            errors[key] = str(exc)
    current = settings_for(session)
    after = build({**{f.key: f.get(current) for f in FIELDS}, **parsed}, current)
    if after.fatigue_escalate <= after.fatigue_alert:
        errors["fatigue_escalate_hours"] = lazy_gettext("harus lebih lama dari batas peringatan")
    if errors:
        raise ValidationFailed(lazy_gettext("Pengaturan tidak valid"), fields=errors)
    stored = {s.key: s for s in session.scalars(select(ElectionSetting))}
    changed = 0
    for key, text in parsed.items():
        if BY_KEY[key].get(current) == BY_KEY[key].get(build({key: text}, current)):
            continue
        record = stored.get(key)
        before = snapshot(record) if record else None
        if record is None:
            record = ElectionSetting(key=key, value=text)
            session.add(record)
        else:
            record.value = text
        audit(session, actor, "election_setting.changed", record, before)
        changed += 1
    forget(session)
    commit(session)
    return changed
