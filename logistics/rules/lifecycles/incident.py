"""A health incident's lifecycle: reported > responding > treated_on_site | referred > closed, each step with
its time; a closing tapped by mistake may be reopened within a window."""
from __future__ import annotations

from datetime import datetime, timedelta

from logistics.rules.lifecycles import Lifecycle
from logistics.texts import LabelledEnum, lazy_gettext, lazy_pgettext


class IncidentStatus(LabelledEnum):
    REPORTED = "reported", lazy_gettext("Dilaporkan")
    RESPONDING = "responding", lazy_gettext("Ditangani")
    TREATED_ON_SITE = "treated_on_site", lazy_gettext("Ditangani di tempat")
    REFERRED = "referred", lazy_gettext("Dirujuk")
    CLOSED = "closed", lazy_pgettext("incident status", "Selesai")


I = IncidentStatus  # noqa: E741

_STEP_TIMES = {I.RESPONDING: ("responding_at",), I.TREATED_ON_SITE: ("treated_at",),
               I.REFERRED: ("referred_at",), I.CLOSED: ("closed_at",)}
INCIDENT = Lifecycle(
    states=IncidentStatus,
    steps={
        # Nobody may close an incident nobody has responded to.
        I.REPORTED: frozenset({I.RESPONDING}),
        I.RESPONDING: frozenset({I.TREATED_ON_SITE, I.REFERRED, I.CLOSED}),
        # A patient treated on site may still get worse and be referred.
        I.TREATED_ON_SITE: frozenset({I.REFERRED, I.CLOSED}),
        I.REFERRED: frozenset({I.CLOSED}),
        I.CLOSED: frozenset(),
    },
    step_columns=_STEP_TIMES,
    # Every step's own time; an earlier one may be missing (responding > referred skips treatment).
    required=_STEP_TIMES,
)

# The button text for posting each step (the medic's and the station's pages), and how far along the care
# each step is: while one is waiting in the phone's queue, field.js holds the buttons of steps not further
# along (data-rank), so "Menuju" cannot be queued twice.
INCIDENT_STEP_BUTTONS = {I.RESPONDING: lazy_gettext("Menuju / menangani"),
                         I.TREATED_ON_SITE: lazy_gettext("Ditangani di tempat"),
                         I.REFERRED: lazy_gettext("Rujuk"), I.CLOSED: lazy_pgettext("incident step", "Selesai")}
INCIDENT_STEP_RANK = {I.RESPONDING: 1, I.TREATED_ON_SITE: 2, I.REFERRED: 2, I.CLOSED: 3}

# Done: closed; open: anything else (on the station's list, the map, the dashboard).
DONE = INCIDENT.end_states
OPEN = tuple(s for s in IncidentStatus if s not in DONE)


def may_move(current: IncidentStatus, target: IncidentStatus) -> bool:
    return INCIDENT.may_move(current, target)


# A closing ("Selesai") tapped by mistake may be undone this long after it (the time it was closed);
# later, the incident stays closed and a new one is reported.
REOPEN_WINDOW = timedelta(hours=2)


def may_reopen(current: IncidentStatus, closed_at: datetime | None, now: datetime,
               window: timedelta = REOPEN_WINDOW) -> bool:
    """A closed incident may be reopened (its closing corrected) within the window after it was closed."""
    return current in DONE and closed_at is not None and now - closed_at <= window


def status_before_close(treated: bool, referred: bool) -> IncidentStatus:
    """What a reopened incident goes back to: the furthest care step it had reached."""
    return I.REFERRED if referred else I.TREATED_ON_SITE if treated else I.RESPONDING
