"""Load the Pangkalpinang demo city from `seed_data/`. Idempotent: rows are keyed by their
natural codes, and only missing ones are inserted, so a second run adds nothing and never
overwrites what happened on election day."""
from __future__ import annotations

from sqlalchemy.orm import Session

from siaga.seeding import accounts, health, plans, sites, staff, wilayah


def seed_demo(session: Session, demo_password: str = "siaga2025") -> dict[str, tuple[int, int]]:
    """Seed everything; return {table: (rows now, rows added)}."""
    counts: dict[str, tuple[int, int]] = {}
    for step in (wilayah.seed, sites.seed, staff.seed, plans.seed, health.seed):
        counts.update(step(session))
    counts.update(accounts.seed(session, demo_password))
    session.commit()
    return counts
