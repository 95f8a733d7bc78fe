"""Import the places and people an area runs on, from CSV or XLSX: health facilities, medic stations (pos
kesehatan), catering vendors, couriers and medics. Same rules as the TPS import: columns under their usual
spellings or mapped by the user, every row checked first (errors by row and column), all or nothing, a dry
run, re-imports update by code and report what changed, every write audited."""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from logistics.actor import Actor
from logistics.imports import fields as f
from logistics.imports.places import KelurahanFinder, Shapes, kecamatan_code, kelurahan_code, name_key, plain_name
from logistics.imports.report import ImportReport, no_rows_error, open_sheet, upsert
from logistics.imports.table import RowError
from logistics.models import (FacilityKind, HealthFacility, Kecamatan, Kelurahan, MedicStation, Person, PersonRole,
                              Vendor)
from logistics.permissions import Permission, may, require
from logistics.services.common import commit
from logistics.texts import lazy_gettext
from logistics.services.unit_of_work import in_unit_of_work

FAR_OUTSIDE_M = 250
CODE = ("kode_faskes", "id", "kode_pos", "kode_vendor", "kode_petugas", "kode_kurir", "kode_medis")
NAME = ("name", "nama_faskes", "nama_pos", "nama_vendor", "nama_petugas", "nama_lengkap", "nama_katering")
PLACE = {
    "kode_kecamatan": ("id_kecamatan", "kode_kec", "kd_kec"),
    "kecamatan": ("nama_kecamatan", "nama_kec", "kec"),
    "kode_kelurahan": ("kode_desa", "id_desa", "kode_kel", "kode_wilayah"),
    "kelurahan": ("desa", "nama_kelurahan", "nama_desa", "kel"),
    "lat": ("latitude", "lintang"),
    "lon": ("longitude", "lng", "long", "bujur"),
    "telepon": ("no_hp", "hp", "no_telp", "phone", "kontak", "telp"),
}
FACILITY_KINDS = {"puskesmas": FacilityKind.PUSKESMAS, "pkm": FacilityKind.PUSKESMAS,
                  "rumah sakit": FacilityKind.HOSPITAL, "rumah_sakit": FacilityKind.HOSPITAL,
                  "rs": FacilityKind.HOSPITAL,
                  "rsud": FacilityKind.HOSPITAL, "hospital": FacilityKind.HOSPITAL, "rsu": FacilityKind.HOSPITAL}
HOURS = re.compile(r"^(\d{1,2})[.:](\d{2})$")
DEFAULT_HOURS = (time(5, 30), time(3, 0))  # election day 05:30 until 03:00 the next morning, WIB


@dataclass(frozen=True)
class Kind:
    """One kind of sheet: its columns, the required ones, the model and how a row becomes values."""

    label: str
    model: type
    columns: dict
    required: tuple[str, ...]
    action: str


KINDS = {
    "faskes": Kind("fasilitas kesehatan", HealthFacility, {
        "kode": CODE, "nama": NAME, "jenis": ("jenis_faskes", "tipe", "kind"), "alamat": ("address", "alamat_faskes"),
        **PLACE}, ("kode", "nama", "jenis"), "health_facility.imported"),
    "pos": Kind("pos kesehatan", MedicStation, {
        "kode": CODE, "nama": NAME, "faskes": ("kode_faskes_induk", "puskesmas", "faskes_induk", "base"),
        "ambulans": ("jumlah_ambulans", "ambulance", "ambulances"), "jam_buka": ("buka", "dari", "hours_from"),
        "jam_tutup": ("tutup", "sampai", "hours_to"), **PLACE}, ("kode", "nama"), "medic_station.imported"),
    "vendor": Kind("vendor katering", Vendor, {"kode": CODE, "nama": NAME, **PLACE}, ("kode", "nama"),
                   "vendor.imported"),
    "kurir": Kind("kurir", Person, {"kode": CODE, "nama": NAME, "vendor": ("kode_vendor_katering", "katering"),
                                    **PLACE}, ("nama", "vendor"), "person.imported"),
    "medis": Kind("tenaga kesehatan", Person, {"kode": CODE, "nama": NAME,
                                               "pos": ("pos_kesehatan", "kode_pos_kesehatan", "station"), **PLACE},
                  ("nama", "pos"), "person.imported"),
}


@in_unit_of_work
def import_sites(session: Session, actor: Actor, kind: str, path: Path,
                 progress: Callable[[int], None] | None = None, *, mapping: dict[str, str] | None = None,
                 dry_run: bool = False) -> ImportReport:
    require(may(actor, Permission.AREA_SETUP), lazy_gettext("Hanya admin yang dapat menyiapkan wilayah"))
    spec = KINDS[kind]
    report = ImportReport(dry_run=dry_run)
    sheet = open_sheet(path, spec.columns, spec.required, report, also_missing=_place_missing(kind), mapping=mapping)
    if sheet is None:
        return report
    _columns, rows = sheet
    context = _Context(session)
    parsed, seen = [], {}
    for number, cells in rows:
        report.rows += 1
        errors = []
        values, code, kec = ROW_PARSERS[kind](context, cells, number, errors)
        if code and code in seen:
            errors.append(RowError(number, "kode", lazy_gettext("kode yang sama sudah ada di baris {row}",
                                                                row=seen[code])))
        report.errors += errors
        if code:
            seen.setdefault(code, number)
        if not errors:
            parsed.append((number, code, values))
            if kec is not None:
                report.per_group[kec.nama] += 1
            if "lat" in values or "kitchen_lat" in values:
                lat, lon = values.get("lat", values.get("kitchen_lat")), values.get("lon", values.get("kitchen_lon"))
                report.points.append(dict(lat=lat, lon=lon, label=values["name"], approximate=False, flagged=False))
        if progress:
            progress(1)
    no_rows_error(report)
    if report.errors:
        return report
    stored = {r.code: r for r in session.scalars(select(spec.model).where(spec.model.code.in_([p[1] for p in parsed])))}
    for number, code, values in parsed:
        upsert(session, actor, spec.action, stored.get(code), lambda code=code, **v: spec.model(code=code, **v),
               values, report, row=number, label=code)
    if not report.dry_run:
        commit(session)
    return report


def _place_missing(kind: str):
    def missing(columns: list[str]) -> list[str]:
        needs = []
        if kind in ("pos", "vendor") and not {"kode_kecamatan", "kecamatan"} & set(columns):
            needs.append("kecamatan")
        if ("lat" in columns) != ("lon" in columns):
            needs.append("lon" if "lat" in columns else "lat")
        return needs
    return missing


class _Context:
    """What rows are checked against: the stored areas, facilities, stations and vendors."""

    def __init__(self, session: Session):
        kelurahan = session.scalars(select(Kelurahan).options(
            selectinload(Kelurahan.kecamatan).selectinload(Kecamatan.kota))).all()
        self.kelurahan = KelurahanFinder(kelurahan)
        self.kecamatan = {k.kode_kemendagri: k for k in session.scalars(
            select(Kecamatan).options(selectinload(Kecamatan.kota)))}
        self.kecamatan_by_name = defaultdict(list)
        for k in self.kecamatan.values():
            self.kecamatan_by_name[name_key(k.nama)].append(k)
        self.facilities = {x.code: x for x in session.scalars(select(HealthFacility))}
        self.stations = {x.code: x for x in session.scalars(select(MedicStation))}
        self.vendors = {x.code: x for x in session.scalars(select(Vendor))}
        self.shapes = Shapes()

    def kecamatan_by_id(self, kecamatan_id: int) -> Kecamatan | None:
        return next((k for k in self.kecamatan.values() if k.id == kecamatan_id), None)


def _cell(cells: dict, column: str, parse, number: int, errors: list):
    try:
        return parse(cells.get(column, ""))
    except f.CellError as exc:
        errors.append(RowError(number, column, str(exc)))
        return None


def _phone(cells: dict, number: int, errors: list) -> str | None:
    phone = cells.get("telepon", "").strip() or None
    if phone and (len(phone) > 32 or not phone.replace("+", "").replace("-", "").replace(" ", "").isdigit()):
        errors.append(RowError(number, "telepon", lazy_gettext("nomor telepon tidak valid")))
    return phone


def _kecamatan(context: _Context, cells: dict, number: int, errors: list, required: bool) -> Kecamatan | None:
    code, name = kecamatan_code(cells.get("kode_kecamatan", "")), cells.get("kecamatan", "")
    if code and code in context.kecamatan:
        return context.kecamatan[code]
    candidates = context.kecamatan_by_name.get(name_key(name), [])
    if len(candidates) == 1:
        return candidates[0]
    if required or code or name:
        why = (lazy_gettext("isi kode atau nama kecamatan") if not (code or name) else
               lazy_gettext("nama kecamatan {name} ada di beberapa kota: isi kode_kecamatan",
                            name=repr(plain_name(name)))
               if candidates else lazy_gettext("kecamatan {name} tidak dikenal", name=repr(plain_name(name) or code)))
        errors.append(RowError(number, "kecamatan", why))
    return None


def _kelurahan(context: _Context, cells: dict, number: int, errors: list) -> Kelurahan | None:
    raw, name = cells.get("kode_kelurahan", ""), cells.get("kelurahan", "")
    if not raw and not name:
        return None
    kel, why = context.kelurahan.find(kelurahan_code(raw) if raw else None, name, cells.get("kecamatan", ""),
                                      cells.get("kode_kecamatan", ""))
    if kel is None:
        errors.append(RowError(number, "kelurahan", why))
    return kel


def _position(context: _Context, cells: dict, number: int, errors: list, area) -> tuple[float, float] | None:
    """(lat, lon) from the row, checked against the area's kota; None when the row has none."""
    lat_text, lon_text = cells.get("lat", ""), cells.get("lon", "")
    if not lat_text and not lon_text:
        return None
    lat = _cell(cells, "lat", lambda v: f.decimal(v, -11.5, 6.5), number, errors)
    lon = _cell(cells, "lon", lambda v: f.decimal(v, 94.5, 141.5), number, errors)
    if lat is None or lon is None:
        return None
    if area is not None:
        kota = area.kota if isinstance(area, Kecamatan) else area.kecamatan.kota
        outside = context.shapes.of(kota).metres_outside(lat, lon)
        if outside > FAR_OUTSIDE_M:
            errors.append(RowError(number, "lat/lon", lazy_gettext("di luar wilayah {area}: {metres} m dari batasnya",
                                                                   area=kota.nama, metres=f"{outside:,.0f}")))
            return None
    return lat, lon


def _hours(cells: dict, column: str, default: time, number: int, errors: list) -> time:
    text = cells.get(column, "").strip()
    match = HOURS.match(text) if text else None
    if text and (not match or int(match.group(1)) > 23 or int(match.group(2)) > 59):
        errors.append(RowError(number, column, lazy_gettext("jam tidak dikenali: {value} (contoh 05:30)",
                                                            value=repr(text))))
        return default
    return time(int(match.group(1)), int(match.group(2))) if match else default


def _code(cells: dict, prefix: str, name: str | None, where: str) -> str:
    """The row's code, or a stable one made from what it is (importing the same sheet twice changes nothing)."""
    code = cells.get("kode", "").strip()
    if code:
        return code[:40]
    digest = hashlib.sha1(f"{where}|{(name or '').strip().lower()}".encode()).hexdigest()[:8]
    return f"{prefix}-{where}-{digest}"[:40]


def _facility(context, cells, number, errors):
    name = _cell(cells, "nama", lambda v: f.text(v, 160), number, errors)
    kind = FACILITY_KINDS.get(cells.get("jenis", "").strip().lower())
    if kind is None:
        errors.append(RowError(number, "jenis", lazy_gettext("isi puskesmas atau rumah sakit")))
    kel = _kelurahan(context, cells, number, errors)
    position = _position(context, cells, number, errors, kel)
    if position is None and kel is None and not errors:
        errors.append(RowError(number, "lat/lon",
                               lazy_gettext("isi lat dan lon, atau kelurahannya (posisi perkiraan)")))
    lat, lon = position or ((kel.label_lat, kel.label_lon) if kel else (None, None))
    values = dict(name=name, kind=kind, address=cells.get("alamat", "").strip()[:240] or None,
                  kelurahan_id=kel.id if kel else None, lat=lat, lon=lon, position_approximate=position is None)
    return values, cells.get("kode", "").strip()[:20], kel.kecamatan if kel else None


def _station(context, cells, number, errors):
    name = _cell(cells, "nama", lambda v: f.text(v, 160), number, errors)
    kec = _kecamatan(context, cells, number, errors, required=True)
    base = None
    if cells.get("faskes"):
        base = context.facilities.get(cells["faskes"].strip())
        if base is None:
            errors.append(RowError(number, "faskes", lazy_gettext("faskes {name} belum ada: impor faskes dulu",
                                                                  name=repr(cells['faskes']))))
    position = _position(context, cells, number, errors, kec)
    if position is None and base is not None:
        position = (base.lat, base.lon)
    if position is None and kec is not None:
        position = (kec.label_lat, kec.label_lon)
    ambulances = _cell(cells, "ambulans", lambda v: f.integer(v, 0, 50), number, errors) if cells.get("ambulans") else 0
    values = dict(name=name, kecamatan_id=kec.id if kec else None, base_facility_id=base.id if base else None,
                  lat=position[0] if position else None, lon=position[1] if position else None,
                  contact_phone=_phone(cells, number, errors), ambulances=ambulances or 0,
                  hours_from=_hours(cells, "jam_buka", DEFAULT_HOURS[0], number, errors),
                  hours_to=_hours(cells, "jam_tutup", DEFAULT_HOURS[1], number, errors))
    return values, cells.get("kode", "").strip()[:40], kec


def _vendor(context, cells, number, errors):
    name = _cell(cells, "nama", lambda v: f.text(v, 160), number, errors)
    kec = _kecamatan(context, cells, number, errors, required=True)
    position = _position(context, cells, number, errors, kec) or ((kec.label_lat, kec.label_lon) if kec else (0, 0))
    values = dict(name=name, kecamatan_id=kec.id if kec else None, kitchen_lat=position[0], kitchen_lon=position[1],
                  contact_phone=_phone(cells, number, errors))
    return values, cells.get("kode", "").strip()[:40], kec


def _person(role: PersonRole, column: str, what: str, places: str, link: str, prefix: str):
    """A row parser for people posted at a place imported before them: couriers at a vendor (`vendor_id`),
    medics at a medic station (`medic_station_id`); their kecamatan is the place's."""
    def parse(context, cells, number, errors):
        name = _cell(cells, "nama", lambda v: f.text(v, 160), number, errors)
        place = getattr(context, places).get(cells.get(column, "").strip())
        if place is None:
            errors.append(RowError(number, column, lazy_gettext("{what} {name} belum ada: impor {column} dulu",
                                                                what=what, name=repr(cells.get(column, "")), column=column)))
        values = {"name": name, "role": role, "phone": _phone(cells, number, errors), "active": True,
                  link: place.id if place else None, "kecamatan_id": place.kecamatan_id if place else None}
        code = _code(cells, prefix, name, place.code if place else "")
        return values, code, context.kecamatan_by_id(place.kecamatan_id) if place else None
    return parse


_courier = _person(PersonRole.COURIER, "vendor", "vendor", "vendors", "vendor_id", "KURIR")
_medic = _person(PersonRole.MEDIC, "pos", "pos kesehatan", "stations", "medic_station_id", "MEDIS")

ROW_PARSERS = {"faskes": _facility, "pos": _station, "vendor": _vendor, "kurir": _courier, "medis": _medic}
