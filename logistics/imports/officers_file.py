"""Import officers from a KPU-style sheet: kode_kelurahan, no_tps, nama, jabatan (ketua / anggota /
linmas / pps), optional no_hp and kode_petugas. The TPS must exist (import TPS first)."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.imports import fields as f
from logistics.imports.report import ImportReport, no_rows_error, open_sheet, upsert
from logistics.imports.table import RowError
from logistics.models import Kelurahan, Person, PersonRole, Tps
from logistics.permissions import Permission, Target, may, require
from logistics.services.common import commit
from logistics.texts import lazy_gettext
from logistics.services.unit_of_work import in_unit_of_work

COLUMNS = {
    "kode_kelurahan": ("kode_wilayah", "kode_desa", "kd_kel", "kelurahan_kode", "kode_kel"),
    "no_tps": ("tps", "nomor_tps", "no"),
    "nama": ("nama_petugas", "name", "nama_lengkap"),
    "jabatan": ("peran", "role", "posisi"),
    "no_hp": ("hp", "telepon", "no_telp", "phone"),
    "kode_petugas": ("kode", "id_petugas"),
}
REQUIRED = ("kode_kelurahan", "no_tps", "nama", "jabatan")
ROLES = {"ketua": PersonRole.KPPS_KETUA, "ketua kpps": PersonRole.KPPS_KETUA,
         "anggota": PersonRole.KPPS_ANGGOTA, "anggota kpps": PersonRole.KPPS_ANGGOTA,
         "linmas": PersonRole.LINMAS, "pps": PersonRole.PPS, "anggota pps": PersonRole.PPS}


@in_unit_of_work
def import_officers(session: Session, actor: Actor, path: Path,
                    progress: Callable[[int], None] | None = None) -> ImportReport:
    require(may(actor, Permission.IMPORT_OFFICERS),
            lazy_gettext("Hanya admin dan koordinator yang dapat mengimpor petugas"))
    report = ImportReport()
    sheet = open_sheet(path, COLUMNS, REQUIRED, report)
    if sheet is None:
        return report
    _columns, rows = sheet
    tps_by_key = {(kode, t.number): (t, kecamatan_id) for t, kode, kecamatan_id in session.execute(
        select(Tps, Kelurahan.kode_kemendagri, Kelurahan.kecamatan_id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id))}
    ketua_rows: dict[int, int] = {}
    stored_ketua = {tps_id: code for tps_id, code in session.execute(
        select(Person.tps_id, Person.code).where(Person.role == PersonRole.KPPS_KETUA, Person.active.is_(True)))}
    parsed = []
    for number, cells in rows:
        report.rows += 1
        errors_before = len(report.errors)

        def cell(column, parse):
            try:
                return parse(cells.get(column, ""))
            except f.CellError as exc:
                report.errors.append(RowError(number, column, str(exc)))
                return None

        code = cell("kode_kelurahan", f.kelurahan_code)
        tps_number = cell("no_tps", lambda v: f.integer(v, 1, 999))
        name = cell("nama", lambda v: f.text(v, 160))
        role = ROLES.get(cells.get("jabatan", "").strip().lower())
        if role is None:
            report.errors.append(RowError(number, "jabatan", lazy_gettext("isi ketua, anggota, linmas atau pps")))
        phone = cells.get("no_hp", "").strip() or None
        if phone and (len(phone) > 32 or not phone.replace("+", "").replace("-", "").replace(" ", "").isdigit()):
            report.errors.append(RowError(number, "no_hp", lazy_gettext("nomor telepon tidak valid")))
        tps, kecamatan_id = tps_by_key.get((code, tps_number), (None, None)) if code and tps_number else (None, None)
        if code and tps_number and tps is None:
            report.errors.append(RowError(number, "no_tps", lazy_gettext(
                "TPS {number} di {code} belum ada: impor TPS dulu", number=f"{tps_number:03d}", code=code)))
        elif tps is not None and not may(actor, Permission.IMPORT_OFFICERS, Target(kecamatan_id=kecamatan_id)):
            report.errors.append(RowError(number, "kode_kelurahan", lazy_gettext("di luar wilayah Anda")))
            tps = None
        if tps is not None and role == PersonRole.KPPS_KETUA:
            if tps.id in ketua_rows:
                report.errors.append(RowError(number, "jabatan", lazy_gettext(
                    "TPS ini sudah punya ketua di baris {row}", row=ketua_rows[tps.id])))
            ketua_rows[tps.id] = number
        if len(report.errors) == errors_before:
            person_code = cells.get("kode_petugas", "").strip() or _derived_code(tps, role, name)
            if role == PersonRole.KPPS_KETUA and stored_ketua.get(tps.id, person_code) != person_code:
                report.errors.append(RowError(number, "jabatan", lazy_gettext("TPS ini sudah punya ketua ({name})",
                                                                              name=stored_ketua[tps.id])))
            else:
                parsed.append((person_code, tps, role, name, phone))
        if progress:
            progress(1)
    no_rows_error(report)
    if report.errors:
        return report
    _apply(session, actor, parsed, report)
    return report


def _derived_code(tps: Tps, role: PersonRole, name: str) -> str:
    """A stable code when the sheet has none, so importing the same sheet twice changes nothing."""
    digest = hashlib.sha1(f"{tps.code}|{role.value}|{name.strip().lower()}".encode()).hexdigest()[:8]
    return f"{tps.code}-{role.value}-{digest}"


def _apply(session: Session, actor: Actor, parsed: list, report: ImportReport) -> None:
    existing = {p.code: p for p in session.scalars(select(Person).where(Person.code.in_([r[0] for r in parsed])))}
    for code, tps, role, name, phone in parsed:
        values = dict(tps_id=tps.id, role=role, name=name, phone=phone, kelurahan_id=tps.kelurahan_id, active=True)
        upsert(session, actor, "person.imported", existing.get(code), partial(Person, code=code), values, report)
    commit(session)
