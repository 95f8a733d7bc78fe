"""`flask set-phone USERNAME PHONE`: an account's own number for SMS (a coordinator's).

`flask sms-simulate PHONE TEXT`: an SMS as if the gateway's phone had received it (the demo, a drill).

It posts the webhook the fake gateway signs (siaga/sms/fake_gateway.py) to this app, in process, and prints
what was stored and the reply the worker hands to the gateway. Only with SMS_GATEWAY=fake: against a real
gateway, text the gateway's phone.
"""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select


def register(app: Flask) -> None:
    @app.cli.command("sms-simulate")
    @click.argument("phone")
    @click.argument("text")
    def sms_simulate(phone: str, text: str) -> None:
        """Send TEXT from PHONE to Siaga through the fake SMS gateway (SMS_GATEWAY=fake)."""
        from logistics.models import SmsInbound
        from siaga.extensions import db
        from siaga.sms.fake_gateway import text_app

        if app.config.get("SMS_GATEWAY") != "fake":
            raise click.ClickException("sms-simulate needs SMS_GATEWAY=fake (the local fake gateway).")
        try:
            result = text_app(app, phone, text)
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from None
        stored = db.session.scalar(select(SmsInbound).order_by(SmsInbound.id.desc()))
        click.echo(f"{result.get('result', 'duplicate')}: {stored.reply if stored else ''}")

    @app.cli.command("set-phone")
    @click.argument("username")
    @click.argument("phone", required=False, default="")
    def set_phone(username: str, phone: str) -> None:
        """Set the account's own phone for SMS (coordinators); no PHONE clears it. Audited."""
        from logistics.actor import Actor
        from logistics.errors import DomainError
        from logistics.services.sms_phones import set_account_phone
        from siaga.extensions import db

        try:
            user = set_account_phone(db.session, Actor.system("cli"), username, phone)
        except DomainError as exc:
            raise click.ClickException(f"{exc.message} {'; '.join(map(str, exc.fields.values()))}".strip()) from None
        click.echo(f"{user.username}: {user.phone or '-'}")
