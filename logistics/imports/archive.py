"""What an uploaded file may unpack to, checked before any parser opens it, and error texts without the
server's paths.

XLSX, zipped Shapefiles and other zip files are read by openpyxl and GDAL as they come: a 4 MB zip of zeros
(a "zip bomb") unpacks to gigabytes and ties a worker for half a minute. Its directory says what each member
unpacks to (Python's zipfile never reads past that size), so it is refused here when the whole is larger
than MAX_UNPACKED_BYTES or holds more than MAX_MEMBERS files.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from logistics.texts import lazy_gettext

MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a kabupaten's desa boundaries unpack to ~50 MB
MAX_MEMBERS = 1000
_PATH = re.compile(r"(/vsi[a-z0-9_]+/)*(/[^\s/'\":,]+)+/")


class ArchiveTooLarge(ValueError):
    """The file unpacks to more than the app reads (its message says how much is allowed)."""


def check_unpacked_size(path: Path) -> None:
    """Raise ArchiveTooLarge when a zip-based file unpacks beyond the caps; other files pass."""
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not readable as a zip after all: the parser says so
    total = sum(member.file_size for member in members)
    if len(members) > MAX_MEMBERS or total > MAX_UNPACKED_BYTES:
        raise ArchiveTooLarge(lazy_gettext(
            "Isi berkas terlalu besar setelah dibuka ({size} MB, paling banyak {limit} MB; paling banyak "
            "{members} berkas di dalamnya).", size=total // (1024 * 1024), limit=MAX_UNPACKED_BYTES // (1024 * 1024),
            members=MAX_MEMBERS))


def without_paths(message: str) -> str:
    """A library's error text (GDAL's names the file it opened) without the server's directories."""
    return _PATH.sub("", message)
