"""Which of Indonesia's three time zones an area keeps, from its province's Kemendagri code.

The zone is the province's: every kab/kota, kecamatan, desa/kelurahan and TPS below it keeps the same
clock (UU/Keppres 41/1987). Stated once here; everything else asks `zone_of(code)`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class AreaZone:
    """A zone as people name it (WIB/WITA/WIT) and the IANA zone that keeps its clock."""

    name: str
    tz: tzinfo

    def __str__(self) -> str:
        return self.name


WIB = AreaZone("WIB", ZoneInfo("Asia/Jakarta"))      # UTC+7
WITA = AreaZone("WITA", ZoneInfo("Asia/Makassar"))   # UTC+8
WIT = AreaZone("WIT", ZoneInfo("Asia/Jayapura"))     # UTC+9
ZONES = {zone.name: zone for zone in (WIB, WITA, WIT)}

# Kemendagri province code -> zone.
PROVINCE_ZONE: dict[str, AreaZone] = {
    # Sumatra
    "11": WIB, "12": WIB, "13": WIB, "14": WIB, "15": WIB, "16": WIB, "17": WIB, "18": WIB, "19": WIB, "21": WIB,
    # Java
    "31": WIB, "32": WIB, "33": WIB, "34": WIB, "35": WIB, "36": WIB,
    # Bali, Nusa Tenggara Barat, Nusa Tenggara Timur
    "51": WITA, "52": WITA, "53": WITA,
    # Kalimantan: Barat and Tengah keep WIB; Selatan, Timur and Utara WITA
    "61": WIB, "62": WIB, "63": WITA, "64": WITA, "65": WITA,
    # Sulawesi
    "71": WITA, "72": WITA, "73": WITA, "74": WITA, "75": WITA, "76": WITA,
    # Maluku, Maluku Utara
    "81": WIT, "82": WIT,
    # Papua and the provinces split from it (2022): Papua Barat, Selatan, Tengah, Pegunungan, Barat Daya
    "91": WIT, "92": WIT, "93": WIT, "94": WIT, "95": WIT, "96": WIT,
}


def province_code(kode_kemendagri: str) -> str:
    """The province part of any area's code: `81.71.02.1001` -> `81`."""
    return kode_kemendagri.strip()[:2]


def zone_of(kode_kemendagri: str) -> AreaZone:
    """The zone of the area with this Kemendagri code (a province, kab/kota, kecamatan or desa/kelurahan).
    An unknown province is refused rather than guessed: a wrong zone moves every deadline by hours."""
    try:
        return PROVINCE_ZONE[province_code(kode_kemendagri)]
    except KeyError:
        raise ValueError(f"unknown province code in {kode_kemendagri!r}") from None
