"""A delivery's lifecycle (a meal round or a logistics item to a TPS): planned > dispatched > arrived >
delivered | failed, what each step records, and what "reached", "done", "late", "at risk" and "short" mean.

Each Python rule has its SQL twin beside it (`..._sql`), used by the alerts, the summary, the map and the
API; tests/test_alert_twins.py checks them against each other on both databases.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from logistics.rules.lifecycles import Lifecycle
from logistics.texts import LabelledEnum, lazy_gettext, lazy_pgettext


class DeliveryStatus(LabelledEnum):
    PLANNED = "planned", lazy_gettext("Direncanakan")
    DISPATCHED = "dispatched", lazy_gettext("Dalam perjalanan")
    # The courier says it is there; the TPS has not confirmed the quantity and receiver yet.
    ARRIVED = "arrived", lazy_gettext("Sampai, belum dikonfirmasi")
    DELIVERED = "delivered", lazy_pgettext("delivery status", "Diterima")
    FAILED = "failed", lazy_gettext("Gagal / tidak datang")


D = DeliveryStatus

DELIVERY = Lifecycle(
    states=DeliveryStatus,
    steps={
        # An officer may confirm receipt before the courier tapped "dispatched" or "arrived": planned > delivered.
        D.PLANNED: frozenset({D.DISPATCHED, D.ARRIVED, D.DELIVERED, D.FAILED}),
        D.DISPATCHED: frozenset({D.ARRIVED, D.DELIVERED, D.FAILED}),
        # The courier's "sampai" is not the receipt: the TPS confirms it (delivered) or disputes it (failed).
        D.ARRIVED: frozenset({D.DELIVERED, D.FAILED}),
        # End states; a mistaken one is corrected (back, with a reason), never stepped out of.
        D.DELIVERED: frozenset(),
        D.FAILED: frozenset(),
    },
    step_columns={
        D.DISPATCHED: ("dispatched_at",),
        D.ARRIVED: ("arrived_at",),
        D.DELIVERED: ("delivered_at", "quantity_received", "received_by", "quantity_damaged"),
        D.FAILED: ("failed_at", "failure_reason"),
    },
    required={D.DISPATCHED: ("dispatched_at",), D.ARRIVED: ("arrived_at",),
              D.DELIVERED: ("delivered_at", "quantity_received"), D.FAILED: ("failed_at",)},
)

# Done: an end state (received, or reported not coming).
DONE = DELIVERY.end_states
# Open: not done; the alerts' partial indexes cover these rows (migration 0014).
OPEN = tuple(s for s in DeliveryStatus if s not in DONE)
# The steps that are the TPS's receipt (quantity and receiver, or "did not come"); the courier's
# steps are the others (logistics.permissions.delivery_step_permission).
RECEIPT_STEPS = DONE
# Reached: the courier's part is over (there, received or reported not coming): no longer late, nor
# at risk, nor on a route's open stops. `arrived` waits for the TPS's confirmation, shown as such.
REACHED = frozenset({D.ARRIVED}) | DONE
# Not reached: still to come (named positively, so the database can use the open rows' index).
ON_ITS_WAY = tuple(s for s in DeliveryStatus if s not in REACHED)
# The states a correction may go back to, latest first on the page.
CORRECTABLE_TO = OPEN


def may_move(current: DeliveryStatus, target: DeliveryStatus) -> bool:
    return DELIVERY.may_move(current, target)


def may_correct(current: DeliveryStatus, target: DeliveryStatus) -> bool:
    """A correction only moves back: a receipt or a "did not come" posted by mistake goes back to
    a state before it (planned, dispatched or arrived)."""
    return current in DONE and target in CORRECTABLE_TO or (
        current in CORRECTABLE_TO and target in CORRECTABLE_TO
        and CORRECTABLE_TO.index(target) < CORRECTABLE_TO.index(current))


def open_where(status_column: str = "status") -> str:
    """`status` is open, as a partial index's condition."""
    return f"{status_column} IN ({', '.join(repr(s.value) for s in OPEN)})"


# --- Late -------------------------------------------------------------------------------------------
# The one rule: a delivery is late while it has not been reached (arrived, received or reported not
# coming) GRACE after its planned time. The dashboard's figures and alerts, the map's meal mode, the
# courier's page and the API's `overdue` all judge it with these two functions, on the one clock.

# A meal round not reached 30 minutes after its planned time is late (an election setting: `meal_late`).
GRACE = timedelta(minutes=30)


def deadline(planned_at: datetime, grace: timedelta = GRACE) -> datetime:
    return planned_at + grace


def is_late(status: DeliveryStatus, planned_at: datetime, now: datetime, grace: timedelta = GRACE) -> bool:
    """Not reached, and past its deadline."""
    return status not in REACHED and now > deadline(planned_at, grace)


def is_late_sql(status, planned_at, now: datetime, grace: timedelta = GRACE):
    """`is_late` over the caller's columns: status on its way and planned_at < now - grace."""
    from sqlalchemy import and_

    return and_(status.in_(ON_ITS_WAY), planned_at < now - grace)


def arrived_late(planned_at: datetime, arrived_at: datetime | None, delivered_at: datetime | None,
                 grace: timedelta = GRACE) -> bool:
    """It got there (the courier's "sampai", else the receipt) after its deadline: a fact of the past,
    shown by the API beside `is_late`."""
    there = arrived_at or delivered_at
    return there is not None and there > deadline(planned_at, grace)


def arrived_late_sql(planned_at, arrived_at, delivered_at, grace: timedelta = GRACE):
    """`arrived_late` over the caller's columns (false, not NULL, when it has not got there)."""
    from sqlalchemy import and_, func

    from logistics.queries.sql_time import plus

    there = func.coalesce(arrived_at, delivered_at)
    return and_(there.is_not(None), there > plus(planned_at, grace))


def is_at_risk(status: DeliveryStatus, planned_at: datetime, eta_at: datetime | None) -> bool:
    """Still on its way, and the courier's estimated arrival is after the planned time."""
    return status not in REACHED and eta_at is not None and eta_at > planned_at


def is_at_risk_sql(status, planned_at, eta_at):
    """`is_at_risk` over the caller's columns."""
    from sqlalchemy import and_

    return and_(status.in_(ON_ITS_WAY), eta_at.is_not(None), eta_at > planned_at)


def eta_from_now(eta_at: datetime | None, now: datetime) -> datetime | None:
    """The estimate a courier is shown for a stop not reached yet: never in the past (a stop not reached
    is reached now at the earliest; whether that is late is `is_late`'s, at the planned time + grace)."""
    return None if eta_at is None else max(eta_at, now)


# --- Short ------------------------------------------------------------------------------------------
# A receipt is short when fewer were received than planned (a meal's plan is the people on duty).

def shortfall(status: DeliveryStatus, quantity_planned: int, quantity_received: int | None) -> int:
    """How many a receipt lacks (0 when not received, or received in full)."""
    if status != D.DELIVERED or quantity_received is None:
        return 0
    return max(quantity_planned - quantity_received, 0)


def is_short_sql(status_column: str = "status") -> str:
    """`shortfall(...) > 0` as SQL text (the short receipts' partial index, the shortage alert)."""
    return f"{status_column} = '{D.DELIVERED.value}' AND quantity_received < quantity_planned"


def short_receipt_error(quantity_received: int | None, quantity_planned: int):
    """A receipt posted as "Kurang" must say how many came, fewer than planned; the message, or None."""
    if quantity_received is None or quantity_received >= quantity_planned:
        return lazy_gettext("Untuk \"Kurang\", isi jumlah yang benar-benar diterima (kurang dari {n}).",
                            n=quantity_planned)
    return None


def short_note(is_meal: bool, missing: int, unit):
    """What the TPS is told about a short receipt (after posting it, and on its deliveries page)."""
    if is_meal:
        return lazy_gettext("Kurang {n} {unit} dari jumlah orang di TPS. Koordinator sudah diberi tahu.",
                            n=missing, unit=unit)
    return lazy_gettext("Kurang {n} {unit} dari rencana.", n=missing, unit=unit)
