"""A TPS's election day: setup > open > voting_closed > counted > handed_over, each step with its time.

The day only runs forward; a step an officer forgot to post may be skipped (with a reason on the field
pages). A skipped step's time stays empty, and a correction back to it leaves it so: no time is required.
"""
from __future__ import annotations

from logistics.rules.lifecycles import Lifecycle
from logistics.texts import LabelledEnum, lazy_gettext, lazy_pgettext


class TpsStatus(LabelledEnum):
    """Election-day status of a TPS, in the order the day runs."""

    SETUP = "setup", lazy_gettext("Persiapan")
    OPEN = "open", lazy_pgettext("TPS status", "Dibuka")
    VOTING_CLOSED = "voting_closed", lazy_gettext("Pemungutan ditutup")
    COUNTED = "counted", lazy_gettext("Penghitungan selesai")
    HANDED_OVER = "handed_over", lazy_gettext("Kotak diserahkan ke PPS")


T = TpsStatus
ORDER: tuple[TpsStatus, ...] = tuple(TpsStatus)

TPS_DAY = Lifecycle(
    states=TpsStatus,
    steps={s: frozenset(ORDER[i + 1:]) for i, s in enumerate(ORDER)},
    step_columns={T.OPEN: ("opened_at",), T.VOTING_CLOSED: ("voting_closed_at",), T.COUNTED: ("counted_at",),
                  T.HANDED_OVER: ("handed_over_at",)},
)

# Opened: the TPS has opened (it may have closed since); closed: voting is over.
OPENED = TPS_DAY.after(T.SETUP)
CLOSED = (T.VOTING_CLOSED, *TPS_DAY.after(T.VOTING_CLOSED))
# The button text for posting each step (the officer's page).
TPS_STEP_BUTTONS = {
    T.OPEN: lazy_gettext("TPS dibuka"),
    T.VOTING_CLOSED: lazy_gettext("Pemungutan suara ditutup"),
    T.COUNTED: lazy_gettext("Penghitungan selesai"),
    T.HANDED_OVER: lazy_gettext("Kotak suara diserahkan ke PPS"),
}
# Everything the day writes on a TPS: the officers present (and when reported) and the steps' times.
DAY_COLUMNS = ("officers_present", "officers_reported_at", *TPS_DAY.columns)


def may_move(current: TpsStatus, target: TpsStatus) -> bool:
    """Forward only; steps may be skipped (`skipped_steps`)."""
    return TPS_DAY.may_move(current, target)


def skipped_steps(current: TpsStatus, target: TpsStatus) -> tuple[TpsStatus, ...]:
    """The steps between `current` and `target` that a move would pass over (none for the next step)."""
    return ORDER[ORDER.index(current) + 1:ORDER.index(target)]
