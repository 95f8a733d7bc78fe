"""Load the Pangkalpinang demo city from `seed_data/`. Idempotent: rows are keyed by their
natural codes, and only missing ones are inserted, so a second run adds nothing and never
overwrites what happened on election day."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.models import MapGridCell, TpsCoverage
from logistics.services import map_grid
from logistics.services.boundary_shapes import fill_missing
from logistics.services.coverage import recompute_all
from logistics.services.unit_of_work import UnitOfWork

from siaga.seeding import accounts, elections, health, plans, sites, staff, wilayah


def seed_demo(session: Session, demo_password: str = "siaga2025",
              election_day: date = plans.ELECTION_DAY) -> dict[str, tuple[int, int]]:
    """Seed everything for `election_day` (the configured ELECTION_DATE from the CLI: the day's
    logistics the day before, meal rounds and medic rosters on it); return {table: (rows now, rows added)}."""
    counts: dict[str, tuple[int, int]] = {}
    with UnitOfWork(session) as uow:  # the rows, their coverage and simplified shapes, their data versions
        for step in (wilayah.seed, sites.seed, staff.seed):
            counts.update(step(session))
        counts.update(plans.seed(session, election_day))
        counts.update(health.seed(session, election_day))
        # Kept current by the unit of work as rows are added; recomputed here too for a database seeded
        # before tps_coverage existed (cheap at a city's scale, and writes nothing when it is already right).
        # Before the accounts: the demo medic is posted at the demo officer's nearest station.
        uow.commit()
        written = recompute_all(session)
        counts.update(accounts.seed(session, demo_password))
        counts["tps_coverage"] = (session.scalar(select(func.count()).select_from(TpsCoverage)), written)
        fill_missing(session)  # simplified boundaries of areas seeded before they existed
        # The 2024 Pilkada as a past election beside today's (siaga/seeding/elections.py).
        counts.update(elections.seed(session))
        uow.commit()
    grid = map_grid.refresh(session)  # the zoomed-out map's counts, at once rather than in the background
    counts["map_grid_cell"] = (session.scalar(select(func.count()).select_from(MapGridCell)),
                               grid.written if grid else 0)
    session.commit()
    return counts
