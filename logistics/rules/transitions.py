"""Which status changes are legal, for deliveries, incidents and TPS."""
from __future__ import annotations

from datetime import datetime, timedelta

from logistics.models.enums import DeliveryStatus, IncidentStatus, TpsStatus

D, I = DeliveryStatus, IncidentStatus

DELIVERY_FLOW: dict[DeliveryStatus, frozenset[DeliveryStatus]] = {
    # An officer may confirm receipt before the courier tapped "dispatched" or "arrived": planned > delivered.
    D.PLANNED: frozenset({D.DISPATCHED, D.ARRIVED, D.DELIVERED, D.FAILED}),
    D.DISPATCHED: frozenset({D.ARRIVED, D.DELIVERED, D.FAILED}),
    # The courier's "sampai" is not the receipt: the TPS confirms it (delivered) or disputes it (failed).
    D.ARRIVED: frozenset({D.DELIVERED, D.FAILED}),
    # End states; a mistaken one is corrected (back, with a reason), never stepped out of.
    D.DELIVERED: frozenset(),
    D.FAILED: frozenset(),
}
# The steps that are the TPS's receipt (quantity and receiver, or "did not come"); the courier's
# steps are the others (logistics.permissions.delivery_step_permission).
DELIVERY_RECEIPT_STEPS = frozenset({D.DELIVERED, D.FAILED})
# Reached: the courier's part is over (there, received or reported not coming): no longer late
# nor on a route's open stops. `arrived` waits for the TPS's confirmation, shown as such.
DELIVERY_REACHED = frozenset({D.ARRIVED, D.DELIVERED, D.FAILED})
DELIVERY_ORDER: tuple[DeliveryStatus, ...] = (D.PLANNED, D.DISPATCHED, D.ARRIVED)

INCIDENT_FLOW: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    # Nobody may close an incident nobody has responded to.
    I.REPORTED: frozenset({I.RESPONDING}),
    I.RESPONDING: frozenset({I.TREATED_ON_SITE, I.REFERRED, I.CLOSED}),
    # A patient treated on site may still get worse and be referred.
    I.TREATED_ON_SITE: frozenset({I.REFERRED, I.CLOSED}),
    I.REFERRED: frozenset({I.CLOSED}),
    I.CLOSED: frozenset(),
}

TPS_ORDER: tuple[TpsStatus, ...] = tuple(TpsStatus)


def delivery_may_move(current: DeliveryStatus, target: DeliveryStatus) -> bool:
    return target in DELIVERY_FLOW[current]


def incident_may_move(current: IncidentStatus, target: IncidentStatus) -> bool:
    return target in INCIDENT_FLOW[current]


def tps_may_move(current: TpsStatus, target: TpsStatus) -> bool:
    """The day only runs forward; a step an officer forgot to post may be skipped (with a reason
    on the field pages: `tps_skipped_steps`)."""
    return TPS_ORDER.index(target) > TPS_ORDER.index(current)


def tps_skipped_steps(current: TpsStatus, target: TpsStatus) -> tuple[TpsStatus, ...]:
    """The steps between `current` and `target` that a move would pass over (none for the next step)."""
    return TPS_ORDER[TPS_ORDER.index(current) + 1:TPS_ORDER.index(target)]


def delivery_may_correct(current: DeliveryStatus, target: DeliveryStatus) -> bool:
    """A correction only moves back: a receipt or a "did not come" posted by mistake goes back to
    a state before it (planned, dispatched or arrived)."""
    return current in DELIVERY_RECEIPT_STEPS and target in DELIVERY_ORDER or (
        current in DELIVERY_ORDER and target in DELIVERY_ORDER
        and DELIVERY_ORDER.index(target) < DELIVERY_ORDER.index(current))


# A closing ("Selesai") tapped by mistake may be undone this long after it (the time it was closed);
# later, the incident stays closed and a new one is reported.
INCIDENT_REOPEN_WINDOW = timedelta(hours=2)


def incident_may_reopen(current: IncidentStatus, closed_at: datetime | None, now: datetime,
                        window: timedelta = INCIDENT_REOPEN_WINDOW) -> bool:
    """A closed incident may be reopened (its closing corrected) within the window after it was closed."""
    return current == I.CLOSED and closed_at is not None and now - closed_at <= window


def incident_status_before_close(treated: bool, referred: bool) -> IncidentStatus:
    """What a reopened incident goes back to: the furthest care step it had reached."""
    return I.REFERRED if referred else I.TREATED_ON_SITE if treated else I.RESPONDING
