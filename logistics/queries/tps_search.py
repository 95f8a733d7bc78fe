"""Finding a TPS by what people know of it: its number and its kelurahan (or kecamatan) name, e.g.
"3", "semabung", "001 semabung lama". Only TPS within the actor's read scope (`read_scope.visible`)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.models import Kecamatan, Kelurahan, Tps
from logistics.permissions.read_scope import visible

SEARCH_LIMIT = 20


@dataclass(frozen=True)
class TpsHit:
    id: int
    label: str  # "TPS 001 · Semabung Lama, Bukit Intan"


def search_tps(session: Session, actor: Actor, text: str | None, limit: int = SEARCH_LIMIT) -> list[TpsHit]:
    """TPS the actor may see matching every word of `text` (a number matches the TPS number, other words
    the kelurahan or kecamatan name); all of them (up to `limit`) for an empty text."""
    query = (select(Tps.id, Tps.number, Kelurahan.nama, Kecamatan.nama).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .join(Kecamatan, Kelurahan.kecamatan_id == Kecamatan.id).where(visible(session, actor, Tps)))
    for word in (text or "").lower().split()[:5]:
        if word.isdigit():
            query = query.where(Tps.number == int(word[-6:]))
        else:
            query = query.where(or_(func.lower(Kelurahan.nama).contains(word, autoescape=True),
                                    func.lower(Kecamatan.nama).contains(word, autoescape=True)))
    rows = session.execute(query.order_by(Kelurahan.nama, Tps.number).limit(limit))
    return [TpsHit(id, f"TPS {number:03d} · {kelurahan}, {kecamatan}") for id, number, kelurahan, kecamatan in rows]
