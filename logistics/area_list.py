"""The national area list: every province, kab/kota, kecamatan and desa/kelurahan with its Kemendagri code
and name, shipped as `seed_data/national/wilayah.csv.gz` (from the npm package `idn-area-data`, ODbL:
seed_data/SOURCES.md). The code alone says the level and the parent (`19` > `19.71` > `19.71.01` >
`19.71.01.1004`), whether a kab/kota is a kota (its second part 71 and up) and whether a village is a
kelurahan (its last part begins with 1) or a desa (with 2). `flask areas update` rebuilds the file."""
from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LIST_FILE = Path(__file__).resolve().parent.parent / "seed_data" / "national" / "wilayah.csv.gz"
LEVELS = ("provinsi", "kab_kota", "kecamatan", "desa_kelurahan")
SOURCE_FILES = ("provinces.csv", "regencies.csv", "districts.csv", "villages.csv")  # idn-area-data's data/


@dataclass(frozen=True)
class ListedArea:
    kode: str
    nama: str

    @property
    def level(self) -> str:
        return LEVELS[self.kode.count(".")]

    @property
    def parent(self) -> str | None:
        return self.kode.rsplit(".", 1)[0] if "." in self.kode else None

    @property
    def jenis(self) -> str:
        """kota | kabupaten for a kab/kota, kelurahan | desa for a village (from the code), else its level."""
        if self.level == "kab_kota":
            return "kota" if int(self.kode.split(".")[1]) >= 71 else "kabupaten"
        if self.level == "desa_kelurahan":
            return "kelurahan" if self.kode.rsplit(".", 1)[1].startswith("1") else "desa"
        return self.level


class AreaList:
    def __init__(self, rows: list[tuple[str, str]]):
        self.by_code = {kode: ListedArea(kode, nama) for kode, nama in rows}
        self._children: dict[str | None, list[ListedArea]] = {}
        for area in self.by_code.values():
            self._children.setdefault(area.parent, []).append(area)
        for members in self._children.values():
            members.sort(key=lambda a: a.kode)

    def get(self, kode: str) -> ListedArea | None:
        return self.by_code.get(kode.strip())

    def children(self, kode: str | None) -> list[ListedArea]:
        return self._children.get(kode, [])

    def provinces(self) -> list[ListedArea]:
        return self.children(None)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(LEVELS, 0)
        for area in self.by_code.values():
            counts[area.level] += 1
        return counts


@lru_cache(maxsize=1)
def area_list(path: Path = LIST_FILE) -> AreaList:
    """The shipped list (read once per process, ~84,000 rows)."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return AreaList([(row["kode"], row["nama"]) for row in csv.DictReader(handle)])


def build_list_file(source_dir: Path, target: Path = LIST_FILE) -> dict[str, int]:
    """Write the compact list (kode,nama; every level, in code order) from idn-area-data's CSV files
    (`code,...,name`); returns the count per level. Deterministic bytes (no gzip time stamp), so an update
    that changes nothing changes no file."""
    rows = []
    for name in SOURCE_FILES:
        with (source_dir / name).open(encoding="utf-8", newline="") as handle:
            rows += [(row["code"].strip(), " ".join(row["name"].split())) for row in csv.DictReader(handle)]
    rows.sort()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("kode", "nama"))
    writer.writerows(rows)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as handle:
        handle.write(text.getvalue().encode("utf-8"))
    area_list.cache_clear()
    return AreaList(rows).counts()
