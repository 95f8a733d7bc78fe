"""SMS commands from the field, in Bahasa Indonesia: what a short text asks for, forgiving of case, spacing,
punctuation and small typos (`hadir  6`, `Buka.`, `HTUNG SELESAI`, `makan trima 9`). Pure: no database.

    HADIR 6               officers present
    BUKA / TUTUP          TPS opened / voting closed
    HITUNG SELESAI        count finished
    SERAH                 ballot box handed over to the PPS
    MAKAN TERIMA 9        the meal arrived: 9 portions received
    MAKAN KURANG 6        the meal arrived short: 6 portions received
    MAKAN TIDAK           the meal is not coming
    SAKIT MERAH PINGSAN   an incident: triage colour, then the complaint (optional PETUGAS/PEMILIH first)
    BANTUAN               the list of commands
Any of them may carry `TPS 3` (the TPS's number in its kelurahan) where one phone serves several TPS.

Also here: a reply made to fit one GSM-7 SMS (phone numbers: logistics/rules/phones.py).
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from logistics.models.enums import PatientKind, TpsStatus, Triage

SMS_MAX = 160  # one GSM-7 SMS
MAX_COUNT = 9999

# Command words (and the commonest spellings people send) to the action they mean.
ACTIONS = {
    "HADIR": "present", "BUKA": "open", "DIBUKA": "open", "TUTUP": "close", "DITUTUP": "close",
    "HITUNG": "counted", "SERAH": "handed_over", "SERAHKAN": "handed_over", "MAKAN": "meal", "SAKIT": "incident",
    "BANTUAN": "help", "BANTU": "help", "HELP": "help", "INFO": "help",
}
TPS_STEPS = {"open": TpsStatus.OPEN, "close": TpsStatus.VOTING_CLOSED, "counted": TpsStatus.COUNTED,
             "handed_over": TpsStatus.HANDED_OVER}
MEAL_WORDS = {"TERIMA": "received", "DITERIMA": "received", "KURANG": "short", "TIDAK": "not_coming",
              "GAGAL": "not_coming", "BATAL": "not_coming"}
TRIAGE_WORDS = {t.value.upper(): t for t in Triage}
PATIENT_WORDS = {"PETUGAS": PatientKind.OFFICER, "PEMILIH": PatientKind.VOTER, "WARGA": PatientKind.VOTER}
COMPLAINT_MAX = 160


@dataclass(frozen=True)
class Command:
    action: str  # "present", "open", "close", "counted", "handed_over", "meal", "incident", "help"
    count: int | None = None
    meal: str | None = None  # "received" | "short" | "not_coming"
    triage: Triage | None = None
    patient_kind: PatientKind = PatientKind.OTHER
    complaint: str | None = None
    tps_number: int | None = None

    @property
    def tps_step(self) -> TpsStatus | None:
        return TPS_STEPS.get(self.action)


@dataclass(frozen=True)
class Problem:
    """The text says nothing we can store; `code` names what is wrong, `action` what was meant (if known)."""
    code: str  # "empty" | "unknown" | "count" | "meal" | "triage" | "complaint" | "tps"
    action: str | None = None


def _words(text: str) -> list[str]:
    """Upper-case ASCII words and numbers; digits split from letters (`HADIR6` → HADIR 6, `TPS03` → TPS 03)."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().upper()
    plain = re.sub(r"(?<=[A-Z])(?=\d)|(?<=\d)(?=[A-Z])", " ", plain)
    # A minus before a number is kept (`HADIR -1` is refused, not read as 1); `TPS-3` is TPS 3.
    return re.findall(r"[A-Z]+|(?<![A-Z0-9])-\d+|\d+", plain)


def _closest(word: str, choices) -> str | None:
    """The choice `word` means: itself, or one a small typo away (a letter more, less, swapped or wrong)."""
    if word in choices:
        return word
    if len(word) < 3:
        return None
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return found[0] if found else None


def parse(text: str) -> Command | Problem:
    words = _words(text)[:40]  # a long text is not a command; its head is enough to say so
    tps_number = None
    for i, word in enumerate(words):  # `TPS 3` anywhere
        if word == "TPS" and i + 1 < len(words) and words[i + 1].isdigit():
            tps_number = int(words[i + 1])
            if not 0 < tps_number <= 999:
                return Problem("tps")
            del words[i:i + 2]
            break
    if not words:
        return Problem("empty")
    head = _closest(words[0], ACTIONS)
    if head is None:
        return Problem("unknown")
    action, rest = ACTIONS[head], words[1:]
    if action == "help":
        return Command("help", tps_number=tps_number)
    if action == "present":
        count = _count(rest)
        return Problem("count", action) if count is None else Command(action, count=count, tps_number=tps_number)
    if action == "counted":
        if rest and _closest(rest[0], {"SELESAI"}) is None:
            return Problem("unknown", action)
        return Command(action, tps_number=tps_number)
    if action in TPS_STEPS:
        return Command(action, tps_number=tps_number) if not rest else Problem("unknown", action)
    if action == "meal":
        word = _closest(rest[0], MEAL_WORDS) if rest else None
        if word is None:
            return Problem("meal", action)
        meal = MEAL_WORDS[word]
        if meal == "not_coming":
            return Command(action, meal=meal, tps_number=tps_number)
        count = _count(rest[1:])
        return Problem("count", "meal_" + meal) if count is None else Command(action, count=count, meal=meal,
                                                                              tps_number=tps_number)
    # incident: SAKIT <triage> [PETUGAS|PEMILIH] <complaint...>
    word = _closest(rest[0], TRIAGE_WORDS) if rest else None
    if word is None:
        return Problem("triage", action)
    rest = rest[1:]
    kind = PatientKind.OTHER
    if rest and _closest(rest[0], PATIENT_WORDS):
        kind, rest = PATIENT_WORDS[_closest(rest[0], PATIENT_WORDS)], rest[1:]
    complaint = " ".join(rest).capitalize()[:COMPLAINT_MAX]
    if not complaint:
        return Problem("complaint", action)
    return Command(action, triage=TRIAGE_WORDS[word], patient_kind=kind, complaint=complaint, tps_number=tps_number)


def _count(rest: list[str]) -> int | None:
    if len(rest) != 1 or not rest[0].isdigit():
        return None
    value = int(rest[0])
    return value if value <= MAX_COUNT else None


# --- writing a command ----------------------------------------------------------------------------------

_STEP_WORDS = {TpsStatus.OPEN: "BUKA", TpsStatus.VOTING_CLOSED: "TUTUP", TpsStatus.COUNTED: "HITUNG SELESAI",
               TpsStatus.HANDED_OVER: "SERAH"}
_PATIENT_WORD = {PatientKind.OFFICER: "PETUGAS", PatientKind.VOTER: "PEMILIH"}


def compose(action: str, *, count: int | None = None, step: TpsStatus | None = None, meal: str | None = None,
            triage: Triage | None = None, patient_kind: PatientKind = PatientKind.OTHER,
            complaint: str | None = None) -> str:
    """The command as the command card writes it (what `parse` reads back): the drill texts its reports."""
    if action == "present":
        return f"HADIR {count}"
    if action == "step":
        return _STEP_WORDS[TpsStatus(step)]
    if action == "meal":
        return "MAKAN TIDAK" if meal == "not_coming" else f"MAKAN {'KURANG' if meal == 'short' else 'TERIMA'} {count}"
    who = _PATIENT_WORD.get(PatientKind(patient_kind))
    return " ".join(w for w in ("SAKIT", Triage(triage).value.upper(), who, complaint) if w)


# --- replies -------------------------------------------------------------------------------------------

# GSM 03.38 basic alphabet (what one 160-character SMS can carry), without the escape table.
GSM7 = frozenset("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_SUBSTITUTES = {"—": "-", "–": "-", "…": "...", "‘": "'", "’": "'", "“": '"', "”": '"', "→": "->", "·": "-"}


def fit_sms(text: str, limit: int = SMS_MAX) -> str:
    """`text` as one GSM-7 SMS: typographic signs made plain, other signs dropped, cut at `limit`."""
    plain = "".join(_SUBSTITUTES.get(c, c) for c in str(text))
    plain = unicodedata.normalize("NFKD", plain)
    plain = "".join(c for c in plain if c in GSM7)
    plain = re.sub(r" {2,}", " ", plain).strip()
    return plain if len(plain) <= limit else plain[:limit - 3].rstrip() + "..."
