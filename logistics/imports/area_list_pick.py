"""Setting up an area by picking it from the national list (logistics/area_list.py): a province (all its
kab/kota) or one kab/kota; its kecamatan and desa/kelurahan are created with their official codes and names,
desa or kelurahan from the code. No outline yet (NULL): a boundary file imported later fills it in place,
matched by the same codes. Picking again updates names that changed and creates what is new; it never
deletes an area."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.area_list import AreaList, ListedArea, area_list
from logistics.imports.report import ImportReport, upsert
from logistics.imports.table import RowError
from logistics.models import Kecamatan, Kelurahan, Kota
from logistics.permissions import Permission, may, require
from logistics.services.common import commit
from logistics.services.unit_of_work import in_unit_of_work
from logistics.texts import lazy_gettext


@in_unit_of_work
def set_up_from_list(session: Session, actor: Actor, kode: str, *, dry_run: bool = False,
                     areas: AreaList | None = None) -> ImportReport:
    require(may(actor, Permission.AREA_SETUP), lazy_gettext("Hanya admin yang dapat menyiapkan wilayah"))
    areas = areas or area_list()
    report = ImportReport(dry_run=dry_run)
    picked = areas.get(kode)
    if picked is None or picked.level not in ("provinsi", "kab_kota"):
        report.errors.append(RowError(1, "kode", lazy_gettext(
            "{kode}: bukan kode provinsi atau kabupaten/kota dalam daftar wilayah", kode=kode.strip())))
        return report
    province = picked if picked.level == "provinsi" else areas.get(picked.parent or "")
    kab_kota = areas.children(picked.kode) if picked.level == "provinsi" else [picked]
    for listed in kab_kota:
        _set_up_kab_kota(session, actor, report, areas, listed, province.nama if province else "")
    if not dry_run:
        commit(session)
    return report


def _set_up_kab_kota(session: Session, actor: Actor, report: ImportReport, areas: AreaList, listed: ListedArea,
                     provinsi: str) -> None:
    prefix = listed.kode + "."
    stored = {(type(a).__name__, a.kode_kemendagri): a for model in (Kota, Kecamatan, Kelurahan)
              for a in session.scalars(select(model).where(or_(model.kode_kemendagri == listed.kode,
                                                               model.kode_kemendagri.like(prefix + "%"))))}
    kota = upsert(session, actor, "kota.picked", stored.get(("Kota", listed.kode)),
                  lambda **v: Kota(kode_kemendagri=listed.kode, **v),
                  dict(nama=listed.nama, jenis=listed.jenis, provinsi=provinsi), report, label=listed.kode)
    for kec in areas.children(listed.kode):
        kecamatan = upsert(session, actor, "kecamatan.picked", stored.get(("Kecamatan", kec.kode)),
                           lambda kec=kec, **v: Kecamatan(kode_kemendagri=kec.kode, kota=kota, **v),
                           dict(nama=kec.nama), report, label=kec.kode)
        villages = areas.children(kec.kode)
        report.per_group[f"{listed.nama} / {kec.nama}"] += len(villages)
        for village in villages:
            report.rows += 1
            upsert(session, actor, "kelurahan.picked", stored.get(("Kelurahan", village.kode)),
                   lambda village=village, **v: Kelurahan(kode_kemendagri=village.kode, kecamatan=kecamatan, **v),
                   dict(nama=village.nama, jenis=village.jenis), report, label=village.kode)
