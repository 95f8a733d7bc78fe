"""Is the area ready for election day (every area in a scope, or each kab/kota of it)? What an admin setting up
an area still has to add: kecamatan without a
medic station or a catering vendor, kelurahan without TPS, TPS far from every station, TPS whose position or
DPT the imported list did not have."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.models import Kecamatan, Kelurahan, Kota, MedicStation, Person, PersonRole, Tps, Vendor
from logistics.rules.geo import EARTH_RADIUS_M

FAR_FROM_STATION_M = 5_000  # further than this by road is more than ~15 minutes for an ambulance in town


@dataclass
class Readiness:
    kota: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    kecamatan_without_station: list[str] = field(default_factory=list)
    kecamatan_without_vendor: list[str] = field(default_factory=list)
    kecamatan_without_courier: list[str] = field(default_factory=list)
    kelurahan_without_tps: list[str] = field(default_factory=list)
    tps_far_from_station: list[tuple[str, int]] = field(default_factory=list)  # (TPS, metres to the nearest)
    tps_approximate: int = 0
    tps_without_dpt: int = 0

    @property
    def ready(self) -> bool:
        return not (self.kecamatan_without_station or self.kecamatan_without_vendor or self.kelurahan_without_tps
                    or self.tps_far_from_station) and self.counts.get("tps", 0) > 0


def readiness(session: Session, kecamatan_ids: Sequence[int] | None = None) -> Readiness:
    """What the areas in a scope (`kecamatan_ids`: the kecamatan of a province, kab/kota or kecamatan,
    `logistics.permissions.read_scope.kecamatan_ids`; None: every area stored) still lack."""
    ids = None if kecamatan_ids is None else list(kecamatan_ids)

    def within(query, column):
        return query if ids is None else query.where(column.in_(ids))

    kelurahan_ids = within(select(Kelurahan.id), Kelurahan.kecamatan_id)
    tps_where = [] if ids is None else [Tps.kelurahan_id.in_(kelurahan_ids)]
    kota = select(Kota.nama).order_by(Kota.kode_kemendagri)
    if ids is not None:
        kota = kota.where(Kota.id.in_(select(Kecamatan.kota_id).where(Kecamatan.id.in_(ids))))
    result = Readiness(kota=list(session.scalars(kota)))
    for name, query in (("kecamatan", within(select(func.count()).select_from(Kecamatan), Kecamatan.id)),
                        ("kelurahan", within(select(func.count()).select_from(Kelurahan), Kelurahan.kecamatan_id)),
                        ("tps", select(func.count()).select_from(Tps).where(*tps_where)),
                        ("pos_kesehatan", within(select(func.count()).select_from(MedicStation), MedicStation.kecamatan_id)),
                        ("vendor", within(select(func.count()).select_from(Vendor), Vendor.kecamatan_id))):
        result.counts[name] = session.scalar(query)
    kecamatan = session.execute(within(select(Kecamatan.id, Kecamatan.nama), Kecamatan.id)
                                .order_by(Kecamatan.kode_kemendagri)).all()
    with_station = set(session.scalars(select(MedicStation.kecamatan_id)))
    with_vendor = set(session.scalars(select(Vendor.kecamatan_id)))
    with_courier = set(session.scalars(select(Person.kecamatan_id).where(Person.role == PersonRole.COURIER,
                                                                         Person.active.is_(True))))
    result.kecamatan_without_station = [n for i, n in kecamatan if i not in with_station]
    result.kecamatan_without_vendor = [n for i, n in kecamatan if i not in with_vendor]
    result.kecamatan_without_courier = [n for i, n in kecamatan if i not in with_courier]
    result.kelurahan_without_tps = list(session.scalars(
        within(select(Kelurahan.nama).where(~select(Tps.id).where(Tps.kelurahan_id == Kelurahan.id).exists()),
               Kelurahan.kecamatan_id).order_by(Kelurahan.kode_kemendagri)))
    result.tps_approximate = session.scalar(select(func.count()).select_from(Tps).where(Tps.position_approximate, *tps_where))
    result.tps_without_dpt = session.scalar(select(func.count()).select_from(Tps).where(Tps.dpt.is_(None), *tps_where))
    result.tps_far_from_station = _far_from_station(session, tps_where)
    return result


def readiness_per_kota(session: Session, kecamatan_ids: Sequence[int] | None = None) -> list[tuple[str, Readiness]]:
    """`readiness` of each kab/kota in the scope, in official order (a province's or the nation's page
    shows which of its kab/kota is ready)."""
    query = select(Kota.id, Kota.nama).order_by(Kota.kode_kemendagri)
    if kecamatan_ids is not None:
        query = query.where(Kota.id.in_(select(Kecamatan.kota_id).where(Kecamatan.id.in_(list(kecamatan_ids)))))
    per_kota = []
    for kota_id, nama in session.execute(query).all():
        ids = select(Kecamatan.id).where(Kecamatan.kota_id == kota_id)
        if kecamatan_ids is not None:
            ids = ids.where(Kecamatan.id.in_(list(kecamatan_ids)))
        per_kota.append((nama, readiness(session, list(session.scalars(ids)))))
    return per_kota


def _far_from_station(session: Session, tps_where=()) -> list[tuple[str, int]]:
    stations = np.array(session.execute(select(MedicStation.lat, MedicStation.lon)).all(), dtype=float)
    tps = session.execute(select(Tps.code, Tps.lat, Tps.lon).where(*tps_where).order_by(Tps.code)).all()
    if not tps:
        return []
    if not len(stations):
        return [(code, -1) for code, _, _ in tps]
    points = np.radians(np.array([(lat, lon) for _, lat, lon in tps], dtype=float))
    s = np.radians(stations)
    dlat = points[:, None, 0] - s[None, :, 0]
    dlon = points[:, None, 1] - s[None, :, 1]
    a = np.sin(dlat / 2) ** 2 + np.cos(points[:, None, 0]) * np.cos(s[None, :, 0]) * np.sin(dlon / 2) ** 2
    nearest = (2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))).min(axis=1)
    return [(tps[i][0], int(d)) for i, d in enumerate(nearest) if d > FAR_FROM_STATION_M]


def gaps_per_kota(session: Session, kecamatan_ids: Sequence[int] | None = None) -> list[dict]:
    """What each kab/kota of a scope still lacks, counted by the database (the dashboard of a province or
    the nation, refreshed with its figures): kecamatan without a medic station or a catering vendor,
    kelurahan/desa without TPS, TPS placed approximately. One row per kab/kota with a kecamatan in scope, in
    official order (as the dashboard lists them)."""
    ids = None if kecamatan_ids is None else list(kecamatan_ids)

    def within(query):
        return query if ids is None else query.where(Kecamatan.id.in_(ids))

    def per_kota(query) -> dict[int, int]:
        return dict(session.execute(within(query).group_by(Kecamatan.kota_id)).all())

    count = func.count()
    kota = set(session.scalars(within(select(Kecamatan.kota_id).distinct())))
    counted = {
        "kecamatan_without_station": per_kota(select(Kecamatan.kota_id, count).where(
            ~select(MedicStation.id).where(MedicStation.kecamatan_id == Kecamatan.id).exists())),
        "kecamatan_without_vendor": per_kota(select(Kecamatan.kota_id, count).where(
            ~select(Vendor.id).where(Vendor.kecamatan_id == Kecamatan.id).exists())),
        "kelurahan_without_tps": per_kota(select(Kecamatan.kota_id, count).select_from(Kelurahan)
                                          .join(Kecamatan, Kecamatan.id == Kelurahan.kecamatan_id)
                                          .where(~select(Tps.id).where(Tps.kelurahan_id == Kelurahan.id).exists())),
        "tps_approximate": per_kota(select(Kecamatan.kota_id, count).select_from(Tps)
                                    .join(Kelurahan, Kelurahan.id == Tps.kelurahan_id)
                                    .join(Kecamatan, Kecamatan.id == Kelurahan.kecamatan_id)
                                    .where(Tps.position_approximate)),
    }
    in_order = session.scalars(select(Kota.id).where(Kota.id.in_(kota)).order_by(Kota.kode_kemendagri)) if kota else []
    return [{"kota_id": k, **{name: values.get(k, 0) for name, values in counted.items()}} for k in in_order]
