"""The election's settings in one object: the day, meal round times and portions, the KPPS quorum and the
alert thresholds. Defaults are the rules' constants (and ELECTION_DATE from the environment, given when the
app starts); an admin's changes are rows of `election_setting` and win. Rules stay pure: they take these
values as arguments. `settings_for(session)` loads them once per session (one request, one CLI run)."""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.models import ElectionSetting, MealRound
from logistics.queries.kept import Kept
from logistics.rules import fatigue, quorum
from logistics.rules.lifecycles import delivery
from logistics.texts import lazy_gettext

MEAL_TIMES = {MealRound.PAGI: time(6, 0), MealRound.SIANG: time(12, 0), MealRound.MALAM: time(18, 30),
              MealRound.SNACK: time(22, 0)}  # the late snack keeps the counting team going
OPEN_DEADLINE = time(7, 30)  # voting starts at 07:00: a TPS not open by 07:30 is an alert
MERAH_RESPONSE = timedelta(minutes=10)


@dataclass(frozen=True)
class ElectionSettings:
    election_date: date = date(2025, 8, 27)
    meal_times: dict = field(default_factory=lambda: dict(MEAL_TIMES))  # MealRound -> time (each TPS's local time)
    extra_portions: int = 0  # portions per TPS and round beyond the people posted there
    quorum: int = quorum.QUORUM
    meal_late: timedelta = delivery.GRACE
    fatigue_alert: timedelta = fatigue.ALERT_AFTER
    fatigue_escalate: timedelta = fatigue.ESCALATE_AFTER
    open_deadline: time = OPEN_DEADLINE
    merah_response: timedelta = MERAH_RESPONSE


class SettingError(ValueError):
    pass


def _clock(text: str) -> time:
    match = re.fullmatch(r"(\d{1,2})[.:](\d{2})", text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise SettingError("jam seperti 07:30")
    return time(int(match.group(1)), int(match.group(2)))


def _whole(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.strip().isdigit() or not low <= int(text) <= high:
            raise SettingError(f"bilangan bulat {low}–{high}")
        return int(text)
    return parse


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise SettingError("tanggal seperti 2025-08-27") from None


@dataclass(frozen=True)
class Field:
    key: str
    label: object  # a lazy text (logistics.texts), shown in the reader's language
    parse: Callable[[str], object]
    get: Callable[[ElectionSettings], str]  # the value as the form shows it
    put: Callable[[dict, object], None]  # the parsed value into ElectionSettings' keyword arguments


def _attr(name: str, to_text=str, to_value=lambda v: v) -> tuple:
    return (lambda s: to_text(getattr(s, name)), lambda kw, v: kw.__setitem__(name, to_value(v)))


def _minutes(td: timedelta) -> str:
    return str(int(td.total_seconds() // 60))


def _meal(round_: MealRound) -> tuple:
    def put(kw, v):
        kw.setdefault("meal_times", dict(MEAL_TIMES))[round_] = v
    return (lambda s: s.meal_times[round_].strftime("%H:%M"), put)


MEAL_TIME_LABELS = {
    MealRound.PAGI: lazy_gettext("Jam makan pagi"), MealRound.SIANG: lazy_gettext("Jam makan siang"),
    MealRound.MALAM: lazy_gettext("Jam makan malam"), MealRound.SNACK: lazy_gettext("Jam kudapan malam"),
}

FIELDS = (
    Field("election_date", lazy_gettext("Tanggal pemungutan suara"), _day, *_attr("election_date", date.isoformat)),
    *(Field(f"meal_{r.value}", MEAL_TIME_LABELS[r], _clock, *_meal(r)) for r in MealRound),
    Field("extra_portions", lazy_gettext("Porsi tambahan per TPS per ronde"), _whole(0, 20), *_attr("extra_portions")),
    Field("quorum", lazy_gettext("Kuorum KPPS (petugas hadir)"), _whole(1, quorum.QUORUM_MAX), *_attr("quorum")),
    Field("meal_late_minutes", lazy_gettext("Konsumsi terlambat setelah (menit)"), _whole(5, 240),
          *_attr("meal_late", _minutes, lambda v: timedelta(minutes=v))),
    Field("fatigue_alert_hours", lazy_gettext("Kelelahan: peringatan setelah (jam)"), _whole(4, 48),
          *_attr("fatigue_alert", lambda td: str(int(td.total_seconds() // 3600)), lambda v: timedelta(hours=v))),
    Field("fatigue_escalate_hours", lazy_gettext("Kelelahan: eskalasi setelah (jam)"), _whole(4, 48),
          *_attr("fatigue_escalate", lambda td: str(int(td.total_seconds() // 3600)), lambda v: timedelta(hours=v))),
    Field("open_deadline", lazy_gettext("TPS belum buka: batas jam"), _clock,
          *_attr("open_deadline", lambda t: t.strftime("%H:%M"))),
    Field("merah_response_minutes", lazy_gettext("Kejadian merah tanpa respons setelah (menit)"), _whole(1, 120),
          *_attr("merah_response", _minutes, lambda v: timedelta(minutes=v))),
)
BY_KEY = {f.key: f for f in FIELDS}
_CACHE = "election_settings"
_kept = Kept("election", "election_setting")
_defaults = ElectionSettings()


def set_defaults(election_date: date) -> None:
    """The environment's part of the defaults (ELECTION_DATE), given when the app starts."""
    global _defaults
    _defaults = dataclasses.replace(ElectionSettings(), election_date=election_date)
    _kept.values.clear()  # made over the former defaults


def build(stored: dict[str, str], base: ElectionSettings | None = None) -> ElectionSettings:
    """The defaults with the stored values over them (a stored value that no longer parses is skipped)."""
    kwargs: dict = {}
    for key, text in stored.items():
        spec = BY_KEY.get(key)
        if spec is None:
            continue
        try:
            spec.put(kwargs, spec.parse(text))
        except SettingError:
            continue
    return dataclasses.replace(base or _defaults, **kwargs)


def settings_for(session: Session) -> ElectionSettings:
    """This session's settings, read from the database once and kept on the session (and per process under
    the versions of `election` and `election_setting` when a live page read them: logistics/queries/kept.py)."""
    cached = session.info.get(_CACHE)
    if cached is None:
        from logistics.election_scope import current_election_id

        # The session's election (logistics/election_scope.py): its own stored values, over its day.
        election_id = current_election_id(session)
        cached = _kept.get(session, election_id, lambda: _read(session, election_id))
        session.info[_CACHE] = cached
    return cached


def _read(session: Session, election_id: int | None) -> ElectionSettings:
    from logistics.models.election import Election

    election = session.get(Election, election_id) if election_id is not None else None
    base = dataclasses.replace(_defaults, election_date=election.day) if election and election.day else None
    return build(dict(session.execute(select(ElectionSetting.key, ElectionSetting.value)).all()), base)


def forget(session: Session) -> None:
    session.info.pop(_CACHE, None)
