"""Meal rounds and logistics items delivered to a TPS."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from logistics.items import item_label, unit_label
from logistics.models.election import ElectionScoped
from logistics.models.base import Base, TimestampMixin, UTCDateTime, str_enum
from logistics.models.enums import DeliveryKind, DeliveryStatus, MealRound
from logistics.models.people import Person
from logistics.models.tps import Tps
from logistics.rules.lifecycles.delivery import DELIVERY, DONE, REACHED, is_short_sql, open_where, short_note, shortfall


OPEN_WHERE = open_where()
SHORT_WHERE = is_short_sql()


class Delivery(ElectionScoped, TimestampMixin, Base):
    """One delivery to one TPS: a meal round (`meal_round`) or a logistics item (`item`).

    Status runs planned > dispatched > arrived > delivered | failed; each step's time is kept. The
    courier marks dispatched and arrived; the receipt (delivered with quantity and receiver, or
    failed) is the TPS's (logistics.permissions.delivery_step_permission).
    """

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("election_id", "ref"),
        CheckConstraint(
            "(kind = 'meal' AND meal_round IS NOT NULL) OR (kind = 'logistics' AND item IS NOT NULL)",
            name="kind_has_subject",
        ),
        CheckConstraint("quantity_planned > 0", name="quantity_planned_positive"),
        CheckConstraint("quantity_received IS NULL OR quantity_received >= 0", name="quantity_received_valid"),
        CheckConstraint("quantity_damaged IS NULL OR (quantity_damaged >= 0 AND quantity_damaged <= quantity_received)",
                        name="quantity_damaged_valid"),
        # Never the fields of two end states (delivered and failed), whoever writes the row.
        CheckConstraint(DELIVERY.fields.sql(), name="fields_fit_status"),
        Index("ix_delivery_status_planned_at", "status", "planned_at"),
        # A TPS's deliveries, with the election every read names (logistics/election_scope.py): on one column,
        # SQLite without statistics searched the election's index instead, i.e. every delivery of the day.
        Index("ix_delivery_tps_id_election_id", "tps_id", "election_id"),
        # The alerts read the few deliveries still on their way (late, at risk, not confirmed) and the
        # short ones among millions delivered: partial indexes keep those reads small (migration 0014).
        Index("ix_delivery_open_planned_at", "planned_at", postgresql_where=text(OPEN_WHERE),
              sqlite_where=text(OPEN_WHERE)),
        Index("ix_delivery_short_delivered_at", "delivered_at", postgresql_where=text(SHORT_WHERE),
              sqlite_where=text(SHORT_WHERE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(80))  # stable external reference
    tps_id: Mapped[int] = mapped_column(ForeignKey("tps.id"))  # indexed with election_id (above)
    kind: Mapped[DeliveryKind] = mapped_column(str_enum(DeliveryKind, "delivery_kind"))
    meal_round: Mapped[MealRound | None] = mapped_column(str_enum(MealRound, "meal_round"))
    item: Mapped[str | None] = mapped_column(String(80))
    unit: Mapped[str] = mapped_column(String(20), default="porsi")
    quantity_planned: Mapped[int] = mapped_column(Integer)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PLANNED
    )
    courier_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendor.id"), index=True)
    # The courier's tour for this round (logistics.rules.routing), refreshed when the plan or a step changes.
    route_seq: Mapped[int | None] = mapped_column(Integer)
    eta_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the courier's "sampai"
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quantity_received: Mapped[int | None] = mapped_column(Integer)
    quantity_damaged: Mapped[int | None] = mapped_column(Integer)  # logistics items received broken
    received_by: Mapped[str | None] = mapped_column(String(160))
    failure_reason: Mapped[str | None] = mapped_column(String(240))
    notes: Mapped[str | None] = mapped_column(Text)
    # Moved by a drill (`flask drill`), so `drill --wipe` puts it back to planned.
    drill: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    tps: Mapped[Tps] = relationship()
    courier: Mapped[Person | None] = relationship()

    @property
    def reached_at(self) -> datetime | None:
        """When the courier's part ended: the "sampai", else the receipt or the failure report."""
        return self.arrived_at or self.delivered_at or self.failed_at

    @property
    def reached(self) -> bool:
        """The courier's part is over: there, received or reported not coming (lifecycles.delivery.REACHED)."""
        return self.status in REACHED

    @property
    def done(self) -> bool:
        """Received or reported not coming: an end state (logistics.rules.lifecycles.delivery.DONE)."""
        return self.status in DONE

    @property
    def short_note(self):
        """What the TPS is told of a short receipt (logistics.rules.lifecycles.delivery), or None."""
        missing = shortfall(self.status, self.quantity_planned, self.quantity_received)
        return short_note(self.kind == DeliveryKind.MEAL, missing, self.unit_for(missing)) if missing else None

    @property
    def what(self):
        """What is delivered, as people read it: the meal round's label or the item's (never its code)."""
        return self.meal_round.label if self.meal_round else item_label(self.item)

    @property
    def unit_label(self):
        return unit_label(self.unit)

    def unit_for(self, n: int):
        """The unit after a count: "1 set", "3 sets" (the catalogue's plural forms)."""
        return unit_label(self.unit, n)
