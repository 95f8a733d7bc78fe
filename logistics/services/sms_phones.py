"""An account's own phone number for SMS (`User.phone`): coordinators have no person record to carry one."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.errors import ValidationFailed, not_found
from logistics.models import User
from logistics.permissions import Permission, Target, may, require
from logistics.rules.phones import normalise_phone
from logistics.services.common import audit, commit, snapshot
from logistics.texts import lazy_gettext
from logistics.services.unit_of_work import in_unit_of_work


@in_unit_of_work
def set_account_phone(session: Session, actor: Actor, username: str, phone: str | None) -> User:
    """Set (or with None/"" clear) the account's phone, stored as +62…; audited as `user.phone`."""
    require(may(actor, Permission.ACCOUNT_ADMIN, Target()), lazy_gettext("Hanya admin yang boleh mengubah akun"))
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise not_found("Pengguna", username)
    number = None
    if phone:
        number = normalise_phone(phone)
        if number is None:
            raise ValidationFailed(lazy_gettext("Nomor telepon tidak valid"),
                                   {"phone": lazy_gettext("Tulis nomor seperti 0812 3456 7890 atau +62812...")})
    before = snapshot(user)
    user.phone = number
    audit(session, actor, "user.phone", user, before)
    commit(session)
    return user
