"""`flask create-token`, `list-tokens`, `revoke-token`: manage the API's bearer tokens."""
from __future__ import annotations

import click
from flask import Flask

from logistics.actor import Actor
from logistics.errors import DomainError
from logistics.services.api_tokens import DEFAULT_EXPIRY_DAYS, SCOPES, create_token, list_tokens, revoke_token
from siaga.election import local_time
from siaga.extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("create-token")
    @click.option("--agency", help="Partner agency, e.g. Dinkes, KPU, Bawaslu, TNI-Polri.")
    @click.option("--scopes", required=True, help="Comma separated: " + ", ".join(SCOPES))
    @click.option("--user", "username", help="Bind the token to this user (a field app acts as them).")
    @click.option("--name", help="A label to recognise the token by.")
    @click.option("--expires-days", type=int, default=DEFAULT_EXPIRY_DAYS, show_default=True,
                  help="Days until the token stops working.")
    def create_token_command(agency, scopes, username, name, expires_days):
        """Create a token and print it once (only its hash is stored)."""
        try:
            token, secret = create_token(db.session, Actor.system("cli"), scopes=scopes, agency=agency,
                                         username=username, name=name, expires_in_days=expires_days)
        except DomainError as exc:
            raise click.UsageError(f"{exc.message} {exc.fields}")
        click.echo(f"Token {token.id} ({token.name}; {', '.join(token.scopes)}). Keep it now, it is not shown again:",
                   err=True)
        click.echo(secret)

    @app.cli.command("list-tokens")
    def list_tokens_command():
        """List tokens: id, prefix, name, agency or user, scopes, last used, revoked."""
        for t in list_tokens(db.session):
            who = f"user:{t.user.username}" if t.user else (t.agency or "-")
            state = (f"revoked {local_time(t.revoked_at)}" if t.revoked_at else
                     f"expired {local_time(t.expires_at)}" if not t.live() else
                     f"active until {local_time(t.expires_at)}" if t.expires_at else "active")
            click.echo(f"{t.id:>4}  {t.prefix}…  {t.name:<20} {who:<20} {','.join(t.scopes)}  "
                       f"last used {local_time(t.last_used_at)}  {state}")

    @app.cli.command("revoke-token")
    @click.argument("token_id", type=int)
    def revoke_token_command(token_id):
        """Revoke a token: it stops working at once."""
        try:
            token = revoke_token(db.session, Actor.system("cli"), token_id)
        except DomainError as exc:
            raise click.UsageError(exc.message)
        click.echo(f"Token {token.id} ({token.prefix}…) revoked.")
