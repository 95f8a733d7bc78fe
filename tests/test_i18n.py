"""One mechanism for every text people read (siaga/i18n.py, Flask-Babel catalogues in siaga/translations).

- every text in the catalogue has its English, and the catalogue is not behind the code (a new `_()`
  text fails until `scripts/i18n.sh` is run and its English written);
- a crawl of every page each demo role may open, in Bahasa Indonesia and in English, finds no internal
  code (`kotak_suara`, `voting_closed`) in what people read, and in English none of the Indonesian words
  that must be translated;
- words with two meanings get the right one (contexts), and API errors follow the language.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from logistics.items import ITEM_LABELS, UNIT_LABELS
from logistics.models import Delivery, DeliveryStatus, IncidentStatus, enums
from logistics.services.deliveries import advance_delivery
from logistics.services.incidents import advance_incident
from siaga.i18n import pgettext
from tests.test_access_matrix import EXPECTED, ROLES, as_user, objects  # noqa: F401 - objects is a fixture

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "siaga" / "translations"


def _catalogue(path: Path, locale=None):
    with open(path, "rb") as handle:
        return read_po(handle, locale=locale)


def _keys(catalogue) -> set[tuple[str | None, str]]:
    return {(m.context, m.id) for m in catalogue if m.id}


# --- the catalogue -------------------------------------------------------------------------------

def test_every_text_has_its_english():
    english = _catalogue(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po", "en")
    missing = [(m.context, m.id) for m in english if m.id and (not m.string or m.fuzzy)]
    assert not missing, f"texts without English (fill them in messages.po): {missing}"
    assert _keys(_catalogue(TRANSLATIONS / "messages.pot")) <= _keys(english), "run scripts/i18n.sh (update)"


def test_catalogue_is_not_behind_the_code(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(["bash", str(ROOT / "scripts" / "i18n.sh"), "extract"], check=True, cwd=ROOT,
                   env={**os.environ, "POT": str(fresh), "PYTHON": sys.executable})
    new, stored = _keys(_catalogue(fresh)), _keys(_catalogue(TRANSLATIONS / "messages.pot"))
    assert not new - stored, f"texts in the code but not in the catalogue (run scripts/i18n.sh): {sorted(new - stored, key=str)}"
    assert not stored - new, f"texts in the catalogue no longer in the code (run scripts/i18n.sh): {sorted(stored - new, key=str)}"


def test_register_english_is_gone():
    """One mechanism: the dict catalogue of before Flask-Babel must not come back."""
    offenders = [str(p.relative_to(ROOT)) for folder in ("siaga", "logistics", "field", "maps", "admin", "api")
                 for p in (ROOT / folder).rglob("*.py") if "register_english(" in p.read_text(encoding="utf-8")]
    assert not offenders, f"fold them with scripts/i18n.sh fold: {offenders}"


# --- what pages show ------------------------------------------------------------------------------

def internal_codes() -> set[str]:
    """Stored codes that are not words: enum values with an underscore, item codes."""
    codes = {member.value for cls in vars(enums).values()
             if isinstance(cls, type) and issubclass(cls, enums.LabelledEnum) and cls is not enums.LabelledEnum
             for member in cls if "_" in member.value}
    return codes | {code for code in ITEM_LABELS if "_" in code}


# Bahasa Indonesia words of the interface (not place or person names) that an English page must not show.
INDONESIAN_ONLY = ("porsi", "lembar", "Selesai", "Dikirim", "Diterima", "Terlambat", "Direncanakan",
                   "Dalam perjalanan", "Dilaporkan", "Ditangani", "Simpan", "Batal", "Kirim", "Kembali",
                   "Keluar", "Pengiriman", "Kejadian", "Kotak suara", "Surat suara", "Bilik suara", "Makan",
                   "Belum", "Sudah", "Jadwal", "Rencana", "Catatan", "Keluhan", "Petugas", "Kurir", "Tutup")
# ("Pasien" is left out: the crawl's incidents carry the patient name "Pasien Rahasia", data not interface.)
# Attributes whose values people read (the offline queue's labels, confirm dialogs, hints).
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-label", "data-confirm",
                    "data-confirm-yes", "data-confirm-no", "data-confirm-reason")


class _ShownText(HTMLParser):
    """Text people read: element text outside script/style, and the shown attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        self.parts.extend(value for name, value in attrs if name in SHOWN_ATTRIBUTES and value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def shown_text(html: str) -> str:
    parser = _ShownText()
    parser.feed(html)
    return " \n ".join(parser.parts)


def pages_of(role: str, values: dict) -> list[tuple[str, str]]:
    """(endpoint, url) of every HTML page the role may open, with the seeded objects in its scope."""
    out = []
    for endpoint, (method, template, expected) in sorted(EXPECTED.items()):
        allowed = expected.get(role)
        allowed = allowed[0] if isinstance(allowed, tuple) else allowed
        if method != "GET" or allowed not in (200, "pass") or template.startswith("/api/") or "static" in endpoint:
            continue
        if any(part in template for part in (".csv", ".geojson", ".js", "/metrics", "/healthz", "/bahasa/")):
            continue
        out.append((endpoint, template.format(**values)))
    return out


@pytest.fixture()
def busy_day(session, objects, actor_for):  # noqa: F811 - the fixture imported above
    """Make the crawl meet more states: a dispatched delivery, an incident being handled."""
    coordinator = actor_for("koordinator")
    advance_delivery(session, coordinator, objects["out"]["delivery"], DeliveryStatus.DISPATCHED)
    advance_incident(session, coordinator, objects["in"]["incident"], IncidentStatus.RESPONDING)
    advance_incident(session, coordinator, objects["in"]["incident"], IncidentStatus.TREATED_ON_SITE)
    # The demo medic's own incident is on the "out" side (the demo officer's TPS is nearest its station).
    advance_incident(session, coordinator, objects["out"]["incident"], IncidentStatus.RESPONDING)
    advance_incident(session, coordinator, objects["out"]["incident"], IncidentStatus.TREATED_ON_SITE)
    return objects


def _crawl(client, session, values, language):
    client.set_cookie("lang", language)
    seen = []
    for role in [r for r in ROLES if r]:
        as_user(client, session, role)
        for endpoint, url in pages_of(role, values):
            response = client.get(url, follow_redirects=True)
            if response.status_code != 200 or not response.mimetype.startswith("text/html"):
                continue
            seen.append((role, endpoint, url, shown_text(response.get_data(as_text=True))))
    return seen


@pytest.mark.parametrize("language", ["id", "en"])
def test_no_internal_code_on_any_page(client, session, busy_day, language):
    codes = internal_codes()
    assert {"kotak_suara", "surat_suara", "bilik_suara", "voting_closed", "handed_over"} <= codes
    pattern = re.compile(r"(?<![\w/.-])(" + "|".join(map(re.escape, sorted(codes))) + r")(?![\w/.-])")
    pages = _crawl(client, session, busy_day["in"], language) + _crawl(client, session, busy_day["out"], language)
    assert len({endpoint for _role, endpoint, _url, _text in pages}) >= 20, "the crawl reached too few pages"
    found = {(role, url, m.group(1)) for role, _endpoint, url, text in pages for m in pattern.finditer(text)}
    assert not found, f"internal codes shown: {sorted(found)}"


def test_english_pages_have_no_indonesian_words_left(client, session, busy_day):
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, INDONESIAN_ONLY)) + r")\b")
    pages = _crawl(client, session, busy_day["in"], "en") + _crawl(client, session, busy_day["out"], "en")
    found = {(role, url, m.group(1), text[max(0, m.start() - 40):m.end() + 40].replace("\n", " "))
             for role, _endpoint, url, text in pages for m in pattern.finditer(text)}
    assert not found, "Indonesian left on English pages:\n" + "\n".join(map(str, sorted(found)))


# --- one word, two meanings -------------------------------------------------------------------------

def test_contexts_pick_the_right_english(app):
    with app.test_request_context("/?lang=en"):
        assert pgettext("incident step", "Selesai") == "Close"
        assert str(IncidentStatus.CLOSED.label) == "Closed"
        assert pgettext("check-in", "Selesai") == "Done"
        assert str(DeliveryStatus.DISPATCHED.label) == "Dispatched"
        assert pgettext("quantity", "Dikirim") == "Sent"
        assert str(DeliveryStatus.DELIVERED.label) == "Delivered"
        assert str(UNIT_LABELS["porsi"](2)) == "portions" and str(ITEM_LABELS["kotak_suara"]) == "Ballot box"
        assert str(UNIT_LABELS["set"](1)) == "set" and str(UNIT_LABELS["porsi"](1)) == "portion"  # plurals
    with app.test_request_context("/"):
        assert str(IncidentStatus.CLOSED.label) == "Selesai" and pgettext("check-in", "Selesai") == "Selesai"


def test_medic_closes_and_officer_sees_dispatched_in_english(client, session, busy_day):
    client.set_cookie("lang", "en")
    as_user(client, session, "medis")
    incident = shown_text(client.get(f"/lapangan/kejadian/{busy_day['out']['incident']}").get_data(as_text=True))
    assert "Close" in incident and "Selesai" not in incident and "Done" not in incident
    as_user(client, session, "petugas")
    deliveries = shown_text(client.get(f"/lapangan/tps/{busy_day['out']['tps']}/kiriman").get_data(as_text=True))
    assert "Dispatched" in deliveries and "portions" in deliveries and "porsi" not in deliveries


def test_api_errors_follow_the_language_and_keep_codes(client, session, objects):  # noqa: F811
    as_user(client, session, "koordinator")
    missing = client.get("/api/v1/tps/2147483000?lang=en").get_json()["error"]
    assert missing["code"] == "not_found" and missing["message"] == "TPS 2147483000 not found"
    assert client.get("/api/v1/tps/2147483000").get_json()["error"]["message"] == "TPS 2147483000 tidak ditemukan"
    summary = client.get("/api/v1/summary?cursor=%25%25&lang=en").get_json()["error"]
    assert summary["message"] == "Invalid cursor" and summary["fields"]["cursor"].startswith("Use a cursor")
    delivery = client.get(f"/api/v1/deliveries/{objects['in']['delivery']}?lang=en").get_json()
    assert delivery["status"] == "planned" and delivery["unit"] == "porsi"  # machine codes stay codes
    assert session.get(Delivery, objects["in"]["delivery"]).unit == "porsi"

