"""Command-line tools: `flask --app wsgi seed-demo`, ..."""
from __future__ import annotations

import click
from flask import Flask

from siaga.extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--password", envvar="DEMO_PASSWORD", default="siaga2025", show_default=True,
                  help="Password of the demo accounts (or set DEMO_PASSWORD).")
    def seed_demo_command(password: str) -> None:
        """Load the Pangkalpinang demo city (idempotent: running it again changes nothing)."""
        from siaga.seeding import seed_demo

        counts = seed_demo(db.session, demo_password=password)
        for name, (total, added) in counts.items():
            click.echo(f"{name:<22} {total:>7}  (+{added} new)")
