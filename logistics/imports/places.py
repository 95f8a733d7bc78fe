"""Finding a row's kelurahan (by Kemendagri code, else by name within its kecamatan) and measuring how
far a point lies outside an area, in metres."""
from __future__ import annotations

import difflib
import math
import re
from collections import defaultdict
from dataclasses import dataclass

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


@dataclass(frozen=True)
class AreaNode:
    """One area of a tree to match rows against: a stored record or an entry of the national list."""

    kode: str
    nama: str
    jenis: str  # kota | kabupaten for a kab/kota; kelurahan | desa for a village
    keys: frozenset[str]
    item: object

    @property
    def parent(self) -> str:
        return self.kode.rsplit(".", 1)[0]


@dataclass(frozen=True)
class Miss:
    """Why a row's area was not found: the row's column to blame and the message."""

    column: str
    message: object


class AreaTree:
    """Kab/kota > kecamatan > desa/kelurahan, found by Kemendagri code, or by name within the parent.

    Names are compared as `name_key` does (case, spaces, punctuation, code prefixes such as KPU's own
    `58390-`, and `Kel.`/`Desa`/`Kab.` words ignored). Each level narrows the candidates of the next: a bare
    `TANGERANG` fits both Kabupaten and Kota Tangerang until its kecamatan or desa tells them apart, while
    `KOTA TANGERANG` or `KAB. TANGERANG` picks one. A code narrows only when it is a stored code whose name
    fits the row's name: KPU and SIREKAP put their own numbers (`4631`, `58390`, `1658390001`) where
    Kemendagri's would go. Unknown or ambiguous names are a `Miss` naming the column and the closest names."""

    LEVELS = ("kota", "kecamatan", "kelurahan")

    def __init__(self, elsewhere=None):
        self.by_code: dict[str, AreaNode] = {}
        self.children: dict[str | None, list[AreaNode]] = defaultdict(list)
        self._by_key: list[dict[str, list[AreaNode]]] = [defaultdict(list) for _ in self.LEVELS]
        # {kab/kota name key: 'Kota X (36.71)'} of areas that could be set up (the national list), for a hint.
        self.elsewhere = elsewhere

    def add(self, kode: str, nama: str, item: object, *, jenis: str = "", other_names: tuple = ()) -> AreaNode:
        level = kode.count(".") - 1
        node = AreaNode(kode, nama, jenis, frozenset({name_key(n) for n in (nama, *other_names) if n} - {""}), item)
        self.by_code[kode] = node
        self.children[node.parent if level else None].append(node)
        for key in node.keys:
            self._by_key[level][key].append(node)
        return node

    @classmethod
    def of_stored(cls, kelurahan: list[Kelurahan], elsewhere=None) -> AreaTree:
        """The stored areas holding these kelurahan (each with its kecamatan and kota loaded)."""
        tree = cls(elsewhere)
        for kel in kelurahan:
            kec, kota = kel.kecamatan, kel.kecamatan.kota
            if kota.kode_kemendagri not in tree.by_code:
                tree.add(kota.kode_kemendagri, kota.nama, kota, jenis=kota.jenis)
            if kec.kode_kemendagri not in tree.by_code:
                tree.add(kec.kode_kemendagri, kec.nama, kec)
            tree.add(kel.kode_kemendagri, kel.nama, kel, jenis=kel.jenis, other_names=(kel.nama_bps or "",))
        return tree

    def locate(self, code: str | None, name: str, kecamatan_name: str = "", kecamatan_kode: str = "",
               kota_name: str = "", kota_kode: str = "") -> tuple[object | None, Miss | None]:
        """(the desa/kelurahan's item, None) or (None, why not)."""
        key = name_key(name)
        by_code = self.by_code.get(code or "")
        if by_code is not None and (not key or key in by_code.keys):
            return by_code.item, None
        if not key:
            if by_code is not None:
                return by_code.item, None
            return None, Miss("kode_kelurahan", lazy_gettext("kelurahan {code} tidak dikenal", code=code)
                              if code else lazy_gettext("isi kode atau nama kelurahan"))
        kotas, miss = self._level(0, None, kota_code(kota_kode), kota_name)
        if not miss:
            kecamatan, miss = self._level(1, kotas, kecamatan_code(kecamatan_kode), kecamatan_name)
        if not miss:
            villages, miss = self._level(2, kecamatan if kecamatan is not None else self._below(kotas), None, name)
        if miss:  # a code that is stored wins over names spelt another way
            return (by_code.item, None) if by_code is not None else (None, miss)
        if len(villages) > 1:
            if by_code is not None and by_code in villages:
                return by_code.item, None
            where = ", ".join(f"{self.by_code[v.parent].nama} ({self.by_code[self.by_code[v.parent].parent].nama})"
                              for v in villages[:6])
            return None, Miss("kelurahan", lazy_gettext(
                "nama kelurahan {name} ada di beberapa kecamatan ({kecamatan}): isi kolom kecamatan",
                name=repr(plain_name(name)), kecamatan=where))
        return villages[0].item, None

    def _below(self, parents: list[AreaNode] | None) -> list[AreaNode] | None:
        return None if parents is None else [c for p in parents for c in self.children.get(p.kode, [])]

    def _level(self, level: int, parents: list[AreaNode] | None, code: str | None, name: str
               ) -> tuple[list[AreaNode] | None, Miss | None]:
        """The candidates at `level` among `parents` (None: anywhere) for the row's code or name; None when
        the row names nothing at this level."""
        column = self.LEVELS[level]
        within = None if parents is None else {p.kode for p in parents}
        key = name_key(name)
        node = self.by_code.get(code or "")
        if node is not None and (node.kode.count(".") - 1 != level or (within is not None and node.parent not in within)):
            node = None
        if node is not None and (not key or key in node.keys):
            return [node], None
        if not key:
            return (self._below(parents) if parents is not None and level else None), None
        found = [n for n in self._by_key[level].get(key, []) if within is None or n.parent in within]
        if level == 0 and len(found) > 1:
            jenis = kab_kota_kind(name)
            found = [n for n in found if n.jenis == jenis] or found if jenis else found
        if found:
            return found, None
        if node is not None:  # the code fits, the name is spelt another way
            return [node], None
        return None, Miss(column, self._unknown(level, name, key, parents))

    def _unknown(self, level: int, name: str, key: str, parents: list[AreaNode] | None):
        pool = [n for n in (self.children.get(None, []) if level == 0 else self._pool(level, parents))]
        names = {k: n.nama for n in pool for k in n.keys}
        close = [names[k] for k in difflib.get_close_matches(key, list(names), n=3, cutoff=0.6)]
        where = "" if parents is None or level == 0 else ", ".join(p.nama for p in parents[:3])
        label = {0: lazy_gettext("kabupaten/kota"), 1: lazy_gettext("kecamatan"), 2: lazy_gettext("kelurahan")}[level]
        text = (lazy_gettext("{level} {name} tidak dikenal di {where}", level=label, name=repr(plain_name(name)), where=where)
                if where else lazy_gettext("{level} {name} tidak dikenal", level=label, name=repr(plain_name(name))))
        hint = self.elsewhere(name) if level == 0 and self.elsewhere else None
        if hint:  # the national list has it: it only needs setting up
            text = lazy_gettext("{message}; belum disiapkan: pilih {area} di Siapkan wilayah", message=text, area=hint)
        elif close:
            text = lazy_gettext("{message}; yang mirip: {names}", message=text, names=", ".join(close))
        return text

    def _pool(self, level: int, parents: list[AreaNode] | None) -> list[AreaNode]:
        if parents is not None:
            return self._below(parents) or []
        return [n for nodes in self._by_key[level].values() for n in nodes]


class KelurahanFinder:
    """Every stored kelurahan, by code and by name within its kecamatan and kota (an `AreaTree`)."""

    def __init__(self, kelurahan: list[Kelurahan], elsewhere=None):
        self.tree = AreaTree.of_stored(kelurahan, elsewhere)

    def locate(self, *args, **kwargs) -> tuple[Kelurahan | None, Miss | None]:
        return self.tree.locate(*args, **kwargs)

    def find(self, code: str | None, name: str, kecamatan_name: str = "", kecamatan_kode: str = "",
             kota_name: str = "", kota_kode: str = "") -> tuple[Kelurahan | None, str | None]:
        """(kelurahan, None) or (None, why not). The kecamatan and kota, when given, narrow a name down."""
        kel, miss = self.tree.locate(code, name, kecamatan_name, kecamatan_kode, kota_name, kota_kode)
        return kel, (miss.message if miss else None)


def kab_kota_kind(name: str) -> str:
    """'kota' for 'KOTA TANGERANG', 'kabupaten' for 'KAB. TANGERANG' or 'Kabupaten Tangerang', '' for a bare name."""
    text = CODE_PREFIX.sub("", str(name or "")).strip().lower()
    if text.startswith("kota "):
        return "kota"
    return "kabupaten" if re.match(r"^kab(upaten)?(\.|\s)", text) else ""


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
