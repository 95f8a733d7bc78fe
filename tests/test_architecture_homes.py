"""docs/ARCHITECTURE.md's "Where each rule lives" stays true: each named home exists and defines its
symbol, and no other module of the application defines a symbol of that name (a second definition is a
second home)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_PACKAGES = ("logistics", "siaga", "field", "maps", "api", "admin")
ROW = re.compile(r"^\| (?P<concept>[^|]+?) \| `(?P<home>[^`]+)` \| `(?P<symbol>[^`]+)` \|$")


def _rows() -> list[tuple[str, str, str]]:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Where each rule lives", 1)[1].split("\n## ", 1)[0]
    return [(m["concept"], m["home"], m["symbol"]) for m in map(ROW.match, section.splitlines()) if m]


def _definition(symbol: str) -> re.Pattern:
    """A top-level definition of `symbol`: def, class, or an assignment (annotated or not)."""
    name = re.escape(symbol)
    return re.compile(rf"^(?:(?:async\s+)?def\s+{name}\b|class\s+{name}\b|{name}\s*(?::[^=\n]+)?=[^=])", re.M)


def _sources() -> list[Path]:
    return [p for package in APP_PACKAGES for p in (ROOT / package).rglob("*.py")]


ROWS = _rows()


def test_the_table_is_there():
    assert len(ROWS) >= 20


@pytest.mark.parametrize("concept,home,symbol", ROWS, ids=[r[2] for r in ROWS])
def test_each_rule_has_one_home(concept, home, symbol):
    path = ROOT / home
    assert path.is_file(), f"{concept}: {home} does not exist"
    pattern = _definition(symbol)
    assert pattern.search(path.read_text(encoding="utf-8")), f"{concept}: {home} does not define {symbol}"
    elsewhere = [str(p.relative_to(ROOT)) for p in _sources()
                 if p != path and pattern.search(p.read_text(encoding="utf-8"))]
    assert not elsewhere, f"{concept}: {symbol} is defined again in {elsewhere}"


# A lifecycle state given a text outside the lifecycle modules (`TpsStatus.OPEN: lazy_gettext(...)`, or its
# short alias `S.CLOSED: ...`): a step's label belongs beside its state (logistics/rules/lifecycles/).
STATE_TEXT = re.compile(r"\b(?:TpsStatus|IncidentStatus|DeliveryStatus|[STID])\.[A-Z_]+\s*:\s*lazy_p?gettext\(")
# A query telling open from closed by one state (`status != IncidentStatus.CLOSED`): the lifecycle's end
# states say which are done (`incident.OPEN` / `DONE`), so a new end state changes every such query at once.
ONE_END_STATE = re.compile(r"\.status\s*(?:!=|==)\s*(?:IncidentStatus|S|I)\.CLOSED\b")
LIFECYCLES = ROOT / "logistics" / "rules" / "lifecycles"


def test_step_texts_live_in_their_lifecycle_module():
    found = [f"{p.relative_to(ROOT)}:{n}" for p in _sources() if LIFECYCLES not in p.parents
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if STATE_TEXT.search(line)]
    assert not found, f"a state's text outside logistics/rules/lifecycles/: {found}"


def test_open_and_closed_come_from_the_lifecycles_end_states():
    readers = [p for p in _sources() if p.relative_to(ROOT).parts[0] != "logistics"
               or p.is_relative_to(ROOT / "logistics" / "queries")]  # the queries and the web layers
    found = [f"{p.relative_to(ROOT)}:{n}" for p in readers
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if ONE_END_STATE.search(line)]
    assert not found, f"open/closed by one state instead of the lifecycle's end states: {found}"


def test_the_source_checks_see_what_they_look_for():
    assert STATE_TEXT.search('    S.REFERRED: lazy_gettext("Rujuk"), S.CLOSED: lazy_pgettext("x", "Selesai")}')
    assert STATE_TEXT.search('    TpsStatus.OPEN: lazy_gettext("TPS dibuka"),')
    assert not STATE_TEXT.search('    OPEN = "open", lazy_gettext("Dibuka")')
    assert ONE_END_STATE.search(".where(HealthIncident.status != IncidentStatus.CLOSED,")
    assert not ONE_END_STATE.search(".where(HealthIncident.status.in_(OPEN),")


def test_a_second_definition_is_found(tmp_path):
    """The check itself: a copy of a home's symbol in another module is seen."""
    assert _definition("READ_FILTERS").search("READ_FILTERS: dict[str, int] = {}\n")
    assert _definition("requires").search("def requires(permission):\n    pass\n")
    assert _definition("UnitOfWork").search("class UnitOfWork:\n    pass\n")
    assert not _definition("audience").search("    audience = 3\nx = audience(s, e)\n")
