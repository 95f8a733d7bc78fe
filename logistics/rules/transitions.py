"""Which status changes are legal, for deliveries, incidents and TPS."""
from __future__ import annotations

from logistics.models.enums import DeliveryStatus, IncidentStatus, TpsStatus

D, I = DeliveryStatus, IncidentStatus

DELIVERY_FLOW: dict[DeliveryStatus, frozenset[DeliveryStatus]] = {
    # An officer may confirm receipt before the courier tapped "dispatched": planned > delivered.
    D.PLANNED: frozenset({D.DISPATCHED, D.DELIVERED, D.FAILED}),
    D.DISPATCHED: frozenset({D.DELIVERED, D.FAILED}),
    D.DELIVERED: frozenset(),
    D.FAILED: frozenset(),
}

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
    """The day only runs forward; a step an officer forgot to post may be skipped."""
    return TPS_ORDER.index(target) > TPS_ORDER.index(current)
