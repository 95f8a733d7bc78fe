"""The moment a post was tapped on the phone, as the record keeps it.

A phone queues a post while it has no signal and sends it later; the step happened when it was tapped,
not when it arrived. The phone's clock is believed within bounds: a little ahead of the server is clock
skew (kept), further ahead is impossible (the time received is used), and a tap older than a day is not
believed either (a phone whose clock is wrong, or a post kept far too long: the time received is used).
Either way the audit entry keeps what the phone said beside the time received, with the note.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# How far a phone's clock may run ahead of the server's and still be believed.
MAX_SKEW = timedelta(minutes=2)
# How old a tap may be and still be the step's time (a queue kept on a phone for a day at most).
MAX_AGE = timedelta(hours=24)

FUTURE = "future"    # claimed later than received + MAX_SKEW: the time received is used
TOO_OLD = "too_old"  # claimed earlier than received - MAX_AGE: the time received is used


@dataclass(frozen=True)
class Tapped:
    at: datetime             # the step's time: the tap, or the time received when the tap is not believed
    claimed: datetime        # what the phone said
    note: str | None = None  # FUTURE or TOO_OLD when `at` is the time received


def bound_tapped(claimed: datetime, received: datetime) -> Tapped:
    """The step time for a post tapped at `claimed` (aware) and received at `received`. A tap up to
    MAX_SKEW ahead is clock skew: the step is not put after the time received."""
    if claimed > received + MAX_SKEW:
        return Tapped(received, claimed, FUTURE)
    if claimed < received - MAX_AGE:
        return Tapped(received, claimed, TOO_OLD)
    return Tapped(min(claimed, received), claimed)
