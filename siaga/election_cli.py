"""`flask election`: list the elections, make one from an earlier one, make one active
(logistics/services/elections.py; the same services as /admin/pemilihan)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from logistics.models import ElectionKind
from siaga.extensions import db


def register(app: Flask) -> None:
    group = AppGroup("election", help="Elections: list, create from an earlier one, activate.")

    @group.command("list")
    def list_command() -> None:
        from logistics.services.elections import elections

        for e in elections(db.session):
            mark = "*" if e.active else " "
            click.echo(f"{mark} {e.id:>4}  {e.kind.value:<14} {e.day.isoformat() if e.day else '-':<10}  {e.name}")

    @group.command("create")
    @click.option("--from", "from_id", type=int, required=True, help="The election copied from (its id).")
    @click.option("--kind", type=click.Choice([k.value for k in ElectionKind]), required=True)
    @click.option("--name", required=True)
    @click.option("--day", required=True, help="Election day, YYYY-MM-DD.")
    @click.option("--activate", is_flag=True, help="Make it the active election.")
    def create_command(from_id: int, kind: str, name: str, day: str, activate: bool) -> None:
        from logistics.services.elections import create_election
        from siaga.cli import _as_cli

        _as_cli(lambda session, actor: create_election(session, actor, from_election_id=from_id, kind=kind,
                                                       name=name, day=day, activate=activate))
        click.echo(f"Pemilihan {name} dibuat / created{' (aktif / active)' if activate else ''}.")

    @group.command("activate")
    @click.argument("election_id", type=int)
    def activate_command(election_id: int) -> None:
        from logistics.services.elections import activate
        from siaga.cli import _as_cli

        _as_cli(activate, election_id)
        click.echo(f"Pemilihan {election_id} aktif / active.")

    app.cli.add_command(group)
