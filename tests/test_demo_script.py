"""The demo as scripts/demo.sh sets it up: its `flask` steps, run in order on the test database."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from sqlalchemy import select

from logistics.models import Delivery, DeliveryKind, DrillClock, MealRound

DEMO = Path(__file__).resolve().parent.parent / "scripts" / "demo.sh"


def demo_steps() -> list[list[str]]:
    """The script's `flask` commands with their defaults (`${X:-d}` is d), but the migration (the test
    database is migrated) and the worker (the test plays nothing)."""
    steps = []
    for line in DEMO.read_text().splitlines():
        found = re.match(r"\s*\.venv/bin/flask (.+?)(\s*&)?$", line)
        if found is None:
            continue
        args = shlex.split(re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", found.group(1)))
        if args[0] not in ("db", "worker"):
            steps.append(args)
    return steps


def test_the_demo_drill_plays_every_meal_round(app, session):
    """The dashboard's "Kudapan malam" column stayed 0 / 0 through the demo's drill: the seed plans three
    rounds and the drill plays only what is planned."""
    steps = demo_steps()
    assert [s[0] for s in steps][:1] == ["seed-demo"] and steps[-1][0] == "drill"
    runner = app.test_cli_runner()
    for args in steps:
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output)
    assert session.scalar(select(DrillClock.id)) is not None
    played = set(session.scalars(select(Delivery.meal_round).where(
        Delivery.drill.is_(True), Delivery.kind == DeliveryKind.MEAL).distinct()))
    assert played == set(MealRound)
