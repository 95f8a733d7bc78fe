"""What a reader's scope looks like on the pages that open on it (home, map, dashboard): the areas in it,
its name, its extent on the map and its clock. The scope itself is the read policy's
(`logistics.permissions.read_scope.kecamatan_ids`: the kecamatan of a province, kab/kota or kecamatan;
None for the nation); nothing here picks "the first kota stored"."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.area_list import area_list
from logistics.models import Kecamatan, Kota, Role, Tps
from logistics.permissions.read_scope import tps_in_scope
from logistics.rules.time_zones import AreaZone, zone_of


def kota_in_scope(session: Session, kecamatan_ids: Sequence[int] | None) -> list[Kota]:
    """The kab/kota with a kecamatan in the scope (all stored for the nation), in official order."""
    query = select(Kota).order_by(Kota.kode_kemendagri)
    if kecamatan_ids is not None:
        query = query.where(Kota.id.in_(select(Kecamatan.kota_id).where(Kecamatan.id.in_(list(kecamatan_ids)))))
    return list(session.scalars(query))


def province_name(code: str) -> str:
    listed = area_list().get(code)
    return listed.nama if listed is not None else code


def scope_title(session: Session, actor: Actor | None, kecamatan_ids: Sequence[int] | None) -> str | None:
    """The name of what the reader sees: their province, kab/kota or kecamatan (with its kab/kota); for
    the nation the kab/kota stored (up to three by name, else a count's worth left to the page)."""
    if actor is not None and actor.provinsi_kode is not None:
        return province_name(actor.provinsi_kode)
    if actor is not None and actor.kota_id is not None:
        return session.scalar(select(Kota.nama).where(Kota.id == actor.kota_id))
    if actor is not None and actor.kecamatan_id is not None and kecamatan_ids is not None:
        row = session.execute(select(Kecamatan.nama, Kota.nama).join(Kota, Kota.id == Kecamatan.kota_id)
                              .where(Kecamatan.id == actor.kecamatan_id)).first()
        return f"{row[0]}, {row[1]}" if row else None
    names = [k.nama for k in kota_in_scope(session, kecamatan_ids)]
    return ", ".join(names) if 0 < len(names) <= 3 else None


def scope_bounds(session: Session, kecamatan_ids: Sequence[int] | None) -> list[list[float]] | None:
    """[[south, west], [north, east]] around the scope's areas: their outlines, and for kecamatan picked
    from the national list without a boundary file yet, their TPS; None when nothing has a position."""
    outlined = (select(func.min(Kecamatan.min_lat), func.min(Kecamatan.min_lon), func.max(Kecamatan.max_lat),
                       func.max(Kecamatan.max_lon)))
    unmapped = select(Kecamatan.id).where(Kecamatan.min_lat.is_(None))
    if kecamatan_ids is not None:
        outlined = outlined.where(Kecamatan.id.in_(list(kecamatan_ids)))
        unmapped = unmapped.where(Kecamatan.id.in_(list(kecamatan_ids)))
    placed = (select(func.min(Tps.lat), func.min(Tps.lon), func.max(Tps.lat), func.max(Tps.lon))
              .where(tps_in_scope(unmapped)))
    boxes = [row for row in (session.execute(outlined).first(), session.execute(placed).first())
             if row is not None and row[0] is not None]
    if not boxes:
        return None
    return [[min(b[0] for b in boxes), min(b[1] for b in boxes)], [max(b[2] for b in boxes), max(b[3] for b in boxes)]]


def scope_zone(session: Session, actor: Actor | None) -> AreaZone | None:
    """The clock of a reader with an area: their area's zone (a province's, from its code); None for the
    nation (the deployment's, `logistics.queries.zones.deployment_zone`)."""
    if actor is None or actor.nation_wide or actor.role not in (Role.ADMIN, Role.COORDINATOR):
        return None
    if actor.area_code is not None:
        return zone_of(actor.area_code)
    if actor.provinsi_kode is not None:
        return zone_of(actor.provinsi_kode)
    code = None
    if actor.kota_id is not None:
        code = session.scalar(select(Kota.kode_kemendagri).where(Kota.id == actor.kota_id))
    elif actor.kecamatan_id is not None:
        code = session.scalar(select(Kecamatan.kode_kemendagri).where(Kecamatan.id == actor.kecamatan_id))
    return zone_of(code) if code else None
