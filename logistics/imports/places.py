"""Finding a row's kelurahan (by Kemendagri code, else by name within its kecamatan) and measuring how
far a point lies outside an area, in metres."""
from __future__ import annotations

import math
import re
from collections import defaultdict

import shapely
from shapely.geometry import Point, shape
from shapely.prepared import prep

from logistics.imports import fields as f
from logistics.models import Kecamatan, Kelurahan, Kota
from logistics.rules.geo import EARTH_RADIUS_M
from logistics.texts import lazy_gettext

CODE_PREFIX = re.compile(r"^\s*\d+\s*[-–:]\s*")  # SIREKAP: "58390-SUKARASA", "4631-TANGERANG"
AREA_WORD = re.compile(r"^(kelurahan|desa|kecamatan|kabupaten|kota)\s+|^(kel|kec|kab|ds)(\.\s*|\s+)")
KECAMATAN_CODE = re.compile(r"^(\d{2})\.?(\d{2})\.?(\d{2})$")
KOTA_CODE = re.compile(r"^(\d{2})\.?(\d{2})$")
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180


def name_key(value: str) -> str:
    """A name as compared: code prefix, 'Kel.'/'Desa' and case, spaces and punctuation ignored, so
    'BUKITINTAN', 'Bukit Intan', '58390-BUKIT INTAN' and 'Kel. Bukit-Intan' are the same."""
    text = CODE_PREFIX.sub("", str(value or "")).strip().lower()
    text = AREA_WORD.sub("", text)
    return "".join(ch for ch in text if ch.isalnum())


def plain_name(value: str) -> str:
    """A name as shown, without a SIREKAP code prefix."""
    return CODE_PREFIX.sub("", str(value or "")).strip()


def kecamatan_code(value: str) -> str | None:
    match = KECAMATAN_CODE.match(str(value or "").replace(" ", ""))
    return ".".join(match.groups()) if match else None


def kota_code(value: str) -> str | None:
    match = KOTA_CODE.match(str(value or "").replace(" ", ""))
    return ".".join(match.groups()) if match else None


def kelurahan_code(value: str) -> str | None:
    try:
        return f.kelurahan_code(value)
    except f.CellError:
        return None


class KelurahanFinder:
    """Every stored kelurahan, by code and by name (its own and BPS's spelling)."""

    def __init__(self, kelurahan: list[Kelurahan]):
        self.by_code = {k.kode_kemendagri: k for k in kelurahan}
        self.by_name: dict[str, list[Kelurahan]] = defaultdict(list)
        for k in kelurahan:
            for key in {name_key(k.nama), name_key(k.nama_bps or "")} - {""}:
                self.by_name[key].append(k)

    def find(self, code: str | None, name: str, kecamatan_name: str = "", kecamatan_kode: str = "",
             kota_name: str = "", kota_kode: str = "") -> tuple[Kelurahan | None, str | None]:
        """(kelurahan, None) or (None, why not). The kecamatan and kota, when given, narrow a name down."""
        if code and code in self.by_code:
            return self.by_code[code], None
        key = name_key(name)
        if not key:
            return None, (lazy_gettext("kelurahan {code} tidak dikenal",
                                       code=code) if code else lazy_gettext("isi kode atau nama kelurahan"))
        candidates = self.by_name.get(key, [])
        in_kota, kota_key = kota_code(kota_kode), name_key(kota_name)
        # Codes narrow only when they fit: some exports carry their own ids in these columns, not Kemendagri's.
        if in_kota:
            candidates = [k for k in candidates if k.kode_kemendagri.startswith(in_kota + ".")] or candidates
        elif kota_key and len(candidates) > 1:
            candidates = [k for k in candidates if name_key(k.kecamatan.kota.nama) == kota_key]
        kec_code, kec_key = kecamatan_code(kecamatan_kode), name_key(kecamatan_name)
        if kec_code and any(k.kode_kemendagri.startswith(kec_code + ".") for k in candidates):
            candidates = [k for k in candidates if k.kode_kemendagri.startswith(kec_code + ".")]
        elif kec_key:
            candidates = [k for k in candidates if name_key(k.kecamatan.nama) == kec_key]
        if not candidates:
            if kec_code or kec_key:
                return None, lazy_gettext("kelurahan {name} tidak dikenal di Kec. {kecamatan}",
                                          name=repr(plain_name(name)),
                                          kecamatan=plain_name(kecamatan_name) or kec_code)
            return None, lazy_gettext("kelurahan {name} tidak dikenal", name=repr(plain_name(name)))
        if len(candidates) > 1:
            return None, lazy_gettext("nama kelurahan {name} ada di beberapa kecamatan ({kecamatan}): isi kolom kecamatan",
                                      name=repr(plain_name(name)), kecamatan=", ".join(k.kecamatan.nama for k in candidates))
        return candidates[0], None


class AreaShape:
    """One area's polygon: does it hold a point, and how many metres outside it is a point?"""

    def __init__(self, boundary: dict, reference_lat: float):
        self.geometry = shape(boundary)
        self._prepared = prep(self.geometry)
        self._scale = (METRES_PER_DEGREE * math.cos(math.radians(reference_lat)), METRES_PER_DEGREE)
        self._metric = None

    def metres_outside(self, lat: float, lon: float) -> float:
        """0 inside; otherwise the distance to the polygon, on a local flat projection (good to ~0.5%
        within a kota)."""
        if self._prepared.contains(Point(lon, lat)):
            return 0.0
        if self._metric is None:
            kx, ky = self._scale
            self._metric = shapely.transform(self.geometry, lambda xy: xy * (kx, ky))
        kx, ky = self._scale
        return self._metric.distance(Point(lon * kx, lat * ky))


class Shapes:
    """AreaShape of each kelurahan and kota, made when first asked for."""

    def __init__(self):
        self._cache: dict[tuple[str, int], AreaShape] = {}

    def of(self, area: Kelurahan | Kecamatan | Kota) -> AreaShape:
        key = (area.__tablename__, area.id)
        if key not in self._cache:
            self._cache[key] = AreaShape(area.boundary, area.label_lat)
        return self._cache[key]
