"""The accounts list (/admin/pengguna): the logins an actor may see (read_scope.visible(..., User)),
filtered, with each account's kecamatan (read_scope.account_kecamatan)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.models import Kecamatan, MedicStation, Role, User
from logistics.permissions.read_scope import account_kecamatan, visible


def accounts_page(session: Session, actor: Actor, *, role: Role | str | None = None, kecamatan_id: int | None = None,
                  active: bool | None = None, logged_in: bool | None = None, limit: int
                  ) -> tuple[int, list[tuple[User, int | None]]]:
    """(how many match, the first `limit` as (account, its kecamatan id)), by role then username."""
    where = [visible(session, actor, User)]
    if role:
        where.append(User.role == role)
    if kecamatan_id:
        where.append(account_kecamatan() == kecamatan_id)
    if active is not None:
        where.append(User.active.is_(active))
    if logged_in is not None:
        where.append(User.last_login_at.is_not(None) if logged_in else User.last_login_at.is_(None))
    total = session.scalar(select(func.count()).select_from(User).where(*where))
    rows = session.execute(select(User, account_kecamatan().label("k")).where(*where)
                           .order_by(User.role, User.username).limit(limit)).all()
    return total, [(user, kecamatan_id) for user, kecamatan_id in rows]


def kecamatan_names(session: Session) -> list[tuple[int, str]]:
    """(id, name) of every kecamatan, in official order."""
    return session.execute(select(Kecamatan.id, Kecamatan.nama).order_by(Kecamatan.kode_kemendagri)).all()


def station_names(session: Session) -> list[tuple[int, str]]:
    return session.execute(select(MedicStation.id, MedicStation.name).order_by(MedicStation.code)).all()
